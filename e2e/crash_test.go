package e2e

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// randomBytes returns n random bytes.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random bytes: %v", err)
	}
	return b
}

// killDuringUpload starts a basic LFS PUT of content that stalls after
// sent bytes, kills the server with SIGKILL while it waits, and returns once
// the client has seen the failure.
func killDuringUpload(t *testing.T, s *server, href string, content []byte, sent int64) {
	t.Helper()
	reader := &stallingReader{r: bytes.NewReader(content), limit: sent,
		started: make(chan struct{}), stop: make(chan struct{})}
	result := make(chan *response, 1)
	go func() {
		r, err := putLFS(href, reader, int64(len(content)))
		if err != nil {
			r = nil
		}
		result <- r
	}()
	select {
	case <-reader.started:
	case r := <-result:
		t.Fatalf("upload ended before the server was killed: %+v", r)
	case <-time.After(2 * time.Minute):
		t.Fatalf("upload did not send %d bytes within 2 minutes", sent)
	}
	time.Sleep(300 * time.Millisecond) // let the server take in what was sent
	s.kill()
	close(reader.stop)
	if r := <-result; r != nil && r.Status/100 == 2 {
		t.Fatalf("interrupted upload answered %d", r.Status)
	}
}

// checkIntact fails unless repo's main is still at head with exactly files,
// and each committed path resolves to its original bytes.
func checkIntact(t *testing.T, c *client, repo, head string, files []string, committed map[string][]byte) {
	t.Helper()
	if got := c.head(repo); got != head {
		t.Fatalf("head after restart = %s, want %s", got, head)
	}
	if diff := cmp.Diff(files, c.files(repo)); diff != "" {
		t.Fatalf("files after restart (-want +got):\n%s", diff)
	}
	for path, want := range committed {
		if got := c.resolve(repo, path); !bytes.Equal(got, want) {
			t.Errorf("resolve %s after restart: %d bytes (sha256 %s), want %d bytes (sha256 %s)",
				path, len(got), sha256Hex(got), len(want), sha256Hex(want))
		}
	}
}

// TestKillDuringUpload: kill -9 of the server during a large LFS upload leaves
// the repo readable and consistent after a restart on the same data directory,
// and a fresh upload + commit then works.
func TestKillDuringUpload(t *testing.T) {
	s, c := newHub(t, "dave")
	repo := c.createModel("crash")
	committed := map[string][]byte{
		"config.json":       []byte(`{"model_type":"vit"}` + "\n"),
		"weights/model.bin": randomBytes(t, 3<<20),
	}
	lfsOID := c.uploadLFS(repo, committed["weights/model.bin"])
	c.commitFiles(repo, "before crash",
		regularFile("config.json", committed["config.json"]),
		lfsFile("weights/model.bin", lfsOID, int64(len(committed["weights/model.bin"]))))
	head, files, count := c.head(repo), c.files(repo), c.commitCount(repo)

	big := randomBytes(t, 64<<20)
	bigOID := sha256Hex(big)
	_, obj := c.lfsBatch(repo, bigOID, int64(len(big)), "basic")
	killDuringUpload(t, s, c.uploadHref(obj), big, 24<<20)

	c.base = startServer(t, s.Data).URL
	checkIntact(t, c, repo, head, files, committed)

	r, err := c.commit(repo, ndjson("commit the interrupted upload", "", lfsFile("big.bin", bigOID, int64(len(big)))))
	if err != nil {
		t.Fatalf("commit of interrupted upload: %v", err)
	}
	if r.Status/100 != 4 {
		t.Fatalf("commit of an interrupted upload: status %d, want 4xx: %s", r.Status, truncate(r.Body))
	}
	if got := c.head(repo); got != head {
		t.Fatalf("head moved to %s after a refused commit", got)
	}

	if got := c.uploadLFS(repo, big); got != bigOID {
		t.Fatalf("re-upload oid = %s, want %s", got, bigOID)
	}
	c.commitFiles(repo, "after crash", lfsFile("big.bin", bigOID, int64(len(big))))
	if got := c.resolve(repo, "big.bin"); !bytes.Equal(got, big) {
		t.Errorf("resolve big.bin: %d bytes (sha256 %s), want %d bytes (sha256 %s)",
			len(got), sha256Hex(got), len(big), bigOID)
	}
	if got, want := c.commitCount(repo), count+1; got != want {
		t.Errorf("commit count after restart and one commit = %d, want %d", got, want)
	}
	if r := c.mustDoAny("GET", c.base+"/api/models/"+repo); r.Status != http.StatusOK {
		t.Errorf("model info after restart: status %d", r.Status)
	}
}
