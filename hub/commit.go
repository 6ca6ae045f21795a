package hub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// OpKind is the kind of a commit operation.
type OpKind int

// Commit operation kinds.
const (
	OpFile         OpKind = iota // add or replace a regular file with Content
	OpLFSFile                    // add or replace a file with an uploaded LFS object
	OpDeleteFile                 // delete one file
	OpDeleteFolder               // delete a directory recursively
)

// Op is one operation of a commit.
type Op struct {
	Kind    OpKind
	Path    string
	OldPath string // rename source (OpFile, OpLFSFile)
	Content []byte // OpFile
	OID     string // OpLFSFile: sha256; "" reuses OldPath's pointer
	Size    int64  // OpLFSFile: 0 = look up
}

// CommitInput is a commit to make on a branch.
type CommitInput struct {
	Branch       string // "" = main
	Summary      string
	Description  string
	ParentCommit string // when set, must be the branch head (a prefix of at least 5 hex is accepted)
	Ops          []Op
}

// CommitInfo describes a commit.
type CommitInfo struct {
	ID      string
	Title   string // first line of the message
	Message string // rest of the message
	Authors []string
	Date    time.Time
	Parents []string
}

// MaxRegularFileSize is the largest file a commit may carry inline.
const MaxRegularFileSize = 10 << 20

// preparedOp is an Op whose path was validated and whose blob was written.
type preparedOp struct {
	Op
	blob string // blob id to put at Path ("" for deletes and reused LFS pointers)
}

// Commit applies ops to a branch head as one new commit and moves the
// branch. Without ParentCommit a lost race re-applies the ops on the new
// head; with it the commit fails with ErrPrecondition. A failed commit moves
// no ref.
func (s *Service) Commit(ctx context.Context, c *Caller, id RepoID, in CommitInput) (*CommitInfo, error) {
	repo, err := s.FindRepo(ctx, c, id, ActionWrite)
	if err != nil {
		return nil, err
	}
	branch := strings.TrimPrefix(in.Branch, BranchPrefix)
	if branch == "" {
		branch = DefaultBranch
	}
	msg, err := commitMessage(in.Summary, in.Description)
	if err != nil {
		return nil, err
	}
	parent := strings.ToLower(in.ParentCommit)
	if parent != "" && (len(parent) < 5 || len(parent) > 40 || !isLowerHex(parent)) {
		return nil, Errorf(ErrInvalid, "invalid parentCommit %q", in.ParentCommit)
	}
	ops, err := s.prepareOps(ctx, repo, in.Ops)
	if err != nil {
		return nil, err
	}
	info, err := s.commitLoop(ctx, c, repo, BranchPrefix+branch, parent, ops, msg)
	if err != nil {
		return nil, err
	}
	if branch == DefaultBranch {
		if err := s.refreshIndex(ctx, repo.ID); err != nil {
			return nil, fmt.Errorf("commit %s landed, but updating the repo index failed: %w", info.ID, err)
		}
	}
	return info, nil
}

func (s *Service) commitLoop(ctx context.Context, c *Caller, repo *Repo, ref, parent string, ops []preparedOp, msg string) (*CommitInfo, error) {
	for attempt := 0; ; attempt++ {
		head, err := s.Meta.GetRef(ctx, repo.Key, ref)
		if errors.Is(err, ErrNotFound) {
			return nil, NotFoundf(ErrRevisionNotFound, "Invalid rev id: %s", strings.TrimPrefix(ref, BranchPrefix))
		}
		if err != nil {
			return nil, err
		}
		if parent != "" && !strings.HasPrefix(head, parent) {
			return nil, staleParent(parent)
		}
		info, err := s.buildCommit(ctx, c, head, ops, msg)
		if err != nil {
			return nil, err
		}
		err = s.Meta.UpdateRef(ctx, repo.Key, ref, head, info.ID)
		switch {
		case err == nil:
			return info, nil
		case !errors.Is(err, ErrPrecondition):
			return nil, fmt.Errorf("commit: move %s: %w", ref, err)
		case parent != "":
			return nil, staleParent(parent)
		case attempt >= maxRetries:
			return nil, &Error{Kind: ErrConflict, Message: "Too many concurrent commits on this branch, try again", Err: err}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(rand.N(time.Duration(attempt+1) * 2 * time.Millisecond)):
		}
	}
}

func staleParent(parent string) error {
	return Errorf(ErrPrecondition, "The branch was updated since you opened this page (parent commit %s is not the head of the branch); reload and try again", parent)
}

// buildCommit applies ops to head's tree and writes the trees and the commit.
func (s *Service) buildCommit(ctx context.Context, c *Caller, head string, ops []preparedOp, msg string) (*CommitInfo, error) {
	hc, err := s.readCommit(ctx, head)
	if err != nil {
		return nil, err
	}
	ed := newTreeEditor(s, hc.Tree)
	for _, op := range ops {
		if err := applyOp(ctx, ed, op); err != nil {
			return nil, err
		}
	}
	tree, err := ed.write(ctx)
	if err != nil {
		return nil, err
	}
	sig := s.signature(c, s.now())
	obj := &commitObject{Tree: tree, Parents: []string{head}, Author: sig, Committer: sig, Message: msg}
	id, err := s.writeObject(ctx, objCommit, encodeCommit(obj))
	if err != nil {
		return nil, err
	}
	return commitInfo(id, obj), nil
}

func applyOp(ctx context.Context, ed *treeEditor, op preparedOp) error {
	switch op.Kind {
	case OpDeleteFile:
		return ed.remove(ctx, op.Path, false)
	case OpDeleteFolder:
		return ed.remove(ctx, op.Path, true)
	}
	blob := op.blob
	if op.OldPath != "" {
		old, err := ed.getFile(ctx, op.OldPath)
		if err != nil {
			return err
		}
		if blob == "" {
			blob = old.id
		}
		if op.OldPath != op.Path {
			if err := ed.remove(ctx, op.OldPath, false); err != nil {
				return err
			}
		}
	}
	return ed.put(ctx, op.Path, blob)
}

// prepareOps validates every op and writes the blobs of new content once,
// before any attempt. Nothing is committed when one op is bad.
func (s *Service) prepareOps(ctx context.Context, repo *Repo, ops []Op) ([]preparedOp, error) {
	if len(ops) == 0 {
		return nil, Errorf(ErrInvalid, "a commit needs at least one operation")
	}
	out := make([]preparedOp, len(ops))
	for i, op := range ops {
		if op.Kind == OpDeleteFolder {
			op.Path = strings.TrimSuffix(op.Path, "/")
		}
		op.OID = strings.ToLower(op.OID)
		if err := ValidatePath(op.Path); err != nil {
			return nil, err
		}
		if op.OldPath != "" {
			if err := ValidatePath(op.OldPath); err != nil {
				return nil, err
			}
		}
		out[i].Op = op
	}
	for i := range out {
		blob, err := s.prepareBlob(ctx, repo, out[i].Op)
		if err != nil {
			return nil, err
		}
		out[i].blob = blob
	}
	return out, nil
}

// prepareBlob writes the blob an add operation puts in the tree.
func (s *Service) prepareBlob(ctx context.Context, repo *Repo, op Op) (string, error) {
	switch op.Kind {
	case OpDeleteFile, OpDeleteFolder:
		return "", nil
	case OpFile:
		if len(op.Content) > MaxRegularFileSize {
			return "", Errorf(ErrInvalid, "Your push was rejected because %s is larger than 10 MiB (%d bytes); use LFS for large files", op.Path, len(op.Content))
		}
		return s.writeObject(ctx, objBlob, op.Content)
	case OpLFSFile:
		if op.OID == "" {
			if op.OldPath == "" {
				return "", Errorf(ErrInvalid, "LFS file %s: oid is required", op.Path)
			}
			return "", nil
		}
		size, err := s.checkLFSHeld(ctx, repo, op)
		if err != nil {
			return "", err
		}
		return s.writeObject(ctx, objBlob, lfsPointer(op.OID, size))
	}
	return "", Errorf(ErrInvalid, "unknown operation %d on %s", op.Kind, op.Path)
}

// checkLFSHeld checks that the repo holds the op's LFS object and returns its size.
func (s *Service) checkLFSHeld(ctx context.Context, repo *Repo, op Op) (int64, error) {
	oid := op.OID
	if err := checkSHA256(oid); err != nil {
		return 0, err
	}
	size, err := s.Meta.GetLFSObject(ctx, repo.Key, oid)
	if errors.Is(err, ErrNotFound) {
		return 0, Errorf(ErrInvalid, "LFS object %s of file %s was not uploaded to this repo; upload it before committing", oid, op.Path)
	}
	if err != nil {
		return 0, err
	}
	if op.Size != 0 && op.Size != size {
		return 0, Errorf(ErrInvalid, "LFS file %s: size %d does not match the uploaded object (%d bytes)", op.Path, op.Size, size)
	}
	return size, nil
}

// commitMessage joins summary and description as git stores them.
func commitMessage(summary, description string) (string, error) {
	summary = strings.TrimSpace(summary)
	if summary == "" {
		return "", Errorf(ErrInvalid, "the commit summary is required")
	}
	msg := summary
	if d := strings.TrimSpace(description); d != "" {
		msg += "\n\n" + d
	}
	return msg + "\n", nil
}

// commitInfo describes a decoded commit.
func commitInfo(id string, c *commitObject) *CommitInfo {
	title, rest, _ := strings.Cut(c.Message, "\n")
	return &CommitInfo{
		ID:      id,
		Title:   title,
		Message: strings.Trim(rest, "\n"),
		Authors: []string{c.Author.Name},
		Date:    c.Committer.When.UTC(),
		Parents: c.Parents,
	}
}
