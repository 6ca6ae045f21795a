package hubclient_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubclient"
	"quarry/hub/hubhttp"
	"quarry/hub/hubtest"
)

// newHub starts a hub over memory stores with user alice and returns a
// client with her write token.
func newHub(t *testing.T) (*hub.Service, *hubclient.Client) {
	t.Helper()
	svc := hub.NewService(hubtest.NewMemBlobStore(), hubtest.NewMemMeta(), bytes.Repeat([]byte("s"), 32))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	srv := hubhttp.NewServer(svc, hubhttp.Config{PublicURL: url, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, "alice", "alice@example.org", "", false); err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.CreateToken(ctx, "alice", hub.RoleWrite, "test")
	if err != nil {
		t.Fatal(err)
	}
	return svc, hubclient.New(url, tok)
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestWhoamiAndCreateRepo(t *testing.T) {
	_, c := newHub(t)
	ctx := context.Background()
	w, err := c.Whoami(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.Name, "alice"; got != want {
		t.Fatalf("whoami name %q, want %q", got, want)
	}
	u, err := c.CreateRepo(ctx, hubclient.Dataset, "alice/data", true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u, c.Endpoint+"/datasets/alice/data"; got != want {
		t.Fatalf("url %q, want %q", got, want)
	}
	if _, err := c.CreateRepo(ctx, hubclient.Dataset, "alice/data", true); !hubclient.IsConflict(err) {
		t.Fatalf("second create: %v, want a 409", err)
	}
	if _, err := c.RepoInfo(ctx, hubclient.Model, "alice/none", ""); !hubclient.IsNotFound(err) {
		t.Fatalf("missing repo info: %v, want not found", err)
	}
	anon := hubclient.New(c.Endpoint, "")
	if _, err := anon.RepoInfo(ctx, hubclient.Dataset, "alice/data", ""); !hubclient.IsNotFound(err) {
		t.Fatalf("anonymous info of a private repo: %v, want not found", err)
	}
}

// TestUploadAndDownload round-trips regular, LFS (basic) and multipart
// LFS files and a file given by local path.
func TestUploadAndDownload(t *testing.T) {
	_, c := newHub(t)
	ctx := context.Background()
	if _, err := c.CreateRepo(ctx, hubclient.Model, "alice/m", false); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "local.bin")
	if err := os.WriteFile(local, randomBytes(3, 70_000), 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"config.json":     []byte(`{"a":1}`),
		"onnx/model.onnx": randomBytes(1, 100_000),
		"big.bin":         randomBytes(2, 33<<20), // over the multipart threshold
		"dup/a.png":       randomBytes(4, 2000),
		"dup/b.png":       randomBytes(4, 2000), // same content as a.png
	}
	var up []hubclient.UploadFile
	for p, d := range files {
		up = append(up, hubclient.UploadFile{Path: p, Data: d})
	}
	up = append(up, hubclient.UploadFile{Path: "dir/local.bin", Local: local})
	files["dir/local.bin"], _ = os.ReadFile(local)
	var calls int
	info, err := c.UploadFiles(ctx, hubclient.Model, "alice/m", "main", "upload", up, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(info.OID) != 40 || calls == 0 {
		t.Fatalf("commit %q, %d progress calls", info.OID, calls)
	}
	tree, err := c.Tree(ctx, hubclient.Model, "alice/m", info.OID, "", true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var entries []hubclient.TreeEntry
	for _, e := range tree {
		if e.Type == "file" {
			got = append(got, e.Path)
			entries = append(entries, e)
			if (e.LFS != nil) != (e.Path != "config.json" && e.Path != ".gitattributes") {
				t.Errorf("%s: lfs %v", e.Path, e.LFS)
			}
		}
	}
	want := []string{".gitattributes", "big.bin", "config.json", "dir/local.bin", "dup/a.png", "dup/b.png", "onnx/model.onnx"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	dir := t.TempDir()
	n := 0
	if err := c.DownloadFiles(ctx, hubclient.Model, "alice/m", info.OID, entries, dir, 3, func(done int, _ int64) { n = done }); err != nil {
		t.Fatal(err)
	}
	if n != len(entries) {
		t.Fatalf("progress reached %d of %d", n, len(entries))
	}
	for p, data := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, data) {
			t.Fatalf("%s: downloaded %d bytes differ from the %d uploaded", p, len(b), len(data))
		}
	}
}

// TestDownloadChecksLFSHash refuses content that does not match the oid.
func TestDownloadChecksLFSHash(t *testing.T) {
	_, c := newHub(t)
	ctx := context.Background()
	if _, err := c.CreateRepo(ctx, hubclient.Model, "alice/h", false); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(9, 5000)
	if _, err := c.UploadFiles(ctx, hubclient.Model, "alice/h", "main", "x", []hubclient.UploadFile{{Path: "w.bin", Data: data}}, nil); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append([]byte{1}, data...))
	e := hubclient.TreeEntry{Type: "file", Path: "w.bin", Size: int64(len(data))}
	e.LFS = &struct {
		OID  string `json:"oid"`
		Size int64  `json:"size"`
	}{hex.EncodeToString(sum[:]), int64(len(data))}
	dest := filepath.Join(t.TempDir(), "w.bin")
	if err := c.DownloadFile(ctx, hubclient.Model, "alice/h", "main", e, dest); err == nil {
		t.Fatal("a wrong oid was accepted")
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("a refused download left %s: %v", dest, err)
	}
	e.Path = "../escape"
	if err := c.DownloadFiles(ctx, hubclient.Model, "alice/h", "main", []hubclient.TreeEntry{e}, t.TempDir(), 1, nil); err == nil {
		t.Fatal("a path leaving the directory was accepted")
	}
}

// TestCommitParentAndErrors checks 412 on a stale parent and the error
// details of a failed call.
func TestCommitParentAndErrors(t *testing.T) {
	_, c := newHub(t)
	ctx := context.Background()
	if _, err := c.CreateRepo(ctx, hubclient.Model, "alice/p", false); err != nil {
		t.Fatal(err)
	}
	first, err := c.Commit(ctx, hubclient.Model, "alice/p", "main", hubclient.Commit{Summary: "one",
		Ops: []hubclient.CommitOp{{Path: "a.txt", Content: []byte("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, hubclient.Model, "alice/p", "main", hubclient.Commit{Summary: "two",
		Ops: []hubclient.CommitOp{{Path: "a.txt", Delete: true}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Commit(ctx, hubclient.Model, "alice/p", "main", hubclient.Commit{Summary: "stale", ParentCommit: first.OID,
		Ops: []hubclient.CommitOp{{Path: "b.txt", Content: []byte("b")}}})
	if got, want := hubclient.StatusOf(err), 412; got != want {
		t.Fatalf("stale parent: status %d (%v), want %d", got, err, want)
	}
	var b bytes.Buffer
	_, err = c.Download(ctx, hubclient.Model, "alice/p", "main", "a.txt", &b)
	var he *hubclient.Error
	if !hubclient.IsNotFound(err) || !asError(err, &he) || he.Code != "EntryNotFound" {
		t.Fatalf("deleted file: %v, want 404 EntryNotFound", err)
	}
}

func asError(err error, target **hubclient.Error) bool {
	e, ok := err.(*hubclient.Error)
	if ok {
		*target = e
	}
	return ok
}
