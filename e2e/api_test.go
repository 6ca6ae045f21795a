package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// client calls the Hugging Face Hub HTTP API of one server as one user.
type client struct {
	t     *testing.T
	base  string
	token string // "" sends no Authorization header
	user  string
	hc    *http.Client // nil: httpClient
}

// response is a fully read HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// httpClient never follows redirects, so tests see resolve's 302 itself.
var httpClient = &http.Client{
	Timeout:       5 * time.Minute,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends one request with the user's token (when auth) and reads the whole response.
func (c *client) do(method, url, contentType string, body io.Reader, auth bool) (*response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := c.hc
	if hc == nil {
		hc = httpClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", method, url, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// mustDo is do that fails the test on transport errors and on a status other than want.
func (c *client) mustDo(want int, method, path, contentType string, body []byte) *response {
	c.t.Helper()
	r, err := c.do(method, c.base+path, contentType, bytes.NewReader(body), true)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d; X-Error-Code=%q body=%s",
			method, path, r.Status, want, r.Header.Get("X-Error-Code"), truncate(r.Body))
	}
	return r
}

// createModel creates a model repo NAME under the user's namespace and returns its id.
func (c *client) createModel(name string) string {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "organization": c.user, "type": "model"})
	c.mustDo(200, "POST", "/api/repos/create", "application/json", body)
	return c.user + "/" + name
}

// head returns the commit sha of the model's main branch.
func (c *client) head(repo string) string {
	c.t.Helper()
	r := c.mustDo(200, "GET", "/api/models/"+repo+"/revision/main", "", nil)
	var info struct {
		SHA string `json:"sha"`
	}
	if err := json.Unmarshal(r.Body, &info); err != nil || len(info.SHA) != 40 {
		c.t.Fatalf("model info of %s: sha %q (%v): %s", repo, info.SHA, err, truncate(r.Body))
	}
	return info.SHA
}

// treeEntry is one entry of GET /api/models/{id}/tree.
type treeEntry struct {
	Type string `json:"type"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	OID  string `json:"oid"`
	LFS  *struct {
		OID  string `json:"oid"`
		Size int64  `json:"size"`
	} `json:"lfs"`
}

// files lists the paths of all files (not directories) of the model at main, sorted.
func (c *client) files(repo string) []string {
	c.t.Helper()
	r := c.mustDo(200, "GET", "/api/models/"+repo+"/tree/main?recursive=true", "", nil)
	var entries []treeEntry
	if err := json.Unmarshal(r.Body, &entries); err != nil {
		c.t.Fatalf("tree of %s: %v: %s", repo, err, truncate(r.Body))
	}
	var paths []string
	for _, e := range entries {
		if e.Type == "file" {
			paths = append(paths, e.Path)
		}
	}
	sort.Strings(paths)
	return paths
}

// commitCount is X-Total-Count of GET /api/models/{id}/commits/main.
func (c *client) commitCount(repo string) int {
	c.t.Helper()
	r := c.mustDo(200, "GET", "/api/models/"+repo+"/commits/main?limit=1", "", nil)
	n, err := strconv.Atoi(r.Header.Get("X-Total-Count"))
	if err != nil {
		c.t.Fatalf("commits of %s: X-Total-Count %q: %v", repo, r.Header.Get("X-Total-Count"), err)
	}
	return n
}

// commitLine is one NDJSON line of the commit API.
type commitLine struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// ndjson encodes a commit: a header (with parentCommit when parent != "") then the given lines.
func ndjson(summary, parent string, lines ...commitLine) []byte {
	header := map[string]any{"summary": summary}
	if parent != "" {
		header["parentCommit"] = parent
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	_ = enc.Encode(commitLine{Key: "header", Value: header})
	for _, l := range lines {
		_ = enc.Encode(l)
	}
	return b.Bytes()
}

// regularFile is a commit line adding path with content inline (base64).
func regularFile(path string, content []byte) commitLine {
	return commitLine{Key: "file", Value: map[string]any{
		"path": path, "content": base64.StdEncoding.EncodeToString(content), "encoding": "base64",
	}}
}

// lfsFile is a commit line adding path as an LFS pointer to content already uploaded.
func lfsFile(path, oid string, size int64) commitLine {
	return commitLine{Key: "lfsFile", Value: map[string]any{"path": path, "algo": "sha256", "oid": oid, "size": size}}
}

// commit posts an NDJSON commit to main and returns the raw response.
func (c *client) commit(repo string, body []byte) (*response, error) {
	return c.do("POST", c.base+"/api/models/"+repo+"/commit/main", "application/x-ndjson", bytes.NewReader(body), true)
}

// resolve downloads path at main through /resolve, following the LFS redirect when there is one.
func (c *client) resolve(repo, path string) []byte {
	c.t.Helper()
	r := c.mustDoAny("GET", c.base+"/"+repo+"/resolve/main/"+path)
	if r.Status == http.StatusFound || r.Status == http.StatusTemporaryRedirect {
		loc := r.Header.Get("Location")
		if strings.HasPrefix(loc, "/") {
			loc = c.base + loc
		}
		r = c.mustDoAny("GET", loc)
	}
	if r.Status != http.StatusOK {
		c.t.Fatalf("resolve %s/%s: status %d: %s", repo, path, r.Status, truncate(r.Body))
	}
	return r.Body
}

// mustDoAny is an authenticated GET of an absolute URL that only fails on transport errors.
func (c *client) mustDoAny(method, url string) *response {
	c.t.Helper()
	r, err := c.do(method, url, "", nil, true)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

// sha256Hex is the lowercase hex sha256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// truncate shortens a response body for error messages.
func truncate(b []byte) string {
	if len(b) > 500 {
		return string(b[:500]) + "..."
	}
	return string(b)
}
