package web_test

import (
	"bytes"
	"context"
	"testing"

	"quarry/hub"
)

// file is one file of a test commit: text content, or LFS content when lfs.
type file struct {
	content string
	lfs     bool
}

// commitFiles commits files (and deletions) to id's main branch as the
// operator and returns the commit id.
func commitFiles(t testing.TB, svc *hub.Service, id hub.RepoID, msg string, files map[string]file, deletes ...string) string {
	t.Helper()
	ctx := context.Background()
	var ops []hub.Op
	for p, f := range files {
		if !f.lfs {
			ops = append(ops, hub.Op{Kind: hub.OpFile, Path: p, Content: []byte(f.content)})
			continue
		}
		obj, err := svc.StoreLFS(ctx, hub.Operator(), id, bytes.NewReader([]byte(f.content)))
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, hub.Op{Kind: hub.OpLFSFile, Path: p, OID: obj.OID, Size: obj.Size})
	}
	for _, p := range deletes {
		ops = append(ops, hub.Op{Kind: hub.OpDeleteFile, Path: p})
	}
	ci, err := svc.Commit(ctx, hub.Operator(), id, hub.CommitInput{Summary: msg, Ops: ops})
	if err != nil {
		t.Fatal(err)
	}
	return ci.ID
}

// createRepo creates a repo as the operator.
func createRepo(t testing.TB, svc *hub.Service, typ hub.RepoType, ns, name string, private bool) hub.RepoID {
	t.Helper()
	id := hub.RepoID{Type: typ, Namespace: ns, Name: name}
	if _, err := svc.CreateRepo(context.Background(), hub.Operator(), hub.CreateRepoInput{ID: id, Private: private}); err != nil {
		t.Fatal(err)
	}
	return id
}

// cardV1 and cardV2 are two revisions of a model card with a model-index.
const cardV1 = `---
license: mit
library_name: transformers.js
pipeline_tag: image-classification
tags: [mines]
model-index:
- name: cats
  results:
  - task: {type: image-classification}
    dataset: {name: tiles, type: alice/tiles, split: validation}
    metrics:
    - {type: accuracy, value: 0.9}
    - {type: f1, value: 0.8}
---
# Cats classifier

Finds cats in tiles. See [the usage notes](docs/usage.md).
`

const cardV2 = `---
license: mit
library_name: transformers.js
pipeline_tag: image-classification
tags: [mines]
model-index:
- name: cats
  results:
  - task: {type: image-classification}
    dataset: {name: tiles, type: alice/tiles, split: validation}
    metrics:
    - {type: accuracy, value: 0.95}
    - {type: f1, value: 0.75}
    - {type: recall, value: 0.7}
---
# Cats classifier

Finds cats in tiles, now retrained. See [the usage notes](docs/usage.md).
`

// browseFixture builds on repoFixture (alice/draft private, alice/tiles
// public dataset, newsroom/story private with bob a write member,
// carol/secret private) and adds alice/cats, a public image classifier
// with two commits of content, a branch "feature/x" and a tag "v1", and
// the space alice/demo-space. It returns the ids of alice/cats' commits.
func browseFixture(t *testing.T, e *env) (first, second string) {
	t.Helper()
	repoFixture(t, e)
	cats := createRepo(t, e.svc, hub.Model, "alice", "cats", false)
	first = commitFiles(t, e.svc, cats, "Train the first classifier", map[string]file{
		"README.md":      {content: cardV1},
		"config.json":    {content: `{"model_type": "vit"}`},
		"data/notes.txt": {content: "line one\n<b>bold?</b>\nline three\n"},
		"data/old.txt":   {content: "to be removed\n"},
		"model.onnx":     {content: "pretend ONNX weights", lfs: true},
	})
	ctx := context.Background()
	if err := e.svc.CreateTag(ctx, hub.Operator(), cats, "main", "v1", ""); err != nil {
		t.Fatal(err)
	}
	second = commitFiles(t, e.svc, cats, "Retrain with more tiles", map[string]file{
		"README.md":      {content: cardV2},
		"data/notes.txt": {content: "line one\nline two\nline three\n"},
		"data/new.txt":   {content: "fresh\n"},
	}, "data/old.txt")
	if err := e.svc.CreateBranch(ctx, hub.Operator(), cats, "feature/x", "main", false); err != nil {
		t.Fatal(err)
	}
	space := createRepo(t, e.svc, hub.Space, "alice", "demo-space", false)
	commitFiles(t, e.svc, space, "Space card", map[string]file{"README.md": {content: "---\nmodels: [alice/cats]\n---\n# Try cats\n"}})
	return first, second
}
