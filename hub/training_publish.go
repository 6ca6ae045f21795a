package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// PublishInput chooses what a project publishes.
type PublishInput struct {
	// Candidate is a candidate's name or its repo id "ns/name"; "" means
	// the winner.
	Candidate string
	// Private is the visibility of the project's repo when publishing
	// creates it (an existing repo keeps its own).
	Private bool
}

// PublishProject copies the files of a succeeded candidate's repo at its
// head into the project's repo Name (created when missing) as one commit,
// deleting what the candidate does not have: the repo then holds exactly
// the candidate's files. LFS files are not copied: the project's repo is
// recorded as holding the candidate's objects (CopyLFSObjects).
func (tr *Training) PublishProject(ctx context.Context, c *Caller, id string, in PublishInput) (*Publication, error) {
	p, err := tr.load(ctx, c, id, true)
	if err != nil {
		return nil, err
	}
	st, err := tr.status(ctx, p)
	if err != nil {
		return nil, err
	}
	cand, err := pickCandidate(st, in.Candidate)
	if err != nil {
		return nil, err
	}
	src, err := tr.svc.ResolveRevision(ctx, c, cand.Repo, DefaultBranch)
	if err != nil {
		return nil, err
	}
	if err := tr.ensureRepo(ctx, c, p.Name, in.Private); err != nil {
		return nil, err
	}
	ops, err := tr.svc.copyOps(ctx, c, src, p.Name)
	if err != nil {
		return nil, err
	}
	info, err := tr.svc.Commit(ctx, c, p.Name, CommitInput{
		Summary:     fmt.Sprintf("Publish %s from training project %s", cand.Name, p.Name),
		Description: fmt.Sprintf("Files of %s at %s (training project %s).", cand.Repo, src.Commit, p.ID),
		Ops:         ops})
	if err != nil {
		return nil, err
	}
	pub := Publication{Candidate: cand.Name, Repo: p.Name, Commit: info.ID, At: tr.svc.now()}
	if _, err := tr.update(ctx, p.ID, func(q *Project) bool {
		q.Published = &pub
		return true
	}, nil); err != nil {
		return nil, err
	}
	return &pub, nil
}

// pickCandidate returns the named candidate (or the winner), which must
// have succeeded.
func pickCandidate(st *ProjectStatus, name string) (*CandidateStatus, error) {
	if name == "" {
		if st.Winner == nil {
			return nil, Errorf(ErrConflict, "no candidate of project %s succeeded with a %s value yet", st.Project.Name, st.Project.Metric)
		}
		return st.Winner, nil
	}
	for i := range st.Leaderboard {
		c := &st.Leaderboard[i]
		if c.Name != name && !strings.EqualFold(c.Repo.String(), name) {
			continue
		}
		if c.Job == nil || c.Job.State != JobSucceeded {
			state := "not submitted"
			if c.Job != nil {
				state = string(c.Job.State)
			}
			return nil, Errorf(ErrConflict, "candidate %s has not succeeded (%s)", c.Name, state)
		}
		return c, nil
	}
	return nil, Errorf(ErrNotFound, "project %s has no candidate %q", st.Project.Name, name)
}

// ensureRepo checks the caller may write to id, creating it when missing.
func (tr *Training) ensureRepo(ctx context.Context, c *Caller, id RepoID, private bool) error {
	_, err := tr.svc.FindRepo(ctx, c, id, ActionWrite)
	if ErrorCode(err) != "RepoNotFound" {
		return err
	}
	if _, gerr := tr.svc.Meta.GetRepo(ctx, id); !errors.Is(gerr, ErrNotFound) {
		return err // it exists: the caller may not see it
	}
	_, err = tr.svc.CreateRepo(ctx, c, CreateRepoInput{ID: id, Private: private})
	return err
}

// copyOps returns the commit operations that make repo to's main branch
// hold exactly the files of src.
func (s *Service) copyOps(ctx context.Context, c *Caller, src *Revision, to RepoID) ([]Op, error) {
	files, err := s.Tree(ctx, src, "", true)
	if err != nil {
		return nil, err
	}
	var ops []Op
	var oids []string
	keep := map[string]bool{}
	for _, e := range files {
		if e.Type != EntryFile {
			continue
		}
		keep[e.Path] = true
		if e.LFS != nil {
			oids = append(oids, e.LFS.OID)
			ops = append(ops, Op{Kind: OpLFSFile, Path: e.Path, OID: e.LFS.OID, Size: e.LFS.Size})
			continue
		}
		data, err := s.readRegular(ctx, src, e.Path)
		if err != nil {
			return nil, err
		}
		ops = append(ops, Op{Kind: OpFile, Path: e.Path, Content: data})
	}
	if _, err := s.CopyLFSObjects(ctx, c, src.Repo.ID, to, oids); err != nil {
		return nil, err
	}
	dst, err := s.ResolveRevision(ctx, c, to, DefaultBranch)
	if err != nil {
		return nil, err
	}
	old, err := s.Tree(ctx, dst, "", true)
	if err != nil {
		return nil, err
	}
	for _, e := range old {
		if e.Type == EntryFile && !keep[e.Path] {
			ops = append(ops, Op{Kind: OpDeleteFile, Path: e.Path})
		}
	}
	return ops, nil
}

// readRegular reads a regular (non-LFS) file.
func (s *Service) readRegular(ctx context.Context, rev *Revision, p string) ([]byte, error) {
	f, err := s.Stat(ctx, rev, p, true)
	if err != nil {
		return nil, err
	}
	if f.Size > MaxRegularFileSize {
		return nil, Errorf(ErrTooLarge, "%s is %d bytes, larger than a regular file may be", p, f.Size)
	}
	rc, err := s.OpenFile(ctx, f, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// CopyLFSObjects records that repo to holds the LFS objects oids that repo
// from holds, without moving bytes (content is stored once by sha256): the
// in-process counterpart of uploading them again. The caller must be able
// to read from and write to; an oid that from does not hold gives
// ErrNotFound and records nothing.
func (s *Service) CopyLFSObjects(ctx context.Context, c *Caller, from, to RepoID, oids []string) ([]LFSObject, error) {
	src, err := s.FindRepo(ctx, c, from, ActionRead)
	if err != nil {
		return nil, err
	}
	dst, err := s.FindRepo(ctx, c, to, ActionWrite)
	if err != nil {
		return nil, err
	}
	out := make([]LFSObject, len(oids))
	for i, oid := range oids {
		if err := checkSHA256(oid); err != nil {
			return nil, err
		}
		size, err := s.Meta.GetLFSObject(ctx, src.Key, oid)
		if errors.Is(err, ErrNotFound) {
			return nil, Errorf(ErrNotFound, "%s does not hold the LFS object %s", from, oid)
		} else if err != nil {
			return nil, fmt.Errorf("copy LFS objects: %w", err)
		}
		if _, err := s.Blobs.Stat(ctx, lfsKey(oid)); err != nil {
			return nil, fmt.Errorf("copy LFS object %s: %w", oid, err)
		}
		out[i] = LFSObject{OID: oid, Size: size}
	}
	for _, o := range out {
		if err := s.Meta.AddLFSObject(ctx, dst.Key, o.OID, o.Size); err != nil {
			return nil, fmt.Errorf("copy LFS object %s to %s: %w", o.OID, to, err)
		}
	}
	return out, nil
}
