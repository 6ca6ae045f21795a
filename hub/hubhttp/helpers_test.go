package hubhttp_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"quarry/hub"
	"quarry/hub/hubhttp"
	"quarry/hub/hubtest"
)

// env is a hub server on a free port over memory stores, with users alice
// (write and read tokens) and bob (write token).
type env struct {
	t         *testing.T
	svc       *hub.Service
	url       string
	alice     string // write token
	aliceRead string
	bob       string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, hubtest.NewMemBlobStore())
}

func newEnvWith(t *testing.T, blobs hub.BlobStore) *env {
	t.Helper()
	svc := hub.NewService(blobs, hubtest.NewMemMeta(), bytes.Repeat([]byte("s"), 32))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := hubhttp.NewServer(svc, hubhttp.Config{PublicURL: url, Logger: log})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	e := &env{t: t, svc: svc, url: url}
	ctx := context.Background()
	for _, name := range []string{"alice", "bob"} {
		if _, err := svc.CreateUser(ctx, name, name+"@example.org", "", false); err != nil {
			t.Fatal(err)
		}
	}
	e.alice = e.token("alice", hub.RoleWrite)
	e.aliceRead = e.token("alice", hub.RoleRead)
	e.bob = e.token("bob", hub.RoleWrite)
	return e
}

func (e *env) token(user, role string) string {
	e.t.Helper()
	tok, _, err := e.svc.CreateToken(context.Background(), user, role, "test "+role)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// resp is a finished response.
type resp struct {
	*http.Response
	body []byte
}

func (r *resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// req sends a request; body may be nil, a string, []byte or any JSON value.
// Extra headers come as "Name: value" strings. Redirects are not followed.
func (e *env) req(method, path, token string, body any, headers ...string) *resp {
	e.t.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	u := path
	if strings.HasPrefix(path, "/") {
		u = e.url + path
	}
	hr, err := http.NewRequest(method, u, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		hr.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &resp{Response: res, body: b}
}

// must fails the test unless the response has the given status.
func (r *resp) must(t *testing.T, status int) *resp {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; X-Error-Code=%q body=%s", r.Request.Method, r.Request.URL,
			r.StatusCode, status, r.Header.Get("X-Error-Code"), r.body)
	}
	return r
}

// mustError checks status and X-Error-Code, and that the body is {"error": msg}
// equal to X-Error-Message.
func (r *resp) mustError(t *testing.T, status int, code string) *resp {
	t.Helper()
	r.must(t, status)
	if got := r.Header.Get("X-Error-Code"); got != code {
		t.Fatalf("%s %s: X-Error-Code=%q, want %q", r.Request.Method, r.Request.URL, got, code)
	}
	var body struct{ Error string }
	if r.Request.Method != http.MethodHead {
		r.json(t, &body)
		if body.Error == "" || body.Error != r.Header.Get("X-Error-Message") {
			t.Fatalf("error body %q, X-Error-Message %q", r.body, r.Header.Get("X-Error-Message"))
		}
	}
	return r
}

// createRepo creates alice's repo of type t ("model", "dataset", "space").
func (e *env) createRepo(token, name, typ string, private bool) {
	e.t.Helper()
	e.req("POST", "/api/repos/create", token, map[string]any{"name": name, "type": typ, "private": private}).must(e.t, 200)
}

// ndjson builds a commit body from a header and operation lines.
func ndjson(summary, parent string, ops ...map[string]any) string {
	lines := []string{mustJSON(map[string]any{"key": "header", "value": map[string]any{"summary": summary, "parentCommit": parent}})}
	for _, op := range ops {
		lines = append(lines, mustJSON(op))
	}
	return strings.Join(lines, "\n") + "\n"
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func fileOp(path, content string) map[string]any {
	return map[string]any{"key": "file", "value": map[string]any{
		"path": path, "content": base64.StdEncoding.EncodeToString([]byte(content)), "encoding": "base64"}}
}

func lfsOp(path, oid string, size int) map[string]any {
	return map[string]any{"key": "lfsFile", "value": map[string]any{"path": path, "algo": "sha256", "oid": oid, "size": size}}
}

// commit posts an NDJSON commit to repo ("alice/m" or "datasets/alice/d")
// and returns the response.
func (e *env) commit(token, apiRepo, branch, body string) *resp {
	e.t.Helper()
	return e.req("POST", "/api/"+apiRepo+"/commit/"+branch, token, body, "Content-Type: application/x-ndjson")
}

// head returns the commit of a repo's main branch.
func (e *env) head(apiRepo string) string {
	e.t.Helper()
	var info struct{ SHA string }
	e.req("GET", "/api/"+apiRepo+"/revision/main", e.alice, nil).must(e.t, 200).json(e.t, &info)
	return info.SHA
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// gitBlobID is the git object id of a blob with content b.
func gitBlobID(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// uploadLFS uploads content to repo through the batch API (basic transfer)
// and returns its oid.
func (e *env) uploadLFS(token, gitRepo string, content []byte) string {
	e.t.Helper()
	oid := sha256hex(content)
	var batch struct {
		Transfer string
		Objects  []struct {
			OID     string
			Actions map[string]struct{ Href string }
		}
	}
	e.req("POST", "/"+gitRepo+".git/info/lfs/objects/batch", token, map[string]any{
		"operation": "upload", "transfers": []string{"basic"},
		"objects": []map[string]any{{"oid": oid, "size": len(content)}},
	}).must(e.t, 200).json(e.t, &batch)
	if len(batch.Objects) != 1 {
		e.t.Fatalf("batch objects=%d", len(batch.Objects))
	}
	if up, ok := batch.Objects[0].Actions["upload"]; ok {
		e.req("PUT", up.Href, "", content).must(e.t, 200)
	}
	return oid
}
