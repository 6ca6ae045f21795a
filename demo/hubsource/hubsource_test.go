package hubsource_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"quarry/demo"
	"quarry/demo/hubsource"
	"quarry/hub"
	"quarry/hub/hubtest"
	"quarry/ml/classify"
)

var ctx = context.Background()

type env struct {
	svc              *hub.Service
	alice, bob, anon *hub.Caller
}

func newEnv(t *testing.T) *env {
	t.Helper()
	svc := hub.NewService(hubtest.NewMemBlobStore(), hubtest.NewMemMeta(), []byte("0123456789abcdef0123456789abcdef"))
	return &env{svc: svc, alice: &hub.Caller{User: &hub.User{Name: "alice"}},
		bob: &hub.Caller{User: &hub.User{Name: "bob"}}, anon: &hub.Caller{}}
}

// repo creates a repo as its namespace's owner and commits files to main.
func (e *env) repo(t *testing.T, typ hub.RepoType, id string, private bool, files map[string]string) string {
	t.Helper()
	rid, err := hub.ParseRepoID(typ, id)
	if err != nil {
		t.Fatal(err)
	}
	owner := &hub.Caller{User: &hub.User{Name: rid.Namespace}}
	if _, err := e.svc.CreateRepo(ctx, owner, hub.CreateRepoInput{ID: rid, Private: private}); err != nil {
		t.Fatal(err)
	}
	var ops []hub.Op
	for p, c := range files {
		ops = append(ops, hub.Op{Kind: hub.OpFile, Path: p, Content: []byte(c)})
	}
	info, err := e.svc.Commit(ctx, owner, rid, hub.CommitInput{Summary: "add files", Ops: ops})
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

const card = `---
pipeline_tag: image-classification
widget:
- src: examples/a.png
  example_title: Tile A
- src: https://elsewhere.example/alice/mines/resolve/main/card/b.png
  example_title: Tile B
- src: https://evil.example/x.png
- src: missing.png
- src: ../../etc/passwd
demo:
  flag_dataset: alice/flags
---
# Mines
`

func modelFiles() map[string]string {
	return map[string]string{"README.md": card, "config.json": `{"id2label":{"0":"mine","1":"no_mine"}}`,
		"examples/a.png": "png", "card/b.png": "png", "examples/sub/c.jpg": "jpg"}
}

func TestResolve(t *testing.T) {
	e := newEnv(t)
	commit := e.repo(t, hub.Model, "alice/mines", false, modelFiles())
	src := hubsource.New(e.svc)
	info, err := src.Resolve(ctx, nil, demo.ModelRef{Namespace: "alice", Name: "mines"})
	if err != nil {
		t.Fatal(err)
	}
	want := &demo.ModelInfo{ID: "alice/mines", Revision: commit, PipelineTag: "image-classification",
		FlagDataset: "alice/flags", Examples: []demo.Example{{Path: "examples/a.png", Title: "Tile A"}, {Path: "card/b.png", Title: "Tile B"}}}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Fatalf("Resolve (-want +got):\n%s", diff)
	}
	if b, err := src.File(ctx, nil, info, "config.json"); err != nil || !strings.Contains(string(b), "no_mine") {
		t.Fatalf("File: %q %v", b, err)
	}
	if _, err := src.File(ctx, nil, info, "nope.json"); !errors.Is(err, demo.ErrNotFound) {
		t.Fatalf("File(missing): %v, want ErrNotFound", err)
	}
	got, err := src.List(ctx, nil, info, "examples")
	if diff := cmp.Diff([]string{"examples/a.png", "examples/sub/c.jpg"}, got); err != nil || diff != "" {
		t.Fatalf("List: %v %s", err, diff)
	}
	if got, err := src.List(ctx, nil, info, "nothing"); err != nil || len(got) != 0 {
		t.Fatalf("List(absent): %v %v", got, err)
	}
	// A pinned revision resolves to that commit even after main moves.
	e.svc.Commit(ctx, e.alice, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "mines"},
		hub.CommitInput{Summary: "more", Ops: []hub.Op{{Kind: hub.OpFile, Path: "x.txt", Content: []byte("x")}}})
	old, err := src.Resolve(ctx, nil, demo.ModelRef{Namespace: "alice", Name: "mines", Revision: commit})
	if err != nil || old.Revision != commit {
		t.Fatalf("Resolve@%s: %+v %v", commit, old, err)
	}
	if _, err := src.Resolve(ctx, nil, demo.ModelRef{Namespace: "alice", Name: "mines", Revision: "v9"}); !errors.Is(err, demo.ErrNotFound) {
		t.Fatalf("unknown revision: %v", err)
	}
}

func TestResolveVisibility(t *testing.T) {
	e := newEnv(t)
	e.repo(t, hub.Model, "alice/secret", true, modelFiles())
	src := hubsource.New(e.svc)
	ref := demo.ModelRef{Namespace: "alice", Name: "secret"}
	for _, tc := range []struct {
		name   string
		caller any
		want   error
	}{
		{"nil", nil, demo.ErrUnauthorized},
		{"anonymous", e.anon, demo.ErrUnauthorized},
		{"bob", e.bob, demo.ErrNotFound},
		{"alice", e.alice, nil},
	} {
		info, err := src.Resolve(ctx, tc.caller, ref)
		if tc.want == nil && (err != nil || !info.Private) {
			t.Errorf("%s: %+v %v", tc.name, info, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A missing model looks the same as a hidden one.
	if _, err := src.Resolve(ctx, e.bob, demo.ModelRef{Namespace: "alice", Name: "none"}); !errors.Is(err, demo.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := src.Resolve(ctx, nil, demo.ModelRef{Namespace: "..", Name: "x"}); !errors.Is(err, demo.ErrNotFound) {
		t.Fatalf("invalid id: %v", err)
	}
}

func TestResolveSpace(t *testing.T) {
	e := newEnv(t)
	e.repo(t, hub.Model, "alice/mines", false, modelFiles())
	e.repo(t, hub.Space, "bob/pinned", false, map[string]string{"README.md": "---\nmodels:\n- alice/mines@v1\n---\n"})
	e.repo(t, hub.Space, "bob/plain", false, map[string]string{"README.md": "---\nmodels: alice/mines\n---\n"})
	e.repo(t, hub.Space, "bob/empty", false, map[string]string{"README.md": "# nothing\n"})
	e.repo(t, hub.Space, "bob/hidden", true, map[string]string{"README.md": "---\nmodels: [alice/mines]\n---\n"})
	src := hubsource.New(e.svc)
	for _, tc := range []struct {
		space  string
		caller any
		want   demo.ModelRef
		err    error
	}{
		{"pinned", nil, demo.ModelRef{Namespace: "alice", Name: "mines", Revision: "v1"}, nil},
		{"plain", nil, demo.ModelRef{Namespace: "alice", Name: "mines"}, nil},
		{"empty", nil, demo.ModelRef{}, demo.ErrNotFound},
		{"none", e.alice, demo.ModelRef{}, demo.ErrNotFound},
		{"hidden", nil, demo.ModelRef{}, demo.ErrUnauthorized},
		{"hidden", e.alice, demo.ModelRef{}, demo.ErrNotFound},
		{"hidden", e.bob, demo.ModelRef{Namespace: "alice", Name: "mines"}, nil},
	} {
		got, err := src.ResolveSpace(ctx, tc.caller, "bob", tc.space)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("%s as %v: %+v %v, want %+v %v", tc.space, tc.caller, got, err, tc.want, tc.err)
		}
	}
}

func pngImage(t *testing.T, seed byte) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = seed + byte(i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testFlag(t *testing.T, model, dataset string, seed byte) demo.Flag {
	return demo.Flag{Model: &demo.ModelInfo{ID: model, Revision: strings.Repeat("ab", 20)}, Dataset: dataset,
		Image: pngImage(t, seed), Filename: "tile.png", Label: "mine",
		Prediction: &classify.Prediction{Label: "no_mine", Confidences: []classify.LabelScore{{Label: "no_mine", Score: 0.7}, {Label: "mine", Score: 0.3}}},
		Time:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// flagLog reads the flag dataset as its owner: the log lines and the head commit.
func (e *env) flagLog(t *testing.T, dataset string) ([]map[string]any, *hub.Revision) {
	t.Helper()
	id, _ := hub.ParseRepoID(hub.Dataset, dataset)
	owner := &hub.Caller{User: &hub.User{Name: id.Namespace}}
	rev, err := e.svc.ResolveRevision(ctx, owner, id, "")
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.svc.Stat(ctx, rev, hubsource.FlagLog, false)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := e.svc.OpenFile(ctx, f, 0, -1)
	b, _ := io.ReadAll(rc)
	rc.Close()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out, rev
}

func TestFlagAnonymousCreatesPrivateDataset(t *testing.T) {
	e := newEnv(t)
	fl := hubsource.NewFlagger(e.svc)
	f := testFlag(t, "alice/mines", "alice/flags", 1)
	if err := fl.Flag(ctx, nil, f); err != nil {
		t.Fatal(err)
	}
	lines, rev := e.flagLog(t, "alice/flags")
	if !rev.Repo.Private || len(lines) != 1 {
		t.Fatalf("dataset private=%v, %d lines", rev.Repo.Private, len(lines))
	}
	img, _ := lines[0]["image"].(string)
	want := map[string]any{"time": "2026-01-02T03:04:05Z", "model": "alice/mines", "revision": f.Model.Revision,
		"image": img, "filename": "tile.png", "label": "mine", "flagged_by": "",
		"prediction": map[string]any{"label": "no_mine", "confidences": []any{
			map[string]any{"label": "no_mine", "confidence": 0.7}, map[string]any{"label": "mine", "confidence": 0.3}}}}
	if diff := cmp.Diff(want, lines[0]); diff != "" {
		t.Fatalf("log line (-want +got):\n%s", diff)
	}
	st, err := e.svc.Stat(ctx, rev, img, false)
	if err != nil || st.Entry.LFS == nil || st.Size != int64(len(f.Image)) || !strings.HasPrefix(img, "flagged/images/") || !strings.HasSuffix(img, ".png") {
		t.Fatalf("image %s: %+v %v", img, st, err)
	}
	// A second flag, by a signed-in reader without write access, appends.
	if err := fl.Flag(ctx, e.bob, testFlag(t, "alice/mines", "alice/flags", 2)); err != nil {
		t.Fatal(err)
	}
	lines, _ = e.flagLog(t, "alice/flags")
	if len(lines) != 2 || lines[1]["flagged_by"] != "bob" {
		t.Fatalf("after bob's flag: %v", lines)
	}
}

func TestFlagOutsideModelNamespace(t *testing.T) {
	e := newEnv(t)
	e.repo(t, hub.Dataset, "bob/data", false, map[string]string{"x.txt": "x"})
	fl := hubsource.NewFlagger(e.svc)
	// alice's card names bob's dataset: her readers may not write there.
	for _, tc := range []struct {
		name   string
		caller any
		want   error
	}{{"anonymous", nil, demo.ErrUnauthorized}, {"alice", e.alice, demo.ErrForbidden}} {
		if err := fl.Flag(ctx, tc.caller, testFlag(t, "alice/mines", "bob/data", 3)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := fl.Flag(ctx, e.alice, testFlag(t, "alice/mines", "carol/none", 3)); !errors.Is(err, demo.ErrNotFound) {
		t.Errorf("missing foreign dataset: %v", err)
	}
	// bob may write his own dataset, so his flag lands, committed as bob.
	if err := fl.Flag(ctx, e.bob, testFlag(t, "alice/mines", "bob/data", 3)); err != nil {
		t.Fatal(err)
	}
	lines, rev := e.flagLog(t, "bob/data")
	if len(lines) != 1 || lines[0]["flagged_by"] != "bob" {
		t.Fatalf("bob/data log: %v", lines)
	}
	commits, _, err := e.svc.ListCommits(ctx, rev, 0, 1)
	if err != nil || len(commits) == 0 || !strings.Contains(strings.Join(commits[0].Authors, ","), "bob") {
		t.Fatalf("last commit %+v %v", commits, err)
	}
}

func TestFlagConcurrentAppends(t *testing.T) {
	e := newEnv(t)
	// Two Flaggers, as in two server processes, race on the same log.
	fls := []*hubsource.Flagger{hubsource.NewFlagger(e.svc), hubsource.NewFlagger(e.svc)}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fls[i%2].Flag(ctx, nil, testFlag(t, "alice/mines", "alice/flags", byte(i*16)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if lines, _ := e.flagLog(t, "alice/flags"); len(lines) != n {
		t.Fatalf("%d log lines, want %d", len(lines), n)
	}
}
