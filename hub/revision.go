package hub

import (
	"context"
	"errors"
	"strings"
)

// Revision is a resolved revision of a repo: the commit, and the full ref
// name it came from ("" when given as a commit id).
type Revision struct {
	Repo   *Repo
	Commit string // 40 hex
	Ref    string // "refs/heads/main", "refs/tags/v1" or ""
}

// ResolveRevision finds the repo (read access) and resolves rev: "" and
// "HEAD" mean the default branch; then a full ref name ("refs/heads/x"), a
// branch, a tag, or a full 40-hex commit id that exists. Unknown revisions
// give ErrRevisionNotFound.
func (s *Service) ResolveRevision(ctx context.Context, c *Caller, id RepoID, rev string) (*Revision, error) {
	repo, err := s.FindRepo(ctx, c, id, ActionRead)
	if err != nil {
		return nil, err
	}
	return s.resolve(ctx, repo, rev)
}

// ResolveRevisionPath splits "rev/path" where rev itself may contain '/'
// (when a proxy decoded %2F): the longest prefix naming a branch or tag wins;
// otherwise the first segment is resolved as a revision. It returns the
// revision and the remaining path ("" when none).
func (s *Service) ResolveRevisionPath(ctx context.Context, c *Caller, id RepoID, revPath string) (*Revision, string, error) {
	repo, err := s.FindRepo(ctx, c, id, ActionRead)
	if err != nil {
		return nil, "", err
	}
	refs, err := s.Meta.ListRefs(ctx, repo.Key)
	if err != nil {
		return nil, "", err
	}
	known := map[string]Ref{}
	for _, r := range refs {
		known[r.Name] = r
		if short, ok := shortRefName(r.Name); ok {
			if _, taken := known[short]; !taken || strings.HasPrefix(r.Name, BranchPrefix) {
				known[short] = r
			}
		}
	}
	for i := len(revPath); i > 0; i = strings.LastIndexByte(revPath[:i], '/') {
		if r, ok := known[revPath[:i]]; ok {
			return &Revision{Repo: repo, Commit: r.Commit, Ref: r.Name}, strings.TrimPrefix(revPath[i:], "/"), nil
		}
	}
	first, rest, _ := strings.Cut(revPath, "/")
	rev, err := s.resolve(ctx, repo, first)
	return rev, rest, err
}

func shortRefName(name string) (string, bool) {
	if b, ok := strings.CutPrefix(name, BranchPrefix); ok {
		return b, true
	}
	return strings.CutPrefix(name, TagPrefix)
}

// refCandidates lists the full ref names rev may mean, in priority order.
func refCandidates(rev string) []string {
	switch {
	case rev == "" || rev == "HEAD":
		return []string{BranchPrefix + DefaultBranch}
	case strings.HasPrefix(rev, "refs/"):
		return []string{rev}
	}
	return []string{BranchPrefix + rev, TagPrefix + rev}
}

func (s *Service) resolve(ctx context.Context, repo *Repo, rev string) (*Revision, error) {
	for _, name := range refCandidates(rev) {
		commit, err := s.Meta.GetRef(ctx, repo.Key, name)
		if err == nil {
			return &Revision{Repo: repo, Commit: commit, Ref: name}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	if sha := strings.ToLower(rev); isHexID(sha) {
		ok, err := s.reachable(ctx, repo, sha)
		if err != nil {
			return nil, err
		}
		if ok {
			return &Revision{Repo: repo, Commit: sha}, nil
		}
	}
	return nil, NotFoundf(ErrRevisionNotFound, "Invalid rev id: %s", rev)
}

// reachable reports whether commit sha is in the history of one of repo's
// refs. Objects are shared by all repos, so a bare commit id must not open
// another (private) repo's content.
func (s *Service) reachable(ctx context.Context, repo *Repo, sha string) (bool, error) {
	memo := "reach:" + repo.Key + ":" + sha
	if _, ok := s.cacheGet(memo); ok {
		return true, nil
	}
	if ok, err := s.commitExists(ctx, sha); err != nil || !ok {
		return false, err
	}
	refs, err := s.Meta.ListRefs(ctx, repo.Key)
	if err != nil {
		return false, err
	}
	seen := map[string]bool{}
	var queue []string
	for _, r := range refs {
		queue = append(queue, r.Commit)
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		if id == sha {
			s.cacheAdd(memo, true, len(memo)+16)
			return true, nil
		}
		c, err := s.readCommit(ctx, id)
		if err != nil {
			return false, err
		}
		queue = append(queue, c.Parents...)
	}
	return false, nil
}
