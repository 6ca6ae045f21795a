package hub_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"quarry/hub"
)

// countingBlobs counts the objects written under uploads/ (LFS content
// streaming in).
type countingBlobs struct {
	hub.BlobStore
	uploads atomic.Int64
}

func (b *countingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if strings.HasPrefix(key, "uploads/") {
		b.uploads.Add(1)
	}
	return b.BlobStore.Put(ctx, key, r)
}

// pushResult plays the trainer's upload: files to the candidate repo,
// paths under onnx/ through LFS.
func (e *trainEnv) pushResult(t *testing.T, c *hub.Caller, repo hub.RepoID, files map[string]string) {
	t.Helper()
	var ops []hub.Op
	for p, content := range files {
		if strings.HasPrefix(p, "onnx/") {
			obj, err := e.svc.StoreLFS(ctx, c, repo, strings.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			ops = append(ops, hub.Op{Kind: hub.OpLFSFile, Path: p, OID: obj.OID, Size: obj.Size})
		} else {
			ops = append(ops, hub.Op{Kind: hub.OpFile, Path: p, Content: []byte(content)})
		}
	}
	if _, err := e.svc.Commit(ctx, c, repo, hub.CommitInput{Summary: "result", Ops: ops}); err != nil {
		t.Fatal(err)
	}
}

// files returns path -> content of every file of repo's main.
func (e *trainEnv) files(t *testing.T, c *hub.Caller, repo hub.RepoID) map[string]string {
	t.Helper()
	rev, err := e.svc.ResolveRevision(ctx, c, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := e.svc.Tree(ctx, rev, "", true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, en := range entries {
		if en.Type != hub.EntryFile {
			continue
		}
		f, err := e.svc.Stat(ctx, rev, en.Path, false)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := e.svc.OpenFile(ctx, f, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[en.Path] = string(b)
	}
	return out
}

func TestPublishProject(t *testing.T) {
	e := newTrainEnv(t)
	blobs := &countingBlobs{BlobStore: e.blobs}
	e.svc.Blobs = blobs
	st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "amber"}, Dataset: e.data,
		Positive: "mine", Candidates: []hub.CandidateInput{{Head: "logreg"}, {Head: "mlp"}}})
	e.waitStarted(t, 2)
	_, err := e.tr.PublishProject(ctx, e.alice, st.Project.ID, hub.PublishInput{})
	wantKind(t, err, hub.ErrConflict) // nothing succeeded yet
	logreg := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber-logreg"}
	mlp := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber-mlp"}
	model := strings.Repeat("onnx bytes ", 1000)
	e.pushResult(t, e.alice, logreg, map[string]string{"README.md": "# logreg\n", "config.json": `{"id2label":{}}`,
		"onnx/model.onnx": model, "examples/a.txt": "x"})
	e.pushResult(t, e.alice, mlp, map[string]string{"README.md": "# mlp\n", "onnx/model.onnx": model + "mlp"})
	e.finish(t, st, "logreg", hub.JobSucceeded, map[string]float64{"f1": 0.9})
	_, err = e.tr.PublishProject(ctx, e.alice, st.Project.ID, hub.PublishInput{Candidate: "mlp"})
	wantKind(t, err, hub.ErrConflict) // mlp still running
	e.finish(t, st, "mlp", hub.JobSucceeded, map[string]float64{"f1": 0.8})

	uploads := blobs.uploads.Load()
	pub, err := e.tr.PublishProject(ctx, e.alice, st.Project.ID, hub.PublishInput{Private: true})
	if err != nil {
		t.Fatalf("PublishProject: %v", err)
	}
	target := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "amber"}
	if pub.Candidate != "logreg" || pub.Repo != target || pub.Commit != e.head(t, target) {
		t.Fatalf("publication %+v", pub)
	}
	if diff := cmpDiff(e.files(t, e.alice, logreg), e.files(t, e.alice, target)); diff != "" {
		t.Fatalf("published files differ from the winner's (-want +got):\n%s", diff)
	}
	if n := blobs.uploads.Load(); n != uploads {
		t.Fatalf("publishing wrote %d LFS uploads, want none", n-uploads)
	}
	repo, err := e.meta.GetRepo(ctx, target)
	if err != nil || !repo.Private {
		t.Fatalf("published repo %+v, %v", repo, err)
	}
	rev, _ := e.svc.ResolveRevision(ctx, e.alice, target, "main")
	f, err := e.svc.Stat(ctx, rev, "onnx/model.onnx", false)
	if err != nil || f.Entry.LFS == nil {
		t.Fatalf("onnx/model.onnx: %+v, %v", f, err)
	}
	if size, err := e.meta.GetLFSObject(ctx, repo.Key, f.Entry.LFS.OID); err != nil || size != int64(len(model)) {
		t.Fatalf("target's LFS possession: %d, %v", size, err)
	}
	if got := e.get(t, st.Project.ID).Project.Published; got == nil || *got != *pub {
		t.Fatalf("recorded publication %+v, want %+v", got, pub)
	}

	// Publishing another candidate over it leaves exactly that candidate's files.
	pub2, err := e.tr.PublishProject(ctx, e.alice, st.Project.ID, hub.PublishInput{Candidate: "alice/amber-mlp"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff(e.files(t, e.alice, mlp), e.files(t, e.alice, target)); diff != "" || pub2.Candidate != "mlp" {
		t.Fatalf("second publication %+v (-want +got):\n%s", pub2, diff)
	}
	_, err = e.tr.PublishProject(ctx, e.alice, st.Project.ID, hub.PublishInput{Candidate: "gbdt"})
	wantKind(t, err, hub.ErrNotFound)
	_, err = e.tr.PublishProject(ctx, e.bob, st.Project.ID, hub.PublishInput{})
	wantKind(t, err, hub.ErrNotFound)
}

func TestCopyLFSObjects(t *testing.T) {
	e := newTrainEnv(t)
	src := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "src"}
	dst := hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "dst"}
	bobs := hub.RepoID{Type: hub.Model, Namespace: "bob", Name: "mine"}
	for _, r := range []struct {
		c  *hub.Caller
		id hub.RepoID
	}{{e.alice, src}, {e.alice, dst}, {e.bob, bobs}} {
		if _, err := e.svc.CreateRepo(ctx, r.c, hub.CreateRepoInput{ID: r.id, Private: true}); err != nil {
			t.Fatal(err)
		}
	}
	obj, err := e.svc.StoreLFS(ctx, e.alice, src, bytes.NewReader([]byte("weights")))
	if err != nil {
		t.Fatal(err)
	}
	// Bob cannot claim alice's object, neither from her repo nor from his own.
	_, err = e.svc.CopyLFSObjects(ctx, e.bob, src, bobs, []string{obj.OID})
	wantCode(t, err, "RepoNotFound")
	_, err = e.svc.CopyLFSObjects(ctx, e.bob, bobs, bobs, []string{obj.OID})
	wantKind(t, err, hub.ErrNotFound)
	_, err = e.svc.CopyLFSObjects(ctx, e.alice, src, dst, []string{"xyz"})
	wantKind(t, err, hub.ErrInvalid)
	got, err := e.svc.CopyLFSObjects(ctx, e.alice, src, dst, []string{obj.OID})
	if err != nil || len(got) != 1 || got[0] != obj {
		t.Fatalf("CopyLFSObjects = %v, %v", got, err)
	}
	// dst may now commit the object.
	if _, err := e.svc.Commit(ctx, e.alice, dst, hub.CommitInput{Summary: "w",
		Ops: []hub.Op{{Kind: hub.OpLFSFile, Path: "w.bin", OID: obj.OID, Size: obj.Size}}}); err != nil {
		t.Fatalf("commit of the copied object: %v", err)
	}
}

// tokenCaller authenticates a new token of user with role, so that the
// caller's org memberships are loaded from the store.
func (e *trainEnv) tokenCaller(t *testing.T, user, role string) *hub.Caller {
	t.Helper()
	plain, _, err := e.svc.CreateToken(ctx, user, role, "test")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.Authenticate(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProjectAccess(t *testing.T) {
	e := newTrainEnv(t)
	if _, err := e.svc.CreateOrg(ctx, e.root, "newsroom", "alice"); err != nil {
		t.Fatal(err)
	}
	for user, role := range map[string]string{"dave": hub.OrgRoleWrite, "carol": hub.OrgRoleRead} {
		if _, err := e.svc.AddOrgMember(ctx, e.root, "newsroom", user, role); err != nil {
			t.Fatal(err)
		}
	}
	alice := e.tokenCaller(t, "alice", hub.RoleWrite)
	aliceRead := e.tokenCaller(t, "alice", hub.RoleRead)
	dave := e.tokenCaller(t, "dave", hub.RoleWrite)
	carol := e.tokenCaller(t, "carol", hub.RoleWrite)
	in := hub.ProjectInput{Name: hub.RepoID{Namespace: "newsroom", Name: "amber"}, Dataset: e.data, Positive: "mine",
		Candidates: []hub.CandidateInput{{Head: "logreg"}}}
	_, err := e.tr.CreateProject(ctx, e.bob, in)
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.tr.CreateProject(ctx, aliceRead, in)
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.tr.CreateProject(ctx, dave, in) // dave cannot read alice's private dataset
	wantCode(t, err, "RepoNotFound")
	_, err = e.tr.CreateProject(ctx, &hub.Caller{}, in)
	wantKind(t, err, hub.ErrUnauthorized)
	st, err := e.tr.CreateProject(ctx, alice, in)
	if err != nil {
		t.Fatal(err)
	}
	own := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "own"}, Dataset: e.data,
		Positive: "mine", Candidates: []hub.CandidateInput{{Head: "mlp"}}})
	id := st.Project.ID
	for _, tc := range []struct {
		who        string
		c          *hub.Caller
		get, write error
	}{
		{"alice", alice, nil, nil},
		{"alice read token", aliceRead, nil, hub.ErrForbidden},
		{"dave (org write)", dave, nil, nil},
		{"carol (org read)", carol, hub.ErrNotFound, hub.ErrNotFound},
		{"bob", e.bob, hub.ErrNotFound, hub.ErrNotFound},
		{"root", e.root, nil, nil},
		{"anonymous", &hub.Caller{}, hub.ErrUnauthorized, hub.ErrUnauthorized},
	} {
		_, err := e.tr.GetProject(ctx, tc.c, id)
		if (err == nil) != (tc.get == nil) || tc.get != nil && hub.ErrorKind(err) != tc.get {
			t.Fatalf("%s: GetProject err = %v, want %v", tc.who, err, tc.get)
		}
		_, err = e.tr.PublishProject(ctx, tc.c, id, hub.PublishInput{Candidate: "nope"})
		want := tc.write
		if want == nil {
			want = hub.ErrNotFound // allowed: the candidate is missing
		}
		if hub.ErrorKind(err) != want || tc.write == nil && !strings.Contains(hub.ErrorMessage(err), "no candidate") {
			t.Fatalf("%s: PublishProject err = %v, want %v", tc.who, err, want)
		}
	}
	for _, tc := range []struct {
		who  string
		c    *hub.Caller
		ns   string
		want []string
	}{
		{"alice", alice, "", []string{"newsroom/amber", "alice/own"}},
		{"alice in newsroom", alice, "newsroom", []string{"newsroom/amber"}},
		{"dave", dave, "", []string{"newsroom/amber"}},
		{"carol", carol, "", nil},
		{"bob in alice", e.bob, "alice", nil},
		{"root", e.root, "", []string{"newsroom/amber", "alice/own"}},
	} {
		list, err := e.tr.ListProjects(ctx, tc.c, tc.ns)
		if err != nil {
			t.Fatalf("%s: ListProjects: %v", tc.who, err)
		}
		var got []string
		for _, p := range list {
			got = append(got, p.Project.Name.String())
		}
		if diff := cmpDiff(tc.want, got); diff != "" {
			t.Fatalf("%s: ListProjects (-want +got):\n%s", tc.who, diff)
		}
	}
	_, err = e.tr.ListProjects(ctx, &hub.Caller{}, "")
	wantKind(t, err, hub.ErrUnauthorized)
	if _, err := e.tr.CancelProject(ctx, dave, id); err != nil {
		t.Fatalf("dave cancels the org project: %v", err)
	}
	_, err = e.tr.CancelProject(ctx, aliceRead, own.Project.ID)
	wantKind(t, err, hub.ErrForbidden)
}

// waitRunner is a runner whose tasks end when told, recording its calls.
type waitRunner struct {
	name  string
	exits chan hub.JobExit
	calls []string
}

func (r *waitRunner) Name() string { return r.name }
func (r *waitRunner) Start(_ context.Context, job *hub.Job, _ map[string]string) (string, error) {
	r.calls = append(r.calls, "start "+job.ID)
	return "t-" + job.ID, nil
}
func (r *waitRunner) Cancel(_ context.Context, h string) error {
	r.calls = append(r.calls, "cancel "+h)
	return nil
}
func (r *waitRunner) Logs(_ context.Context, h string, _ bool) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(r.name + " log of " + h)), nil
}
func (r *waitRunner) Wait(ctx context.Context, h string) (hub.JobExit, error) {
	select {
	case e := <-r.exits:
		return e, nil
	case <-ctx.Done():
		return hub.JobExit{}, ctx.Err()
	case <-time.After(time.Second):
		return hub.JobExit{Code: 3}, nil
	}
}

func TestRunnerSet(t *testing.T) {
	proc := &waitRunner{name: "process", exits: make(chan hub.JobExit, 1)}
	pod := &waitRunner{name: "podman", exits: make(chan hub.JobExit, 1)}
	if _, err := hub.NewRunnerSet(proc, &trainRunner{}); err == nil {
		t.Fatal("a runner that does not wait was accepted")
	}
	if _, err := hub.NewRunnerSet(proc, proc); err == nil {
		t.Fatal("a duplicate runner was accepted")
	}
	rs, err := hub.NewRunnerSet(proc, pod)
	if err != nil {
		t.Fatal(err)
	}
	rs.SetUnavailable("batch", "no AWS here")
	if rs.Name() != hub.RunnerSetName || rs.Default() != "process" || rs.Check("podman") != nil {
		t.Fatalf("set %s default %s, podman: %v", rs.Name(), rs.Default(), rs.Check("podman"))
	}
	if err := rs.Check("batch"); !strings.Contains(hub.ErrorMessage(err), "no AWS here") {
		t.Fatalf("Check(batch) = %v", err)
	}
	wantKind(t, rs.Check("ecs"), hub.ErrInvalid)
	h1, err := rs.Start(ctx, &hub.Job{ID: "j1", Spec: map[string]string{hub.SpecTrainRunner: "podman"}}, nil)
	if err != nil || h1 != "podman:t-j1" {
		t.Fatalf("Start on podman = %q, %v", h1, err)
	}
	h2, err := rs.Start(ctx, &hub.Job{ID: "j2"}, nil)
	if err != nil || h2 != "process:t-j2" {
		t.Fatalf("Start on the default = %q, %v", h2, err)
	}
	_, err = rs.Start(ctx, &hub.Job{ID: "j3", Spec: map[string]string{hub.SpecTrainRunner: "batch"}}, nil)
	wantKind(t, err, hub.ErrInvalid)
	pod.exits <- hub.JobExit{Code: 0}
	if ex, err := rs.Wait(ctx, h1); err != nil || ex.Code != 0 {
		t.Fatalf("Wait = %+v, %v", ex, err)
	}
	if err := rs.Cancel(ctx, h2); err != nil || proc.calls[len(proc.calls)-1] != "cancel t-j2" {
		t.Fatalf("Cancel: %v, calls %v", err, proc.calls)
	}
	rc, err := rs.Logs(ctx, h1, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if string(b) != "podman log of t-j1" {
		t.Fatalf("Logs = %q", b)
	}
	_, err = rs.Logs(ctx, "other:x", false)
	wantKind(t, err, hub.ErrNotFound)
	if err := rs.Cancel(ctx, "garbage"); err != nil {
		t.Fatalf("Cancel of an unknown handle: %v", err)
	}
}
