package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ListRefs returns the repo's branches and tags, sorted by full name.
func (s *Service) ListRefs(ctx context.Context, repo *Repo) ([]Ref, error) {
	return s.Meta.ListRefs(ctx, repo.Key)
}

// CreateBranch creates branch at startingPoint ("" = main), or, when empty,
// at a new commit with no files and no parent. An existing branch gives
// ErrConflict; names starting with "refs/" ErrInvalid.
func (s *Service) CreateBranch(ctx context.Context, c *Caller, id RepoID, branch, startingPoint string, empty bool) error {
	repo, err := s.FindRepo(ctx, c, id, ActionWrite)
	if err != nil {
		return err
	}
	if err := ValidateRefName("branch", branch); err != nil {
		return err
	}
	var commit string
	if empty {
		commit, err = s.emptyCommit(ctx, c)
	} else {
		var rev *Revision
		rev, err = s.resolve(ctx, repo, startingPoint)
		if rev != nil {
			commit = rev.Commit
		}
	}
	if err != nil {
		return err
	}
	return s.createRef(ctx, repo, BranchPrefix+branch, commit)
}

func (s *Service) emptyCommit(ctx context.Context, c *Caller) (string, error) {
	tree, err := s.writeTree(ctx, nil)
	if err != nil {
		return "", err
	}
	sig := s.signature(c, s.now())
	return s.writeObject(ctx, objCommit, encodeCommit(&commitObject{Tree: tree, Author: sig, Committer: sig,
		Message: "empty branch\n"}))
}

func (s *Service) createRef(ctx context.Context, repo *Repo, name, commit string) error {
	err := s.Meta.UpdateRef(ctx, repo.Key, name, "", commit)
	if errors.Is(err, ErrConflict) {
		return &Error{Kind: ErrConflict, Message: fmt.Sprintf("Reference %s already exists", name), Err: err}
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

// DeleteBranch deletes a branch other than main (ErrForbidden); a missing
// branch gives ErrRevisionNotFound.
func (s *Service) DeleteBranch(ctx context.Context, c *Caller, id RepoID, branch string) error {
	repo, err := s.FindRepo(ctx, c, id, ActionWrite)
	if err != nil {
		return err
	}
	branch = strings.TrimPrefix(branch, BranchPrefix)
	if branch == DefaultBranch {
		return Errorf(ErrForbidden, "Cannot delete %s%s", BranchPrefix, DefaultBranch)
	}
	return s.deleteRef(ctx, repo, BranchPrefix+branch)
}

func (s *Service) deleteRef(ctx context.Context, repo *Repo, name string) error {
	for attempt := 0; ; attempt++ {
		cur, err := s.Meta.GetRef(ctx, repo.Key, name)
		if errors.Is(err, ErrNotFound) {
			return NotFoundf(ErrRevisionNotFound, "Invalid rev id: %s", name)
		}
		if err != nil {
			return err
		}
		err = s.Meta.UpdateRef(ctx, repo.Key, name, cur, "")
		if err == nil || !errors.Is(err, ErrPrecondition) || attempt >= maxRetries {
			return err
		}
	}
}

// CreateTag tags the commit rev resolves to. An existing tag gives
// ErrConflict. Tags are lightweight: message is not stored.
func (s *Service) CreateTag(ctx context.Context, c *Caller, id RepoID, rev, tag, message string) error {
	repo, err := s.FindRepo(ctx, c, id, ActionWrite)
	if err != nil {
		return err
	}
	if err := ValidateRefName("tag", tag); err != nil {
		return err
	}
	r, err := s.resolve(ctx, repo, rev)
	if err != nil {
		return err
	}
	return s.createRef(ctx, repo, TagPrefix+tag, r.Commit)
}

// DeleteTag deletes a tag; a missing one gives ErrRevisionNotFound.
func (s *Service) DeleteTag(ctx context.Context, c *Caller, id RepoID, tag string) error {
	repo, err := s.FindRepo(ctx, c, id, ActionWrite)
	if err != nil {
		return err
	}
	return s.deleteRef(ctx, repo, TagPrefix+strings.TrimPrefix(tag, TagPrefix))
}

// ValidateRefName checks a branch or tag name (without "refs/heads/" or
// "refs/tags/") against git's check-ref-format rules.
func ValidateRefName(what, name string) error {
	if reason := badRefReason(name); reason != "" {
		return Errorf(ErrInvalid, "Invalid %s name %q: %s", what, name, reason)
	}
	return nil
}

func badRefReason(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.HasPrefix(name, "refs/"):
		return "must not start with refs/"
	case name == "HEAD" || name == "@":
		return "reserved name"
	case strings.Contains(name, "..") || strings.Contains(name, "@{") || strings.Contains(name, "//"):
		return "must not contain '..', '@{' or '//'"
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.HasSuffix(name, "."):
		return "must not start or end with '/' or end with '.'"
	case strings.ContainsAny(name, " ~^:?*[\\\x7f"):
		return "must not contain spaces or any of ~^:?*[\\"
	case len(name) > 255:
		return "too long"
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") || strings.HasSuffix(seg, ".lock") {
			return "no segment may start with '.' or end with '.lock'"
		}
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 {
			return "must not contain control characters"
		}
	}
	return ""
}

// ListCommits returns commits newest first along the first-parent chain
// from rev, skipping offset and returning at most limit (limit <= 0: all),
// with the length of the whole chain.
func (s *Service) ListCommits(ctx context.Context, rev *Revision, offset, limit int) ([]CommitInfo, int, error) {
	total, err := s.historyLength(ctx, rev.Commit)
	if err != nil {
		return nil, 0, err
	}
	var out []CommitInfo
	id := rev.Commit
	for i := 0; id != "" && (limit <= 0 || len(out) < limit); i++ {
		c, err := s.readCommit(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		if i >= offset {
			out = append(out, *commitInfo(id, c))
		}
		id = firstParent(c)
	}
	return out, total, nil
}

func firstParent(c *commitObject) string {
	if len(c.Parents) == 0 {
		return ""
	}
	return c.Parents[0]
}

// historyLength counts the first-parent chain from id, memoizing every
// commit's count (commits are immutable).
func (s *Service) historyLength(ctx context.Context, id string) (int, error) {
	var chain []string
	base := 0
	for id != "" {
		if v, ok := s.cacheGet("depth:" + id); ok {
			base = v.(int)
			break
		}
		c, err := s.readCommit(ctx, id)
		if err != nil {
			return 0, err
		}
		chain = append(chain, id)
		id = firstParent(c)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		base++
		s.cacheAdd("depth:"+chain[i], base, 64)
	}
	return base, nil
}
