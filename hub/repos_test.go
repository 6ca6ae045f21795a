package hub_test

import (
	"strings"
	"testing"

	"quarry/hub"
)

func TestCreateRepo(t *testing.T) {
	e := newEnv(t)
	r, err := e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: modelID("m")})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Key) != 24 || r.Head == "" || !r.CreatedAt.Equal(e.now) || !r.UpdatedAt.Equal(e.now) {
		t.Fatalf("repo record %+v", r)
	}
	rev := e.rev(t, modelID("m"), "HEAD")
	if rev.Commit != r.Head || rev.Ref != "refs/heads/main" {
		t.Fatalf("HEAD = %+v, record head %s", rev, r.Head)
	}
	attrs := e.read(t, rev, ".gitattributes", false)
	if !strings.Contains(attrs, "*.safetensors filter=lfs diff=lfs merge=lfs -text\n") || strings.Contains(attrs, "*.mp3") {
		t.Fatalf("model .gitattributes:\n%s", attrs)
	}
	commits, total, err := e.svc.ListCommits(ctx, rev, 0, 10)
	if err != nil || total != 1 || commits[0].Title != "initial commit" || len(commits[0].Parents) != 0 {
		t.Fatalf("initial history %+v total %d err %v", commits, total, err)
	}

	_, err = e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "M"}})
	wantKind(t, err, hub.ErrConflict)
	_, err = e.svc.CreateRepo(ctx, e.bob, hub.CreateRepoInput{ID: modelID("x")})
	wantKind(t, err, hub.ErrForbidden)
	_, err = e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "bad--name"}})
	wantKind(t, err, hub.ErrInvalid)

	ds := hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "m"}
	if _, err := e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: ds}); err != nil {
		t.Fatalf("dataset with a model's name: %v", err)
	}
	if attrs := e.read(t, e.rev(t, ds, ""), ".gitattributes", false); !strings.Contains(attrs, "*.mp3 filter=lfs") {
		t.Fatalf("dataset .gitattributes lacks media patterns")
	}
}

func TestRepoVisibilityAndSettings(t *testing.T) {
	e := newEnv(t)
	id := modelID("secret")
	if _, err := e.svc.CreateRepo(ctx, e.alice, hub.CreateRepoInput{ID: id, Private: true}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.ResolveRevision(ctx, e.bob, id, "main")
	wantCode(t, err, "RepoNotFound")
	wantKind(t, err, hub.ErrNotFound)
	_, err = e.svc.ResolveRevision(ctx, e.anon, id, "main")
	wantCode(t, err, "RepoNotFound")
	wantKind(t, err, hub.ErrUnauthorized)

	pub, gated := false, "auto"
	r, err := e.svc.UpdateRepoSettings(ctx, e.alice, id, hub.RepoSettings{Private: &pub, Gated: &gated})
	if err != nil || r.Private || r.Gated != "auto" {
		t.Fatalf("UpdateRepoSettings = %+v, %v", r, err)
	}
	if _, err := e.svc.ResolveRevision(ctx, e.bob, id, "main"); err != nil {
		t.Fatalf("public repo hidden from bob: %v", err)
	}
	bad := "sometimes"
	_, err = e.svc.UpdateRepoSettings(ctx, e.alice, id, hub.RepoSettings{Gated: &bad})
	wantKind(t, err, hub.ErrInvalid)
	_, err = e.svc.UpdateRepoSettings(ctx, e.bob, id, hub.RepoSettings{Private: &pub})
	wantKind(t, err, hub.ErrForbidden)

	repos, _, err := e.svc.ListRepos(ctx, e.anon, hub.RepoFilter{Limit: 10})
	if err != nil || len(repos) != 1 {
		t.Fatalf("ListRepos anon = %d repos, %v", len(repos), err)
	}
}

func TestMoveAndDeleteRepo(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "old")
	e.newRepo(t, "taken")
	e.commit(t, id, "add", addFile("a.txt", "a"))
	err := e.svc.MoveRepo(ctx, e.alice, id, modelID("taken"))
	wantKind(t, err, hub.ErrConflict)
	err = e.svc.MoveRepo(ctx, e.alice, id, hub.RepoID{Type: hub.Model, Namespace: "bob", Name: "x"})
	wantKind(t, err, hub.ErrForbidden)
	err = e.svc.MoveRepo(ctx, e.alice, id, hub.RepoID{Type: hub.Dataset, Namespace: "alice", Name: "x"})
	wantKind(t, err, hub.ErrInvalid)
	if err := e.svc.MoveRepo(ctx, e.alice, id, modelID("new")); err != nil {
		t.Fatal(err)
	}
	if got := e.read(t, e.rev(t, modelID("new"), "main"), "a.txt", false); got != "a" {
		t.Fatalf("moved repo content %q", got)
	}
	_, err = e.svc.ResolveRevision(ctx, e.alice, id, "main")
	wantCode(t, err, "RepoNotFound")

	wantKind(t, e.svc.DeleteRepo(ctx, e.bob, modelID("new")), hub.ErrForbidden)
	if err := e.svc.DeleteRepo(ctx, e.alice, modelID("new")); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FindRepo(ctx, e.alice, modelID("new"), hub.ActionRead)
	wantCode(t, err, "RepoNotFound")
}

func TestRepoInfoAndIndex(t *testing.T) {
	e := newEnv(t)
	id := e.newRepo(t, "m")
	rev := e.rev(t, id, "main")
	info, err := e.svc.RepoInfo(ctx, rev)
	if err != nil || info.CardData != nil || info.Config != nil || len(info.Siblings) != 1 {
		t.Fatalf("fresh RepoInfo = %+v, %v", info, err)
	}
	readme := "---\nlicense: mit\npipeline_tag: image-classification\nlibrary_name: transformers\ntags: [vision]\n" +
		"model-index:\n- name: m\n  results: []\n---\n# Model\n"
	e.now = e.now.Add(3600e9)
	e.commit(t, id, "card", addFile("README.md", readme),
		addFile("config.json", `{"architectures":["ViTForImageClassification"],"model_type":"vit","hidden_size":768}`),
		addFile("onnx/model.onnx", "fake"))
	rev = e.rev(t, id, "main")
	info, err = e.svc.RepoInfo(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	if info.CardData["license"] != "mit" || info.ModelIndex == nil {
		t.Fatalf("card data %v, model index %v", info.CardData, info.ModelIndex)
	}
	if len(info.Config) != 2 || info.Config["model_type"] != "vit" {
		t.Fatalf("config subset %v", info.Config)
	}
	if len(info.Siblings) != 4 || info.Siblings[3].Path != "onnx/model.onnx" || info.Siblings[3].Size != 4 {
		t.Fatalf("siblings %+v", info.Siblings)
	}
	r, err := e.meta.GetRepo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Head != rev.Commit || r.PipelineTag != "image-classification" || r.LibraryName != "transformers" || !r.UpdatedAt.Equal(e.now) {
		t.Fatalf("index %+v", r)
	}
	for _, tag := range []string{"transformers", "onnx", "vision", "license:mit", "image-classification"} {
		if !contains(r.Tags, tag) {
			t.Fatalf("tags %v lack %q", r.Tags, tag)
		}
	}
	// A commit to another branch leaves the index alone.
	if err := e.svc.CreateBranch(ctx, e.alice, id, "dev", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Commit(ctx, e.alice, id, hub.CommitInput{Branch: "dev", Summary: "dev", Ops: []hub.Op{{Kind: hub.OpDeleteFile, Path: "README.md"}}}); err != nil {
		t.Fatal(err)
	}
	if r2, _ := e.meta.GetRepo(ctx, id); r2.Head != rev.Commit || r2.PipelineTag != "image-classification" {
		t.Fatalf("dev commit changed the index: %+v", r2)
	}
}
