package hubhttp_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type batchResponse struct {
	Transfer string
	Objects  []struct {
		OID           string
		Size          int64
		Authenticated bool
		Actions       map[string]struct {
			Href   string
			Header map[string]string
		}
		Error *struct {
			Code    int
			Message string
		}
	}
}

func (e *env) batch(token, repo, op string, transfers []string, oid string, size int) (*resp, batchResponse) {
	e.t.Helper()
	var out batchResponse
	r := e.req("POST", "/"+repo+".git/info/lfs/objects/batch", token, map[string]any{
		"operation": op, "transfers": transfers, "hash_algo": "sha_256",
		"objects": []map[string]any{{"oid": oid, "size": size}},
	}, "Accept: application/vnd.git-lfs+json")
	if r.StatusCode == 200 {
		r.json(e.t, &out)
	}
	return r, out
}

func TestLFSBasic(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	content := []byte(strings.Repeat("lfs!", 5000))
	oid := sha256hex(content)

	r, b := e.batch(e.alice, "alice/m", "upload", []string{"basic", "multipart", "xet"}, oid, len(content))
	r.must(t, 200)
	if got := r.Header.Get("Content-Type"); got != "application/vnd.git-lfs+json" {
		t.Fatalf("Content-Type=%q", got)
	}
	if b.Transfer != "basic" || len(b.Objects) != 1 || b.Objects[0].OID != oid || !b.Objects[0].Authenticated {
		t.Fatalf("batch=%+v", b)
	}
	href := b.Objects[0].Actions["upload"].Href
	if !strings.HasPrefix(href, e.url+"/api/lfs/upload/") {
		t.Fatalf("upload href=%q", href)
	}

	// Wrong bytes are refused and nothing is recorded.
	wrong := bytes.Clone(content)
	wrong[0] = 'X'
	e.req("PUT", href, "", wrong).mustError(t, 400, "")
	e.req("POST", "/alice/m.git/info/lfs/verify", e.alice, map[string]any{"oid": oid, "size": len(content)}).must(t, 404)
	e.commit(e.alice, "models/alice/m", "main", ndjson("early", "", lfsOp("w.bin", oid, len(content)))).must(t, 400)

	e.req("PUT", href, "", content).must(t, 200)
	e.req("POST", "/alice/m.git/info/lfs/verify", e.alice, map[string]any{"oid": oid, "size": len(content)}).must(t, 200)
	var locks map[string][]any
	e.req("POST", "/alice/m.git/info/lfs/locks/verify", e.alice, map[string]any{}).must(t, 200).json(t, &locks)
	if locks["ours"] == nil || locks["theirs"] == nil {
		t.Fatalf("locks=%v", locks)
	}

	// Already held: no actions.
	_, b = e.batch(e.alice, "alice/m", "upload", []string{"basic"}, oid, len(content))
	if len(b.Objects[0].Actions) != 0 {
		t.Fatalf("held object got actions %v", b.Objects[0].Actions)
	}
	// Size 0 means "look it up".
	e.commit(e.alice, "models/alice/m", "main", ndjson("add", "", lfsOp("w.bin", oid, 0))).must(t, 200)
	got := e.req("GET", "/alice/m/resolve/main/w.bin", "", nil).must(t, 200)
	if !bytes.Equal(got.body, content) {
		t.Fatal("downloaded LFS content differs")
	}

	t.Run("Download", func(t *testing.T) {
		_, b := e.batch("", "alice/m", "download", []string{"basic"}, oid, len(content))
		dl := b.Objects[0].Actions["download"].Href
		if dl == "" {
			t.Fatalf("no download action: %+v", b)
		}
		r := e.req("GET", dl, "", nil).must(t, 200)
		if !bytes.Equal(r.body, content) {
			t.Fatal("batch download content differs")
		}
		_, b = e.batch("", "alice/m", "download", []string{"basic"}, strings.Repeat("0", 64), 3)
		if b.Objects[0].Error == nil || b.Objects[0].Error.Code != 404 {
			t.Fatalf("missing object: %+v", b.Objects[0])
		}
	})
	t.Run("Auth", func(t *testing.T) {
		r, _ := e.batch("", "alice/m", "upload", []string{"basic"}, oid, len(content))
		r.mustError(t, 401, "")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 on the LFS API without a Basic challenge")
		}
		r, _ = e.batch(e.aliceRead, "alice/m", "upload", []string{"basic"}, oid, len(content))
		r.mustError(t, 403, "")
		// A refused upload must not leave its body on the connection.
		for range 3 {
			r := e.req("PUT", e.url+"/api/lfs/upload/forged", "", content)
			if r.StatusCode != 401 && r.StatusCode != 403 {
				t.Fatalf("forged upload URL: status %d", r.StatusCode)
			}
		}
		e.req("GET", "/api/models/alice/m", "", nil).must(t, 200)
	})
}

func TestLFSMultipart(t *testing.T) {
	e := newEnv(t)
	e.createRepo(e.alice, "m", "model", false)
	content := bytes.Repeat([]byte("0123456789abcdef"), (33<<20)/16)
	oid := sha256hex(content)
	_, b := e.batch(e.alice, "alice/m", "upload", []string{"basic", "multipart"}, oid, len(content))
	if b.Transfer != "multipart" {
		t.Fatalf("transfer=%q", b.Transfer)
	}
	up := b.Objects[0].Actions["upload"]
	chunk, err := strconv.Atoi(up.Header["chunk_size"])
	if err != nil {
		t.Fatalf("chunk_size=%q", up.Header["chunk_size"])
	}
	n := int(math.Ceil(float64(len(content)) / float64(chunk)))
	if len(up.Header) != n+1 {
		t.Fatalf("header has %d keys, want %d parts + chunk_size", len(up.Header), n)
	}
	var parts []map[string]any
	for i := 1; i <= n; i++ {
		part := content[(i-1)*chunk : min(i*chunk, len(content))]
		r := e.req("PUT", up.Header[strconv.Itoa(i)], "", part).must(t, 200)
		etag := r.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("part %d: no ETag", i)
		}
		parts = append(parts, map[string]any{"partNumber": i, "etag": etag})
	}
	e.req("POST", up.Href, "", map[string]any{"oid": oid, "parts": parts},
		"Content-Type: application/vnd.git-lfs+json").must(t, 200)
	e.commit(e.alice, "models/alice/m", "main", ndjson("big", "", lfsOp("big.bin", oid, len(content)))).must(t, 200)
	r := e.req("HEAD", "/alice/m/resolve/main/big.bin", "", nil).must(t, 200)
	if got, want := r.Header.Get("X-Linked-Size"), strconv.Itoa(len(content)); got != want {
		t.Fatalf("X-Linked-Size=%s, want %s", got, want)
	}
}

// TestRefusedUploadKeepsConnection pipelines a request after a refused
// upload on one connection: the unread upload body must not be parsed as
// the next request.
func TestRefusedUploadKeepsConnection(t *testing.T) {
	e := newEnv(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := strings.Repeat("GET / HTTP/1.1\r\n", 5000)
	fmt.Fprintf(conn, "PUT /api/lfs/upload/forged HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	for i, want := range []int{0, 200} {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if want != 0 && res.StatusCode != want {
			t.Fatalf("response %d: status %d, want %d", i, res.StatusCode, want)
		}
		if want == 0 && res.StatusCode < 400 {
			t.Fatalf("forged upload: status %d", res.StatusCode)
		}
	}
}
