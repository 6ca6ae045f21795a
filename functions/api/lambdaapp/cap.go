package lambdaapp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"quarry/hub"
)

// CacheKeyPrefix is where oversized GET answers are parked in the bucket,
// by the sha256 of their body (template.yaml expires them after a week).
const CacheKeyPrefix = "lambda-cache/"

// cacheTTL is the life of the presigned URL of a parked answer.
const cacheTTL = time.Hour

// response is a proxy response of either payload version.
type response struct {
	Status  int
	Headers map[string]string
	Multi   map[string][]string // v1 only
	Body    string
	Base64  bool
}

// responseCap keeps responses under Lambda's limit.
type responseCap struct {
	max   int
	blobs hub.BlobStore
	log   *slog.Logger
}

// apply returns r when its body fits. A larger successful GET answer is
// stored in the bucket and answered with a 302 to a presigned URL that
// keeps r's headers (X-Repo-Commit, ETag, X-Linked-Size: HF clients read
// them on the redirect); anything else too large becomes a 500 naming
// the limit.
func (c *responseCap) apply(ctx context.Context, method string, r response) response {
	if len(r.Body) <= c.max {
		return r
	}
	raw := []byte(r.Body)
	if r.Base64 {
		b, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			return tooLarge(r, len(r.Body))
		}
		raw = b
	}
	if method == http.MethodGet && r.Status == http.StatusOK {
		loc, err := c.park(ctx, raw)
		if err == nil {
			return redirect(r, loc)
		}
		c.logger().Error("lambdaapp: park an oversized response", "bytes", len(raw), "err", err)
	}
	return tooLarge(r, len(raw))
}

// park stores body under its content key (once) and presigns a GET.
func (c *responseCap) park(ctx context.Context, body []byte) (string, error) {
	ps, ok := c.blobs.(hub.Presigner)
	if !ok {
		return "", fmt.Errorf("the blob store cannot presign URLs")
	}
	sum := sha256.Sum256(body)
	key := CacheKeyPrefix + hex.EncodeToString(sum[:])
	if n, err := c.blobs.Stat(ctx, key); err != nil || n != int64(len(body)) {
		if _, err := c.blobs.Put(ctx, key, strings.NewReader(string(body))); err != nil {
			return "", err
		}
	}
	return ps.PresignGet(ctx, key, cacheTTL)
}

// bodyHeaders describe a body that the redirect does not carry.
var bodyHeaders = []string{"Content-Length", "Content-Type", "Content-Encoding", "Content-Range", "Content-Disposition"}

// redirect turns r into a 302 to loc with r's other headers.
func redirect(r response, loc string) response {
	out := response{Status: http.StatusFound, Headers: map[string]string{}}
	for k, v := range r.Headers {
		if !isBodyHeader(k) {
			out.Headers[k] = v
		}
	}
	out.Headers["Location"] = loc
	if r.Multi != nil {
		out.Multi = map[string][]string{}
		for k, v := range r.Multi {
			if !isBodyHeader(k) {
				out.Multi[k] = v
			}
		}
		out.Multi["Location"] = []string{loc}
	}
	return out
}

func isBodyHeader(k string) bool {
	for _, h := range bodyHeaders {
		if strings.EqualFold(k, h) {
			return true
		}
	}
	return false
}

// tooLarge is the error answer for a body of n bytes over the limit.
func tooLarge(r response, n int) response {
	msg := "The response (" + strconv.Itoa(n) + " bytes) is larger than AWS Lambda can return (6 MB); ask for less (pagination, ranges)"
	b, _ := json.Marshal(map[string]string{"error": msg})
	h := map[string]string{"Content-Type": "application/json", "X-Error-Message": msg}
	out := response{Status: http.StatusInternalServerError, Headers: h, Body: string(b)}
	if r.Multi != nil {
		out.Multi = map[string][]string{}
		for k, v := range h {
			out.Multi[k] = []string{v}
		}
	}
	return out
}

func (c *responseCap) logger() *slog.Logger {
	if c.log == nil {
		return slog.Default()
	}
	return c.log
}
