package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// lfsObject is one object of an LFS batch request or response.
type lfsObject struct {
	OID     string `json:"oid"`
	Size    int64  `json:"size"`
	Actions map[string]struct {
		Href   string            `json:"href"`
		Header map[string]string `json:"header"`
	} `json:"actions,omitempty"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// lfsBatch calls the LFS batch API of a model repo for one upload with the given transfers.
func (c *client) lfsBatch(repo, oid string, size int64, transfers ...string) (transfer string, obj lfsObject) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{
		"operation": "upload",
		"transfers": transfers,
		"hash_algo": "sha256",
		"ref":       map[string]string{"name": "main"},
		"objects":   []map[string]any{{"oid": oid, "size": size}},
	})
	r := c.mustDo(200, "POST", "/"+repo+".git/info/lfs/objects/batch", "application/vnd.git-lfs+json", body)
	var out struct {
		Transfer string      `json:"transfer"`
		Objects  []lfsObject `json:"objects"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Objects) != 1 {
		c.t.Fatalf("lfs batch for %s: %v: %s", repo, err, truncate(r.Body))
	}
	return out.Transfer, out.Objects[0]
}

// uploadHref returns the basic-transfer upload URL of obj, failing when there is none.
func (c *client) uploadHref(obj lfsObject) string {
	c.t.Helper()
	up, ok := obj.Actions["upload"]
	if !ok || up.Href == "" {
		c.t.Fatalf("lfs batch: no upload action for %s: %+v", obj.OID, obj)
	}
	return up.Href
}

// putLFS PUTs body to a signed upload URL without any header, as the JS and Python clients do.
func putLFS(href string, body io.Reader, size int64) (*response, error) {
	req, err := http.NewRequest("PUT", href, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// uploadLFS uploads content through batch (basic transfer) + PUT and returns its oid.
func (c *client) uploadLFS(repo string, content []byte) string {
	c.t.Helper()
	oid, size := sha256Hex(content), int64(len(content))
	transfer, obj := c.lfsBatch(repo, oid, size, "basic")
	if transfer != "basic" {
		c.t.Fatalf("lfs batch offered only basic: transfer %q", transfer)
	}
	r, err := putLFS(c.uploadHref(obj), bytes.NewReader(content), size)
	if err != nil {
		c.t.Fatalf("PUT lfs object %s: %v", oid, err)
	}
	if r.Status/100 != 2 {
		c.t.Fatalf("PUT lfs object %s: status %d: %s", oid, r.Status, truncate(r.Body))
	}
	return oid
}

// commitFiles commits regular and LFS files to main, failing unless it answers 200.
func (c *client) commitFiles(repo, summary string, lines ...commitLine) {
	c.t.Helper()
	r, err := c.commit(repo, ndjson(summary, "", lines...))
	if err != nil {
		c.t.Fatalf("commit %q: %v", summary, err)
	}
	if r.Status != http.StatusOK {
		c.t.Fatalf("commit %q: status %d: %s", summary, r.Status, truncate(r.Body))
	}
	if !strings.Contains(string(r.Body), `"commitOid"`) {
		c.t.Fatalf("commit %q: no commitOid in %s", summary, truncate(r.Body))
	}
}

// stallingReader passes through the first limit bytes of r, closes started,
// then blocks until stop is closed and fails: a client stalled mid-upload.
type stallingReader struct {
	r         io.Reader
	limit     int64
	started   chan struct{}
	stop      chan struct{}
	signalled bool
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.limit <= 0 {
		if !s.signalled {
			s.signalled = true
			close(s.started)
		}
		<-s.stop
		return 0, fmt.Errorf("upload stalled by the test")
	}
	n, err := s.r.Read(p[:min(int64(len(p)), s.limit)])
	s.limit -= int64(n)
	return n, err
}
