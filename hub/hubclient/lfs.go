package hubclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
)

// lfsMediaType is the content type of the git-lfs batch API.
const lfsMediaType = "application/vnd.git-lfs+json"

// LFSObject names an LFS object by its sha256 and size.
type LFSObject struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// LFSAction is an upload, download or verify action of a batch answer.
type LFSAction struct {
	Href   string            `json:"href"`
	Header map[string]string `json:"header,omitempty"`
}

// LFSBatchObject is one object of a batch answer; Actions is empty when
// the server has the object already.
type LFSBatchObject struct {
	OID     string               `json:"oid"`
	Size    int64                `json:"size"`
	Actions map[string]LFSAction `json:"actions,omitempty"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// LFSBatch is the answer of the LFS batch API.
type LFSBatch struct {
	Transfer string           `json:"transfer"`
	Objects  []LFSBatchObject `json:"objects"`
}

// LFSBatch asks where to upload objects of repo id (transfers basic and
// multipart, as the Hub clients offer).
func (c *Client) LFSBatch(ctx context.Context, t RepoType, id string, objs []LFSObject) (*LFSBatch, error) {
	in := map[string]any{"operation": "upload", "transfers": []string{"basic", "multipart"},
		"objects": objs, "hash_algo": "sha256", "ref": map[string]string{"name": "refs/heads/main"}}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, request{method: http.MethodPost, path: t.files(id) + ".git/info/lfs/objects/batch",
		body: bytes.NewReader(b), contentType: lfsMediaType, accept: lfsMediaType, auth: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out LFSBatch
	if err := decode(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Source gives an upload's content: a reader of its bytes from offset
// off, n bytes long.
type Source func(off, n int64) (io.ReadCloser, error)

// UploadLFS sends one object of a batch answer (basic PUT, or multipart
// parts then the completion call) and verifies it when asked to.
func (c *Client) UploadLFS(ctx context.Context, transfer string, obj LFSBatchObject, src Source) error {
	if obj.Error != nil {
		return fmt.Errorf("lfs upload %s: %d %s", obj.OID, obj.Error.Code, obj.Error.Message)
	}
	up, ok := obj.Actions["upload"]
	if !ok {
		return nil // already stored
	}
	var err error
	if _, chunked := up.Header["chunk_size"]; transfer == "multipart" && chunked {
		err = c.uploadParts(ctx, obj, up, src)
	} else {
		err = c.put(ctx, up, src, 0, obj.Size)
	}
	if err != nil {
		return fmt.Errorf("lfs upload %s: %w", obj.OID, err)
	}
	if v, ok := obj.Actions["verify"]; ok {
		body, _ := json.Marshal(LFSObject{OID: obj.OID, Size: obj.Size})
		if err := c.post(ctx, v, body); err != nil {
			return fmt.Errorf("lfs verify %s: %w", obj.OID, err)
		}
	}
	return nil
}

// put PUTs n bytes of src from off to a's href (a signed URL: no token).
func (c *Client) put(ctx context.Context, a LFSAction, src Source, off, n int64) error {
	_, err := c.putPart(ctx, a.Href, a.Header, src, off, n)
	return err
}

func (c *Client) putPart(ctx context.Context, href string, header map[string]string, src Source, off, n int64) (string, error) {
	body, err := src(off, n)
	if err != nil {
		return "", err
	}
	defer body.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, href, body)
	if err != nil {
		return "", err
	}
	req.ContentLength = n
	if n == 0 {
		req.Body = http.NoBody
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", readError(http.MethodPut, href, resp)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header.Get("ETag"), nil
}

// uploadParts sends the parts of a multipart upload and completes it.
func (c *Client) uploadParts(ctx context.Context, obj LFSBatchObject, up LFSAction, src Source) error {
	chunk, err := strconv.ParseInt(up.Header["chunk_size"], 10, 64)
	if err != nil || chunk <= 0 {
		return fmt.Errorf("invalid chunk_size %q", up.Header["chunk_size"])
	}
	var nums []int
	for k := range up.Header {
		if n, err := strconv.Atoi(k); err == nil {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	if want := (obj.Size + chunk - 1) / chunk; int64(len(nums)) != want {
		return fmt.Errorf("%d part URLs for %d bytes in chunks of %d", len(nums), obj.Size, chunk)
	}
	type part struct {
		PartNumber int    `json:"partNumber"`
		ETag       string `json:"etag"`
	}
	parts := make([]part, 0, len(nums))
	for _, n := range nums {
		off := int64(n-1) * chunk
		etag, err := c.putPart(ctx, up.Header[strconv.Itoa(n)], nil, src, off, min(chunk, obj.Size-off))
		if err != nil {
			return fmt.Errorf("part %d: %w", n, err)
		}
		if etag == "" {
			return fmt.Errorf("part %d: no ETag in the answer", n)
		}
		parts = append(parts, part{PartNumber: n, ETag: etag})
	}
	body, _ := json.Marshal(map[string]any{"oid": obj.OID, "parts": parts})
	return c.post(ctx, LFSAction{Href: up.Href}, body)
}

// post POSTs an LFS JSON body to a's href without the token (completion
// and verify URLs are signed).
func (c *Client) post(ctx context.Context, a LFSAction, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Href, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", lfsMediaType)
	req.Header.Set("Accept", lfsMediaType)
	for k, v := range a.Header {
		req.Header.Set(k, v)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return readError(http.MethodPost, a.Href, resp)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}
