package hubhttp

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// presignTTL is how long a redirect to the blob store stays valid.
const presignTTL = time.Hour

// download answers GET and HEAD /{prefix}{ns}/{name}/resolve|raw/{rev}/{path}.
func (s *Server) download(t hub.RepoType, raw bool) fiber.Handler {
	prefix := "/" + t.URLPrefix()
	return func(c *fiber.Ctx) error {
		p, err := parseRepoPath(t, rawPath(c), prefix)
		if err != nil {
			return err
		}
		rev, file, err := s.resolveRevPath(c, p.ID, p.Tail)
		if err != nil {
			return err
		}
		// Python caches "does not exist" under the commit: 404s carry it too.
		c.Set("X-Repo-Commit", rev.Commit)
		if file == "" {
			return hub.NotFoundf(hub.ErrEntryNotFound, "Entry not found: no file path given")
		}
		f, err := s.svc.Stat(c.UserContext(), rev, file, raw)
		if err != nil {
			return err
		}
		return s.serveFile(c, f, !raw && f.Entry.LFS != nil)
	}
}

// serveFile sends f with the HF download headers. LFS content goes through a
// presigned redirect when the blob store can make one; otherwise, and for
// Range probes, the bytes are streamed (never buffered whole).
func (s *Server) serveFile(c *fiber.Ctx, f *hub.File, lfs bool) error {
	etag := `"` + f.ETag + `"`
	c.Set("X-Repo-Commit", f.Commit)
	c.Set("ETag", etag)
	c.Set("X-Linked-Etag", etag)
	c.Set("X-Linked-Size", strconv.FormatInt(f.Size, 10))
	c.Set("Accept-Ranges", "bytes")
	c.Set("Content-Type", contentType(f.Entry.Path))
	if !isTrue(c.Query("noContentDisposition")) {
		c.Set("Content-Disposition", contentDisposition(f.Entry.Path, isTrue(c.Query("download"))))
	}
	if lfs && c.Get(fiber.HeaderRange) != "bytes=0-0" {
		if ok, err := s.redirectToStore(c, f); ok || err != nil {
			return err
		}
	}
	start, length, partial, err := parseRange(c.Get(fiber.HeaderRange), f.Size)
	if err != nil {
		c.Set("Content-Range", "bytes */"+strconv.FormatInt(f.Size, 10))
		return err
	}
	if partial {
		c.Status(fiber.StatusPartialContent)
		c.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+
			strconv.FormatInt(start+length-1, 10)+"/"+strconv.FormatInt(f.Size, 10))
	}
	if c.Method() == fiber.MethodHead {
		c.Response().Header.SetContentLength(int(length))
		return nil
	}
	r, err := s.open(c.UserContext(), f, start, length)
	if err != nil {
		return err
	}
	return c.SendStream(r, int(length))
}

// redirectToStore answers 302 to a presigned URL when the blob store is a
// hub.Presigner. ok=false means "serve the bytes yourself".
func (s *Server) redirectToStore(c *fiber.Ctx, f *hub.File) (ok bool, err error) {
	ps, isPresigner := s.svc.Blobs.(hub.Presigner)
	if !isPresigner || f.Offset != 0 {
		return false, nil
	}
	u, err := ps.PresignGet(c.UserContext(), f.Key, presignTTL)
	if errors.Is(err, hub.ErrUnsupported) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	c.Set("Location", u)
	c.Status(fiber.StatusFound)
	return true, nil
}

// open returns length bytes of f from start. On a local disk it returns a
// file section whose WriteTo lets the kernel copy it (sendfile).
func (s *Server) open(ctx context.Context, f *hub.File, start, length int64) (io.Reader, error) {
	if lp, ok := s.svc.Blobs.(hub.LocalPather); ok {
		if p, ok := lp.LocalPath(f.Key); ok {
			fh, err := os.Open(p)
			if err == nil {
				if _, err = fh.Seek(f.Offset+start, io.SeekStart); err != nil {
					fh.Close()
					return nil, err
				}
				return &fileSection{f: fh, n: length}, nil
			}
			if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
	}
	return s.svc.OpenFile(ctx, f, start, length)
}

// fileSection is n bytes of an open file from its current offset. fasthttp
// closes it after writing the response.
type fileSection struct {
	f *os.File
	n int64
}

func (s *fileSection) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.n {
		p = p[:s.n]
	}
	n, err := s.f.Read(p)
	s.n -= int64(n)
	return n, err
}

// WriteTo hands the copy to w's ReadFrom with a LimitedReader over the
// *os.File, which net.TCPConn turns into sendfile.
func (s *fileSection) WriteTo(w io.Writer) (int64, error) {
	n, err := io.Copy(w, &io.LimitedReader{R: s.f, N: s.n})
	s.n -= n
	return n, err
}

func (s *fileSection) Close() error { return s.f.Close() }

// parseRange reads a single-range "bytes=" header against size. partial is
// false when the whole content is to be sent (no header, several ranges,
// unreadable syntax, or an empty file). An unsatisfiable range is ErrRange.
func parseRange(h string, size int64) (start, length int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") || size == 0 {
		return 0, size, false, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	unsatisfiable := hub.Errorf(hub.ErrRange, "Requested range not satisfiable: %s (size %d)", h, size)
	if a == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return 0, size, false, nil
		}
		if n <= 0 {
			return 0, 0, false, unsatisfiable
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return 0, size, false, nil
	}
	last := size - 1
	if b != "" {
		if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < first {
			return 0, size, false, nil
		}
	}
	if first >= size {
		return 0, 0, false, unsatisfiable
	}
	last = min(last, size-1)
	return first, last - first + 1, true, nil
}

// contentType guesses a file's media type from its extension.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := textTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

var textTypes = map[string]string{
	".json": "application/json", ".md": "text/markdown; charset=utf-8",
	".txt": "text/plain; charset=utf-8", ".yaml": "text/yaml; charset=utf-8",
	".yml": "text/yaml; charset=utf-8", ".py": "text/x-python; charset=utf-8",
	".csv": "text/csv; charset=utf-8", ".gitattributes": "text/plain; charset=utf-8",
	".onnx": "application/octet-stream", ".safetensors": "application/octet-stream",
}

// contentDisposition names the file as HF does (inline unless download).
func contentDisposition(p string, attachment bool) string {
	name := path.Base(p)
	kind := "inline"
	if attachment {
		kind = "attachment"
	}
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return kind + "; filename*=UTF-8''" + url.PathEscape(name) + `; filename="` + ascii + `";`
}
