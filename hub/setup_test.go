package hub_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubtest"
)

// env is a Service over in-memory stores with a fixed, advancing clock.
type env struct {
	svc   *hub.Service
	blobs *hubtest.MemBlobStore
	meta  *hubtest.MemMeta
	alice *hub.Caller
	bob   *hub.Caller
	anon  *hub.Caller
	now   time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		blobs: hubtest.NewMemBlobStore(),
		meta:  hubtest.NewMemMeta(),
		alice: &hub.Caller{User: &hub.User{Name: "alice"}},
		bob:   &hub.Caller{User: &hub.User{Name: "bob"}},
		anon:  &hub.Caller{},
		now:   time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	}
	e.svc = hub.NewService(e.blobs, e.meta, []byte("0123456789abcdef0123456789abcdef"))
	e.svc.Now = func() time.Time { return e.now }
	return e
}

var ctx = context.Background()

func modelID(name string) hub.RepoID {
	return hub.RepoID{Type: hub.Model, Namespace: "alice", Name: name}
}

// newRepo creates alice/<name>.
func (e *env) newRepo(t *testing.T, name string) hub.RepoID {
	t.Helper()
	id := modelID(name)
	if _, err := e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: id}); err != nil {
		t.Fatalf("CreateRepo: %v", err)
	}
	return id
}

// commit makes a commit on main as alice and fails the test on error.
func (e *env) commit(t *testing.T, id hub.RepoID, summary string, ops ...hub.Op) *hub.CommitInfo {
	t.Helper()
	info, err := e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Summary: summary, Ops: ops})
	if err != nil {
		t.Fatalf("Commit %q: %v", summary, err)
	}
	return info
}

func addFile(path, content string) hub.Op {
	return hub.Op{Kind: hub.OpFile, Path: path, Content: []byte(content)}
}

func (e *env) rev(t *testing.T, id hub.RepoID, rev string) *hub.Revision {
	t.Helper()
	r, err := e.svc.ResolveRevision(ctx, e.alice, id, rev)
	if err != nil {
		t.Fatalf("ResolveRevision(%q): %v", rev, err)
	}
	return r
}

func (e *env) head(t *testing.T, id hub.RepoID) string {
	t.Helper()
	return e.rev(t, id, "main").Commit
}

// read returns the served bytes of path at rev.
func (e *env) read(t *testing.T, rev *hub.Revision, path string, raw bool) string {
	t.Helper()
	f, err := e.svc.Stat(ctx, rev, path, raw)
	if err != nil {
		t.Fatalf("Stat(%q): %v", path, err)
	}
	rc, err := e.svc.OpenFile(ctx, f, 0, -1)
	if err != nil {
		t.Fatalf("OpenFile(%q): %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// paths lists the recursive tree at rev as "path" for files and "path/" for dirs.
func (e *env) paths(t *testing.T, rev *hub.Revision) []string {
	t.Helper()
	entries, err := e.svc.Tree(ctx, rev, "", true)
	if err != nil {
		t.Fatalf("Tree: %v", err)
	}
	var out []string
	for _, en := range entries {
		if en.Type == hub.EntryDirectory {
			out = append(out, en.Path+"/")
		} else {
			out = append(out, en.Path)
		}
	}
	return out
}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := hub.ErrorCode(err); got != code {
		t.Fatalf("err = %v (code %q), want code %q", err, got, code)
	}
}
