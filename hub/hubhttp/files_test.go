package hubhttp_test

import (
	"context"
	"time"

	"fmt"
	"quarry/hub"
	"quarry/hub/hubtest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"quarry/infra/localfs"
)

// seed creates alice/m with README.md, dir/a.txt, dir/sub/b.json and an LFS
// file weights.bin; it returns the LFS content.
func (e *env) seed() []byte {
	e.t.Helper()
	e.createRepo(e.alice, "m", "model", false)
	lfs := []byte(strings.Repeat("0123456789", 1000))
	oid := e.uploadLFS(e.alice, "alice/m", lfs)
	e.commit(e.alice, "models/alice/m", "main", ndjson("seed", "",
		fileOp("README.md", "# hello\n"), fileOp("dir/a.txt", "alpha\n"), fileOp("dir/sub/b.json", `{"b":1}`),
		lfsOp("weights.bin", oid, len(lfs)))).must(e.t, 200)
	return lfs
}

type entry struct {
	Type, Path, OID string
	Size            int64
	LFS             *struct {
		OID         string
		Size        int64
		PointerSize int64
	}
	LastCommit *struct{ ID, Title, Date string }
}

func paths(es []entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Type[:1]+":"+e.Path)
	}
	return out
}

func TestTree(t *testing.T) {
	e := newEnv(t)
	lfs := e.seed()
	var root []entry
	e.req("GET", "/api/models/alice/m/tree/main", "", nil).must(t, 200).json(t, &root)
	if got, want := paths(root), []string{"f:.gitattributes", "f:README.md", "d:dir", "f:weights.bin"}; !slices.Equal(got, want) {
		t.Fatalf("root=%v, want %v", got, want)
	}
	for _, en := range root {
		if en.Path == "weights.bin" && (en.LFS == nil || en.LFS.OID != sha256hex(lfs) || en.Size != int64(len(lfs))) {
			t.Fatalf("weights.bin entry=%+v", en)
		}
		if en.Path == "README.md" && en.OID != gitBlobID([]byte("# hello\n")) {
			t.Fatalf("README.md oid=%q", en.OID)
		}
	}
	var rec []entry
	e.req("GET", "/api/models/alice/m/tree/main/dir?recursive=true&expand=false", "", nil).must(t, 200).json(t, &rec)
	if got, want := paths(rec), []string{"f:dir/a.txt", "d:dir/sub", "f:dir/sub/b.json"}; !slices.Equal(got, want) {
		t.Fatalf("recursive=%v, want %v", got, want)
	}
	// Python encodes the whole path; the revision may be a sha.
	sha := e.head("models/alice/m")
	var sub []entry
	e.req("GET", "/api/models/alice/m/tree/"+sha+"/dir%2Fsub?expand=true", "", nil).must(t, 200).json(t, &sub)
	if len(sub) != 1 || sub[0].Path != "dir/sub/b.json" || sub[0].LastCommit == nil || sub[0].LastCommit.Title != "seed" {
		t.Fatalf("sub=%+v", sub)
	}
	e.req("GET", "/api/models/alice/m/tree/main/nope", "", nil).mustError(t, 404, "EntryNotFound")
	e.req("GET", "/api/models/alice/m/tree/nope", "", nil).mustError(t, 404, "RevisionNotFound")
}

func TestTreePagination(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "many", "dataset", false)
	var ops []map[string]any
	for i := range 1205 {
		ops = append(ops, fileOp(fmt.Sprintf("f/%04d.txt", i), strconv.Itoa(i)))
	}
	e.commit(e.alice, "datasets/alice/many", "main", ndjson("many", "", ops...)).must(t, 200)
	var all []entry
	next := "/api/datasets/alice/many/tree/main/f"
	pages := 0
	for next != "" {
		r := e.req("GET", next, "", nil).must(t, 200)
		var page []entry
		r.json(t, &page)
		all = append(all, page...)
		pages++
		next = ""
		if link := r.Header.Get("Link"); link != "" {
			if !strings.HasPrefix(link, "<"+e.url+"/") || !strings.HasSuffix(link, `>; rel="next"`) {
				t.Fatalf("Link=%q", link)
			}
			next = strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
		}
	}
	if pages != 2 || len(all) != 1205 || all[1204].Path != "f/1204.txt" {
		t.Fatalf("pages=%d entries=%d", pages, len(all))
	}
}

func TestPathsInfo(t *testing.T) {
	e := newEnv(t)
	e.seed()
	var js []entry
	e.req("POST", "/api/models/alice/m/paths-info/main", "", map[string]any{
		"paths": []string{"README.md", "missing.txt", "dir"}, "expand": true}).must(t, 200).json(t, &js)
	if got, want := paths(js), []string{"f:README.md", "d:dir"}; !slices.Equal(got, want) {
		t.Fatalf("json paths-info=%v, want %v", got, want)
	}
	if js[0].LastCommit == nil {
		t.Fatal("expand=true gave no lastCommit")
	}
	var form []entry
	e.req("POST", "/api/models/alice/m/paths-info/main", "", "paths=weights.bin&paths=nope&expand=false",
		"Content-Type: application/x-www-form-urlencoded").must(t, 200).json(t, &form)
	if len(form) != 1 || form[0].Path != "weights.bin" || form[0].LFS == nil || form[0].LastCommit != nil {
		t.Fatalf("form paths-info=%+v", form)
	}
}

func TestResolveHeaders(t *testing.T) {
	e := newEnv(t)
	lfs := e.seed()
	sha := e.head("models/alice/m")
	readme := []byte("# hello\n")

	check := func(t *testing.T, r *resp, want map[string]string) {
		t.Helper()
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Fatalf("%s: %s=%q, want %q", r.Request.URL.Path, k, got, v)
			}
		}
		for _, k := range []string{"X-Xet-Hash", "X-Xet-Refresh-Route"} {
			if r.Header.Get(k) != "" {
				t.Fatalf("Xet header %s sent", k)
			}
		}
	}
	t.Run("Regular", func(t *testing.T) {
		want := map[string]string{
			"ETag": `"` + gitBlobID(readme) + `"`, "X-Linked-Etag": `"` + gitBlobID(readme) + `"`,
			"X-Linked-Size": "8", "Content-Length": "8", "X-Repo-Commit": sha, "Accept-Ranges": "bytes",
			"Content-Type": "text/markdown; charset=utf-8",
		}
		check(t, e.req("HEAD", "/alice/m/resolve/main/README.md", "", nil).must(t, 200), want)
		r := e.req("GET", "/alice/m/resolve/main/README.md", "", nil).must(t, 200)
		check(t, r, want)
		if string(r.body) != string(readme) {
			t.Fatalf("body=%q", r.body)
		}
		if !strings.Contains(r.Header.Get("Content-Disposition"), `filename="README.md"`) {
			t.Fatalf("Content-Disposition=%q", r.Header.Get("Content-Disposition"))
		}
	})
	t.Run("LFS", func(t *testing.T) {
		want := map[string]string{
			"ETag": `"` + sha256hex(lfs) + `"`, "X-Linked-Etag": `"` + sha256hex(lfs) + `"`,
			"X-Linked-Size": strconv.Itoa(len(lfs)), "Content-Length": strconv.Itoa(len(lfs)), "X-Repo-Commit": sha,
		}
		check(t, e.req("HEAD", "/alice/m/resolve/"+sha+"/weights.bin", "", nil).must(t, 200), want)
		r := e.req("GET", "/alice/m/resolve/main/weights.bin", "", nil).must(t, 200)
		if string(r.body) != string(lfs) {
			t.Fatalf("LFS body of %d bytes differs", len(r.body))
		}
	})
	t.Run("RawLFSPointer", func(t *testing.T) {
		r := e.req("GET", "/alice/m/raw/main/weights.bin", "", nil).must(t, 200)
		if !strings.HasPrefix(string(r.body), "version https://git-lfs.github.com/spec/v1\n") {
			t.Fatalf("raw body=%q", r.body)
		}
		check(t, r, map[string]string{"ETag": `"` + gitBlobID(r.body) + `"`, "X-Linked-Size": strconv.Itoa(len(r.body))})
		e.req("HEAD", "/alice/m/raw/main/nope", "", nil).must(t, 404)
	})
	t.Run("Range", func(t *testing.T) {
		r := e.req("GET", "/alice/m/resolve/main/weights.bin", "", nil, "Range: bytes=10-19").must(t, 206)
		check(t, r, map[string]string{"Content-Range": fmt.Sprintf("bytes 10-19/%d", len(lfs)), "Content-Length": "10"})
		if string(r.body) != string(lfs[10:20]) {
			t.Fatalf("range body=%q", r.body)
		}
		r = e.req("GET", "/alice/m/resolve/main/README.md", "", nil, "Range: bytes=0-0").must(t, 206)
		check(t, r, map[string]string{"Content-Range": "bytes 0-0/8", "X-Linked-Size": "8"})
		r = e.req("GET", "/alice/m/resolve/main/README.md", "", nil, "Range: bytes=-3").must(t, 206)
		if string(r.body) != "lo\n" {
			t.Fatalf("suffix range body=%q", r.body)
		}
		r = e.req("GET", "/alice/m/resolve/main/README.md", "", nil, "Range: bytes=8-").mustError(t, 416, "")
		check(t, r, map[string]string{"Content-Range": "bytes */8"})
	})
	t.Run("NotFound", func(t *testing.T) {
		r := e.req("HEAD", "/alice/m/resolve/main/nope.txt", "", nil).mustError(t, 404, "EntryNotFound")
		check(t, r, map[string]string{"X-Repo-Commit": sha})
		e.req("GET", "/alice/m/resolve/main/dir", "", nil).mustError(t, 404, "EntryNotFound")
		e.req("GET", "/alice/m/resolve/nope/README.md", "", nil).mustError(t, 404, "RevisionNotFound")
		e.req("GET", "/alice/zz/resolve/main/README.md", "", nil).mustError(t, 401, "RepoNotFound")
		e.req("GET", "/alice/zz/resolve/main/README.md", e.bob, nil).mustError(t, 404, "RepoNotFound")
		e.req("GET", "/datasets/alice/m/resolve/main/README.md", e.alice, nil).mustError(t, 404, "RepoNotFound")
	})
	t.Run("SlashedRevision", func(t *testing.T) {
		e.req("POST", "/api/models/alice/m/branch/feature%2Fx", e.alice, map[string]any{}).must(t, 200)
		e.commit(e.alice, "models/alice/m", "feature%2Fx", ndjson("on branch", "", fileOp("README.md", "branch\n"))).must(t, 200)
		for _, rev := range []string{"feature%2Fx", "feature/x", "refs%2Fheads%2Ffeature%2Fx"} {
			r := e.req("GET", "/alice/m/resolve/"+rev+"/README.md", "", nil).must(t, 200)
			if string(r.body) != "branch\n" {
				t.Fatalf("rev %s: body=%q", rev, r.body)
			}
		}
	})
}

func TestPrivateDownloads(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "p", "dataset", true)
	e.commit(e.alice, "datasets/alice/p", "main", ndjson("add", "", fileOp("x.csv", "a,b\n"))).must(t, 200)
	e.req("HEAD", "/datasets/alice/p/resolve/main/x.csv", "", nil).must(t, 401)
	e.req("GET", "/datasets/alice/p/resolve/main/x.csv", "", nil).mustError(t, 401, "RepoNotFound")
	e.req("GET", "/datasets/alice/p/resolve/main/x.csv", e.bob, nil).mustError(t, 404, "RepoNotFound")
	e.req("GET", "/api/datasets/alice/p/tree/main", e.bob, nil).mustError(t, 404, "RepoNotFound")
	r := e.req("GET", "/datasets/alice/p/resolve/main/x.csv", e.aliceRead, nil).must(t, 200)
	if string(r.body) != "a,b\n" {
		t.Fatalf("body=%q", r.body)
	}
}

// TestLocalFileStreaming serves from a real local blob store, where git
// blobs start after their header inside the stored object.
func TestLocalFileStreaming(t *testing.T) {
	blobs, err := localfs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, blobs)
	lfs := e.seed()
	r := e.req("GET", "/alice/m/resolve/main/dir/a.txt", "", nil).must(t, 200)
	if string(r.body) != "alpha\n" {
		t.Fatalf("body=%q", r.body)
	}
	r = e.req("GET", "/alice/m/resolve/main/dir/a.txt", "", nil, "Range: bytes=1-3").must(t, 206)
	if string(r.body) != "lph" {
		t.Fatalf("range body=%q", r.body)
	}
	r = e.req("GET", "/alice/m/resolve/main/weights.bin", "", nil, "Range: bytes=9995-").must(t, 206)
	if string(r.body) != string(lfs[9995:]) {
		t.Fatalf("LFS range body=%q", r.body)
	}
}

// presignStore is a memory blob store that can presign, like S3.
type presignStore struct{ *hubtest.MemBlobStore }

func (presignStore) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return "https://cdn.example.org/" + key + "?ttl=" + ttl.String(), nil
}

func (presignStore) PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return "", hub.ErrUnsupported
}

func TestResolveRedirectsToPresignedURL(t *testing.T) {
	e := newEnvWith(t, presignStore{hubtest.NewMemBlobStore()})
	lfs := e.seed()
	sha := e.head("models/alice/m")
	for _, method := range []string{"HEAD", "GET"} {
		r := e.req(method, "/alice/m/resolve/main/weights.bin", "", nil).must(t, 302)
		for k, v := range map[string]string{
			"Location":      "https://cdn.example.org/lfs/" + sha256hex(lfs)[:2] + "/" + sha256hex(lfs) + "?ttl=1h0m0s",
			"X-Repo-Commit": sha, "X-Linked-Etag": `"` + sha256hex(lfs) + `"`, "X-Linked-Size": strconv.Itoa(len(lfs)),
			"Access-Control-Allow-Origin": "*",
		} {
			if got := r.Header.Get(k); got != v {
				t.Fatalf("%s: %s=%q, want %q", method, k, got, v)
			}
		}
	}
	// Range probes and regular files are answered directly.
	r := e.req("GET", "/alice/m/resolve/main/weights.bin", "", nil, "Range: bytes=0-0").must(t, 206)
	if string(r.body) != string(lfs[:1]) {
		t.Fatalf("probe body=%q", r.body)
	}
	e.req("GET", "/alice/m/resolve/main/README.md", "", nil).must(t, 200)
	e.req("GET", "/alice/m/raw/main/weights.bin", "", nil).must(t, 200)
}
