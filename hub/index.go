package hub

import (
	"context"
	"encoding/json"
	"errors"

	"quarry/modelcards"
)

// RepoInfo is what the repo info endpoints show of a revision.
type RepoInfo struct {
	Revision   *Revision
	Siblings   []Entry        // all files, recursively, sorted by path
	CardData   map[string]any // README.md front matter; nil without README.md
	ModelIndex any            // the card's model-index, if any
	Config     map[string]any // config.json subset: architectures, model_type
}

// maxMetaFileSize bounds README.md and config.json reads.
const maxMetaFileSize = 4 << 20

// RepoInfo returns the files, card data and config of a revision.
func (s *Service) RepoInfo(ctx context.Context, rev *Revision) (*RepoInfo, error) {
	all, err := s.Tree(ctx, rev, "", true)
	if err != nil {
		return nil, err
	}
	info := &RepoInfo{Revision: rev, Siblings: []Entry{}}
	for _, e := range all {
		if e.Type == EntryFile {
			info.Siblings = append(info.Siblings, e)
		}
	}
	root, err := s.rootTree(ctx, rev.Commit)
	if err != nil {
		return nil, err
	}
	card, err := s.readCard(ctx, root)
	if err != nil {
		return nil, err
	}
	if card != nil {
		info.CardData, info.ModelIndex = card.Data, card.ModelIndex()
	}
	if info.Config, err = s.readConfig(ctx, root); err != nil {
		return nil, err
	}
	return info, nil
}

// readSmallFile returns the content of a regular (non-LFS) file at path of
// tree, or nil when it is missing, a directory, an LFS pointer or too big.
func (s *Service) readSmallFile(ctx context.Context, tree, path string) ([]byte, error) {
	te, err := s.lookup(ctx, tree, path)
	if errors.Is(err, ErrNotFound) || (err == nil && te.isDir()) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := s.readBlobMeta(ctx, te.ID)
	if err != nil || m.LFS != nil || m.Size > maxMetaFileSize {
		return nil, err
	}
	return s.readBlob(ctx, te.ID)
}

// readCard parses README.md; nil when there is none or it does not parse.
func (s *Service) readCard(ctx context.Context, tree string) (*modelcards.Card, error) {
	readme, err := s.readSmallFile(ctx, tree, "README.md")
	if err != nil || readme == nil {
		return nil, err
	}
	card, err := modelcards.Parse(readme)
	if err != nil {
		return nil, nil // an invalid card shows as no card data
	}
	return card, nil
}

// readConfig returns architectures and model_type from config.json.
func (s *Service) readConfig(ctx context.Context, tree string) (map[string]any, error) {
	data, err := s.readSmallFile(ctx, tree, "config.json")
	if err != nil || data == nil {
		return nil, err
	}
	var all map[string]any
	if json.Unmarshal(data, &all) != nil {
		return nil, nil
	}
	out := map[string]any{}
	for _, k := range []string{"architectures", "model_type"} {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// refreshIndex recomputes the index fields of repo id from the current head
// of its default branch. It reads the record before the ref, so concurrent
// refreshes converge on the latest head.
func (s *Service) refreshIndex(ctx context.Context, id RepoID) error {
	for attempt := 0; ; attempt++ {
		r, err := s.Meta.GetRepo(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil // deleted or moved meanwhile; its next commit indexes it
		}
		if err != nil {
			return err
		}
		head, err := s.Meta.GetRef(ctx, r.Key, BranchPrefix+DefaultBranch)
		if err != nil || head == r.Head {
			return err
		}
		if err := s.indexHead(ctx, r, head); err != nil {
			return err
		}
		err = s.Meta.UpdateRepo(ctx, r)
		if err == nil || !errors.Is(err, ErrPrecondition) || attempt >= maxRetries {
			return err
		}
	}
}

// indexHead sets r's index fields for commit head.
func (s *Service) indexHead(ctx context.Context, r *Repo, head string) error {
	c, err := s.readCommit(ctx, head)
	if err != nil {
		return err
	}
	var locs []located
	if err := s.walk(ctx, c.Tree, "", true, &locs); err != nil {
		return err
	}
	files := make([]string, 0, len(locs))
	for _, l := range locs {
		if !l.te.isDir() {
			files = append(files, l.path)
		}
	}
	card, err := s.readCard(ctx, c.Tree)
	if err != nil {
		return err
	}
	r.Head, r.UpdatedAt = head, c.Committer.When.UTC()
	r.Tags = modelcards.DeriveTags(card, files)
	r.PipelineTag, r.LibraryName = card.PipelineTag(), card.LibraryName()
	return nil
}
