package hubhttp_test

import (
	"regexp"
	"strings"
	"testing"
)

func TestCommit(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "d", "dataset", false)
	var out struct {
		Success    bool
		CommitOid  string
		CommitURL  string `json:"commitUrl"`
		HookOutput *string
	}
	e.commit(e.alice, "datasets/alice/d", "main", ndjson("first", "",
		fileOp("a.txt", "a"), fileOp("dir/b.txt", "b"), fileOp("dir/c.txt", "c"))).must(t, 200).json(t, &out)
	if !out.Success || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(out.CommitOid) || out.HookOutput == nil {
		t.Fatalf("commit=%+v", out)
	}
	if got, want := out.CommitURL, e.url+"/datasets/alice/d/commit/"+out.CommitOid; got != want {
		t.Fatalf("commitUrl=%q, want %q", got, want)
	}
	if got := e.head("datasets/alice/d"); got != out.CommitOid {
		t.Fatalf("head=%q, want %q", got, out.CommitOid)
	}
	first := out.CommitOid

	t.Run("DeleteAndRename", func(t *testing.T) {
		body := ndjson("second", first,
			map[string]any{"key": "deletedFolder", "value": map[string]any{"path": "dir/"}},
			map[string]any{"key": "file", "value": map[string]any{"path": "z.txt", "content": "zz", "encoding": "utf-8"}},
			map[string]any{"key": "deletedFile", "value": map[string]any{"path": "a.txt"}})
		e.commit(e.alice, "datasets/alice/d", "main", body).must(t, 200)
		var tree []entry
		e.req("GET", "/api/datasets/alice/d/tree/main?recursive=1", "", nil).must(t, 200).json(t, &tree)
		if got, want := strings.Join(paths(tree), ","), "f:.gitattributes,f:z.txt"; got != want {
			t.Fatalf("tree=%s, want %s", got, want)
		}
	})

	// Every refused commit must leave the branch where it was.
	for _, tc := range []struct {
		name   string
		token  string
		branch string
		body   string
		status int
		code   string
		msg    string
	}{
		{"StaleParent", e.alice, "main", ndjson("x", first, fileOp("y.txt", "y")), 412, "", "The branch was updated since you opened this page"},
		{"LFSNeverUploaded", e.alice, "main", ndjson("x", "", lfsOp("w.bin", strings.Repeat("ab", 32), 10)), 0, "", "w.bin"},
		{"DotDot", e.alice, "main", ndjson("x", "", fileOp("../x", "y")), 422, "", ""},
		{"InnerDotDot", e.alice, "main", ndjson("x", "", fileOp("a/../../x", "y")), 422, "", ""},
		{"LeadingSlash", e.alice, "main", ndjson("x", "", fileOp("/etc/x", "y")), 422, "", ""},
		{"DotGit", e.alice, "main", ndjson("x", "", fileOp(".git/config", "y")), 422, "", ""},
		{"MalformedLine", e.alice, "main", ndjson("x", "", fileOp("ok.txt", "y")) + "{not json\n", 400, "", "line 3"},
		{"UnknownKey", e.alice, "main", ndjson("x", "", map[string]any{"key": "symlink", "value": map[string]any{}}), 400, "", "line 2"},
		{"NoHeader", e.alice, "main", mustJSON(fileOp("ok.txt", "y")) + "\n", 400, "", "header"},
		{"MissingBranch", e.alice, "nope", ndjson("x", "", fileOp("ok.txt", "y")), 404, "RevisionNotFound", ""},
		{"ReadToken", e.aliceRead, "main", ndjson("x", "", fileOp("ok.txt", "y")), 403, "", ""},
		{"OtherUser", e.bob, "main", ndjson("x", "", fileOp("ok.txt", "y")), 403, "", ""},
		{"Anonymous", "", "main", ndjson("x", "", fileOp("ok.txt", "y")), 401, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.head("datasets/alice/d")
			r := e.commit(tc.token, "datasets/alice/d", tc.branch, tc.body)
			if tc.status == 0 {
				if r.StatusCode < 400 || r.StatusCode >= 500 {
					t.Fatalf("status=%d, want 4xx; body=%s", r.StatusCode, r.body)
				}
			} else {
				r.mustError(t, tc.status, tc.code)
			}
			if !strings.Contains(string(r.body), tc.msg) {
				t.Fatalf("body %s does not mention %q", r.body, tc.msg)
			}
			if after := e.head("datasets/alice/d"); after != before {
				t.Fatalf("refused commit moved main from %s to %s", before, after)
			}
		})
	}

	t.Run("LFSFromAnotherRepo", func(t *testing.T) {
		e.createRepo(e.bob, "b", "model", false)
		content := []byte("bob's private weights")
		oid := e.uploadLFS(e.bob, "bob/b", content)
		before := e.head("datasets/alice/d")
		r := e.commit(e.alice, "datasets/alice/d", "main", ndjson("steal", "", lfsOp("w.bin", oid, len(content))))
		if r.StatusCode < 400 || r.StatusCode >= 500 {
			t.Fatalf("status=%d, want 4xx", r.StatusCode)
		}
		if e.head("datasets/alice/d") != before {
			t.Fatal("commit referencing another repo's LFS object moved main")
		}
	})
	t.Run("Legacy", func(t *testing.T) {
		doc := map[string]any{"summary": "legacy", "files": []map[string]any{{"path": "legacy.txt", "content": "bGVnYWN5", "encoding": "base64"}}}
		e.req("POST", "/api/datasets/alice/d/commit/main", e.alice, doc).must(t, 200)
		r := e.req("GET", "/datasets/alice/d/resolve/main/legacy.txt", "", nil).must(t, 200)
		if string(r.body) != "legacy" {
			t.Fatalf("body=%q", r.body)
		}
	})
	t.Run("CreatePR", func(t *testing.T) {
		e.req("POST", "/api/datasets/alice/d/commit/main?create_pr=1", e.alice, ndjson("pr", "", fileOp("p", "p")),
			"Content-Type: application/x-ndjson").mustError(t, 501, "")
	})
}

func TestPreupload(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	var out struct {
		Files []map[string]any
	}
	e.req("POST", "/api/models/alice/m/preupload/main", e.alice, map[string]any{
		"files": []map[string]any{
			{"path": "README.md", "size": 5, "sample": "aGVsbG8="},
			{"path": "model.safetensors", "size": 5, "sample": "aGVsbG8="},
			{"path": "huge.txt", "size": 20 << 20, "sample": "aGVsbG8="},
		},
	}).must(t, 200).json(t, &out)
	modes := map[string]string{}
	for _, f := range out.Files {
		if _, ok := f["shouldIgnore"].(bool); !ok {
			t.Fatalf("file %v lacks shouldIgnore", f)
		}
		modes[f["path"].(string)] = f["uploadMode"].(string)
	}
	if modes["README.md"] != "regular" || modes["model.safetensors"] != "lfs" || modes["huge.txt"] != "lfs" {
		t.Fatalf("modes=%v", modes)
	}
	e.req("POST", "/api/models/alice/m/preupload/main", "", map[string]any{"files": []any{}}).mustError(t, 401, "")
	e.req("POST", "/api/models/alice/m/preupload/main", e.alice, map[string]any{
		"files": []map[string]any{{"path": "x", "size": 1, "sample": "!!"}}}).mustError(t, 400, "")
}

func TestValidateYAML(t *testing.T) {
	e := newEnv(t)
	var ok struct {
		Errors   []any
		Warnings []struct{ Message string }
	}
	e.req("POST", "/api/validate-yaml", e.alice, map[string]any{"content": "---\nlicense: mit\n---\n# x\n", "repoType": "model"}).
		must(t, 200).json(t, &ok)
	if ok.Errors == nil || len(ok.Errors) != 0 || ok.Warnings == nil {
		t.Fatalf("valid card: %+v", ok)
	}
	var bad struct {
		Errors []struct{ Message string }
	}
	e.req("POST", "/api/validate-yaml", e.alice, map[string]any{"content": "---\nlicense: [mit\n---\n", "repoType": "model"}).
		must(t, 400).json(t, &bad)
	if len(bad.Errors) != 1 || bad.Errors[0].Message == "" {
		t.Fatalf("invalid card: %+v", bad)
	}
}
