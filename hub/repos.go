package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// CreateRepoInput describes a repo to create.
type CreateRepoInput struct {
	ID      RepoID
	Private bool
}

// RepoSettings is a partial update of a repo's settings; nil fields are kept.
type RepoSettings struct {
	Private *bool
	Gated   *string // "", "auto" or "manual"
}

// maxRetries bounds the optimistic-concurrency retries of ref and record updates.
const maxRetries = 20

// CreateRepo creates a repo whose main branch holds an "initial commit" with
// the HF default .gitattributes. An existing repo gives ErrConflict.
func (s *Service) CreateRepo(ctx context.Context, c *Caller, in CreateRepoInput) (*Repo, error) {
	id := normalizeID(in.ID)
	if err := id.Validate(); err != nil {
		return nil, err
	}
	if err := s.LoadMemberships(ctx, c); err != nil {
		return nil, err
	}
	if err := AuthorizeNamespace(c, id.Namespace); err != nil {
		return nil, err
	}
	now := s.now()
	head, err := s.initialCommit(ctx, c, id.Type, now)
	if err != nil {
		return nil, err
	}
	r := &Repo{Key: newRepoKey(), ID: id, Private: in.Private, CreatedAt: now, UpdatedAt: now}
	if err := s.Meta.CreateRepo(ctx, r); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, &Error{Kind: ErrConflict, Message: fmt.Sprintf("You already created this %s repo", id.Type), Err: err}
		}
		return nil, fmt.Errorf("create repo %s: %w", id, err)
	}
	if err := s.Meta.UpdateRef(ctx, r.Key, BranchPrefix+DefaultBranch, "", head); err != nil {
		return nil, fmt.Errorf("create repo %s: %w", id, err)
	}
	if err := s.refreshIndex(ctx, r.ID); err != nil {
		return nil, err
	}
	return s.Meta.GetRepo(ctx, r.ID)
}

// initialCommit writes the first commit of a new repo.
func (s *Service) initialCommit(ctx context.Context, c *Caller, t RepoType, now time.Time) (string, error) {
	blob, err := s.writeObject(ctx, objBlob, []byte(defaultGitAttributes(t)))
	if err != nil {
		return "", err
	}
	tree, err := s.writeTree(ctx, []treeEntry{{Mode: modeFile, Name: ".gitattributes", ID: blob}})
	if err != nil {
		return "", err
	}
	sig := s.signature(c, now)
	return s.writeObject(ctx, objCommit, encodeCommit(&commitObject{Tree: tree, Author: sig, Committer: sig,
		Message: "initial commit\n"}))
}

func (s *Service) writeTree(ctx context.Context, entries []treeEntry) (string, error) {
	content, err := encodeTree(entries)
	if err != nil {
		return "", err
	}
	return s.writeObject(ctx, objTree, content)
}

// DeleteRepo deletes a repo's record, refs and grants (admin). Objects stay.
func (s *Service) DeleteRepo(ctx context.Context, c *Caller, id RepoID) error {
	r, err := s.FindRepo(ctx, c, id, ActionAdmin)
	if err != nil {
		return err
	}
	if err := s.Meta.DeleteRepo(ctx, r.Key); err != nil {
		return err
	}
	grants, err := s.Meta.ListRepoGrants(ctx, r.Key)
	for _, g := range grants {
		if err == nil {
			err = s.Meta.DeleteGrant(ctx, r.Key, g.Subject)
		}
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete repo grants: %w", err)
	}
	return s.audit(ctx, c, "repo.delete", repoTarget(r.ID), "")
}

// UpdateRepoSettings changes visibility and gating (admin).
func (s *Service) UpdateRepoSettings(ctx context.Context, c *Caller, id RepoID, set RepoSettings) (*Repo, error) {
	r, err := s.FindRepo(ctx, c, id, ActionAdmin)
	if err != nil {
		return nil, err
	}
	if g := set.Gated; g != nil && *g != "" && *g != "auto" && *g != "manual" {
		return nil, Errorf(ErrInvalid, "invalid gated value %q: must be false, \"auto\" or \"manual\"", *g)
	}
	was := r.Private
	r, err = s.updateRepo(ctx, r, func(r *Repo) error {
		if set.Private != nil {
			r.Private = *set.Private
		}
		if set.Gated != nil {
			r.Gated = *set.Gated
		}
		return nil
	})
	if err != nil || r.Private == was {
		return r, err
	}
	vis := "public"
	if r.Private {
		vis = "private"
	}
	return r, s.audit(ctx, c, "repo.visibility", repoTarget(r.ID), vis)
}

// repoTarget names a repo in the audit log: "ns/name", "datasets/ns/name".
func repoTarget(id RepoID) string { return id.Type.URLPrefix() + id.String() }

// MoveRepo renames a repo (admin on from, namespace rights on to). The type
// cannot change; an existing target gives ErrConflict.
func (s *Service) MoveRepo(ctx context.Context, c *Caller, from, to RepoID) error {
	r, err := s.FindRepo(ctx, c, from, ActionAdmin)
	if err != nil {
		return err
	}
	to = normalizeID(to)
	if to.Type != r.ID.Type {
		return Errorf(ErrInvalid, "cannot move a %s repo to a %s repo", r.ID.Type, to.Type)
	}
	if err := to.Validate(); err != nil {
		return err
	}
	if err := s.LoadMemberships(ctx, c); err != nil {
		return err
	}
	if err := AuthorizeNamespace(c, to.Namespace); err != nil {
		return err
	}
	if other, err := s.Meta.GetRepo(ctx, to); err == nil && other.Key != r.Key {
		return Errorf(ErrConflict, "Repository %s already exists", to)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, err = s.updateRepo(ctx, r, func(r *Repo) error { r.ID = to; return nil }); err != nil {
		return err
	}
	return s.audit(ctx, c, "repo.move", repoTarget(r.ID), "to "+repoTarget(to))
}

// FindRepo looks a repo up and checks that c may perform a on it. A missing
// repo gives the same error as a hidden one.
func (s *Service) FindRepo(ctx context.Context, c *Caller, id RepoID, a Action) (*Repo, error) {
	r, err := s.Meta.GetRepo(ctx, normalizeID(id))
	if errors.Is(err, ErrNotFound) {
		return nil, RepoNotVisible(c)
	}
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, r, a); err != nil {
		return nil, err
	}
	return r, nil
}

// ListRepos returns one page of the repos c may see and the next cursor.
func (s *Service) ListRepos(ctx context.Context, c *Caller, f RepoFilter) ([]*Repo, string, error) {
	if err := s.visibleFilter(ctx, c, &f); err != nil {
		return nil, "", err
	}
	return s.Meta.ListRepos(ctx, f)
}

// updateRepo applies mutate to a copy of r and stores it, re-reading the
// record and re-applying on a version conflict.
func (s *Service) updateRepo(ctx context.Context, r *Repo, mutate func(*Repo) error) (*Repo, error) {
	for attempt := 0; ; attempt++ {
		cp := *r
		if err := mutate(&cp); err != nil {
			return nil, err
		}
		err := s.Meta.UpdateRepo(ctx, &cp)
		if err == nil {
			return &cp, nil
		}
		if !errors.Is(err, ErrPrecondition) || attempt >= maxRetries {
			return nil, fmt.Errorf("update repo %s: %w", r.ID, err)
		}
		if r, err = s.Meta.GetRepo(ctx, r.ID); err != nil {
			return nil, err
		}
	}
}

func normalizeID(id RepoID) RepoID {
	if id.Type == "" {
		id.Type = Model
	}
	return id
}

func newRepoKey() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// signature is the author and committer of commits made by c.
func (s *Service) signature(c *Caller, when time.Time) signature {
	name := c.Name()
	if name == "" {
		name = "quarry"
	}
	return signature{Name: name, Email: name + "@users.noreply.quarry", When: when.UTC().Truncate(time.Second)}
}
