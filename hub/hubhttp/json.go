package hubhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// timeLayout is the HF date format: UTC with milliseconds and a 'Z'.
const timeLayout = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// maxJSONBody bounds JSON request bodies (commits are read separately).
const maxJSONBody = 16 << 20

// readBody reads the whole request body, at most max bytes (ErrTooLarge).
func readBody(c *fiber.Ctx, max int64) ([]byte, error) {
	r := c.Context().RequestBodyStream()
	if r == nil {
		b := c.Request().Body()
		if int64(len(b)) > max {
			return nil, hub.Errorf(hub.ErrTooLarge, "request body larger than %d bytes", max)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, hub.Errorf(hub.ErrInvalid, "reading request body: %v", err)
	}
	if int64(len(b)) > max {
		return nil, hub.Errorf(hub.ErrTooLarge, "request body larger than %d bytes", max)
	}
	return b, nil
}

// bodyReader returns the request body as a stream; with StreamRequestBody
// large bodies are never held in memory whole.
func bodyReader(c *fiber.Ctx) io.Reader {
	if r := c.Context().RequestBodyStream(); r != nil {
		return r
	}
	return bytes.NewReader(c.Request().Body())
}

// decodeJSON reads a JSON request body into v. An empty body leaves v as is.
func decodeJSON(c *fiber.Ctx, v any) error {
	b, err := readBody(c, maxJSONBody)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return hub.Errorf(hub.ErrInvalid, "invalid JSON body: %v", err)
	}
	return nil
}

// queryValues returns every value of a repeated query parameter, also under
// its "name[]" spelling.
func queryValues(c *fiber.Ctx, name string) []string {
	var vs []string
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if key := string(k); key == name || key == name+"[]" {
			vs = append(vs, string(v))
		}
	})
	return vs
}

// queryBool reads a boolean query parameter: true, 1, True (and yes).
func queryBool(c *fiber.Ctx, name string) bool { return isTrue(c.Query(name)) }

// nextLink sets `Link: <URL>; rel="next"`, URL being the current request at
// the public base URL with param set to value.
func (s *Server) nextLink(c *fiber.Ctx, param, value string) {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	if q == nil {
		q = url.Values{}
	}
	q.Set(param, value)
	c.Set("Link", "<"+s.baseURL(c)+rawPath(c)+"?"+q.Encode()+`>; rel="next"`)
}

// entryJSON is a tree or paths-info entry.
type entryJSON struct {
	Type       string          `json:"type"`
	OID        string          `json:"oid"`
	Size       int64           `json:"size"`
	Path       string          `json:"path"`
	LFS        *lfsJSON        `json:"lfs,omitempty"`
	LastCommit *lastCommitJSON `json:"lastCommit,omitempty"`
}

type lfsJSON struct {
	OID         string `json:"oid"`
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

type lastCommitJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Date  string `json:"date"`
}

func newEntryJSON(e hub.Entry) entryJSON {
	j := entryJSON{Type: e.Type, OID: e.OID, Size: e.Size, Path: e.Path}
	if e.Type == "directory" {
		j.Size = 0
	}
	if e.LFS != nil {
		j.LFS = &lfsJSON{OID: e.LFS.OID, Size: e.LFS.Size, PointerSize: e.LFS.PointerSize}
	}
	return j
}

// siblingJSON is an entry of a repo's "siblings".
type siblingJSON struct {
	RFilename string      `json:"rfilename"`
	Size      *int64      `json:"size,omitempty"`
	BlobID    string      `json:"blobId,omitempty"`
	LFS       *siblingLFS `json:"lfs,omitempty"`
}

type siblingLFS struct {
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

func siblingsJSON(entries []hub.Entry, blobs bool) []siblingJSON {
	out := make([]siblingJSON, 0, len(entries))
	for _, e := range entries {
		if e.Type != "file" {
			continue
		}
		sj := siblingJSON{RFilename: e.Path}
		if blobs {
			size := e.Size
			sj.Size, sj.BlobID = &size, e.OID
			if e.LFS != nil {
				sj.LFS = &siblingLFS{SHA256: e.LFS.OID, Size: e.LFS.Size, PointerSize: e.LFS.PointerSize}
			}
		}
		out = append(out, sj)
	}
	return out
}

// parseForm parses a form-urlencoded body.
func parseForm(body string) (url.Values, error) {
	q, err := url.ParseQuery(body)
	if err != nil {
		return nil, hub.Errorf(hub.ErrInvalid, "invalid form body: %v", err)
	}
	return q, nil
}
