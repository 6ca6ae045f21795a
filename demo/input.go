package demo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// imageInput is a resolved image input.
type imageInput struct {
	data []byte
	name string
}

// fileData is Gradio's FileData as clients send it.
type fileData struct {
	Path     string `json:"path"`
	URL      string `json:"url"`
	OrigName string `json:"orig_name"`
}

// errNotIssued explains the only inputs accepted: nothing is ever fetched.
var errNotIssued = userErrorf(fiber.StatusUnprocessableEntity,
	"Unknown file: send an image uploaded to this demo (POST gradio_api/upload) or one of its examples; URLs are never fetched, and uploads expire.")

// imageInput resolves the one image parameter: a path this server issued
// (or its file= URL), an example URL of this demo, or a data: URL.
func (s *Server) imageInput(ctx context.Context, m *model, data []json.RawMessage) (*imageInput, error) {
	if len(data) != 1 {
		return nil, userErrorf(fiber.StatusUnprocessableEntity, "/predict takes exactly one input (an image), got %d.", len(data))
	}
	var fd fileData
	if err := json.Unmarshal(data[0], &fd); err != nil {
		var p string
		if json.Unmarshal(data[0], &p) != nil {
			return nil, userErrorf(fiber.StatusUnprocessableEntity, "The image must be a FileData object {\"path\": ...}.")
		}
		fd.Path = p
	}
	if fd.Path == "" && fd.URL == "" {
		// @gradio/client sends an empty object when its upload was refused
		// (it drops the upload's error), typically for a file too large.
		return nil, userErrorf(fiber.StatusUnprocessableEntity,
			"No image given: the input has no path. If the upload failed, note that files larger than %s (max_file_size) are refused.",
			humanSize(s.cfg.MaxFileSize))
	}
	for _, ref := range []string{fd.Path, fd.URL} {
		if ref == "" {
			continue
		}
		img, err := s.lookup(ctx, m, ref)
		if img != nil || err != nil {
			return img, err
		}
	}
	return nil, errNotIssued
}

// lookup resolves one reference, returning nil, nil when it is not ours.
func (s *Server) lookup(ctx context.Context, m *model, ref string) (*imageInput, error) {
	if u, ok := s.uploads.get(ref); ok {
		return &imageInput{data: u.data, name: u.name}, nil
	}
	if strings.HasPrefix(ref, "data:") {
		return s.dataURL(ref)
	}
	if rest, ok := strings.CutPrefix(ref, m.root+"/gradio_api/file="); ok {
		if p, err := url.PathUnescape(rest); err == nil {
			if u, ok := s.uploads.get(p); ok {
				return &imageInput{data: u.data, name: u.name}, nil
			}
		}
		return nil, nil
	}
	if rest, ok := strings.CutPrefix(ref, m.root+"/examples/"); ok {
		p, err := url.PathUnescape(rest)
		if err != nil {
			return nil, nil
		}
		data, err := s.exampleFile(ctx, m, p)
		if err != nil {
			return nil, err
		}
		return &imageInput{data: data, name: path.Base(p)}, nil
	}
	return nil, nil
}

// dataURL decodes a base64 data: URL within the file size limit.
func (s *Server) dataURL(ref string) (*imageInput, error) {
	meta, payload, ok := strings.Cut(strings.TrimPrefix(ref, "data:"), ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return nil, userErrorf(fiber.StatusUnprocessableEntity, "Only base64 data: URLs are accepted.")
	}
	if int64(base64.StdEncoding.DecodedLen(len(payload))) > s.cfg.MaxFileSize+2 {
		return nil, s.tooLarge()
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, userErrorf(fiber.StatusUnprocessableEntity, "The data: URL is not valid base64.")
	}
	return &imageInput{data: data, name: "blob"}, nil
}

func (s *Server) tooLarge() *apiError {
	return userErrorf(fiber.StatusRequestEntityTooLarge, "The file is larger than this demo's limit of %s (max_file_size %d bytes).",
		humanSize(s.cfg.MaxFileSize), s.cfg.MaxFileSize)
}

// upload stores the multipart parts named "files" and returns their paths.
func (s *Server) upload(c *fiber.Ctx, _ *model) error {
	form, err := c.MultipartForm()
	if err != nil {
		return s.writeError(c, userErrorf(fiber.StatusUnprocessableEntity, "Send the file as multipart/form-data in a field named \"files\"."))
	}
	parts := form.File["files"]
	if len(parts) == 0 {
		return s.writeError(c, userErrorf(fiber.StatusUnprocessableEntity, "No field named \"files\" in the upload."))
	}
	paths := make([]string, 0, len(parts))
	for _, fh := range parts {
		if fh.Size > s.cfg.MaxFileSize {
			return s.writeError(c, s.tooLarge())
		}
		f, err := fh.Open()
		if err != nil {
			return s.writeError(c, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxFileSize+1))
		f.Close()
		if err != nil {
			return s.writeError(c, err)
		}
		if int64(len(data)) > s.cfg.MaxFileSize {
			return s.writeError(c, s.tooLarge())
		}
		paths = append(paths, s.uploads.put(fh.Filename, data))
	}
	return c.JSON(paths)
}

// file serves an upload back by its issued path. Only images are served
// inline; anything else is an attachment, so uploads cannot run as pages.
func (s *Server) file(c *fiber.Ctx, _ *model) error {
	p, err := url.PathUnescape(c.Params("*"))
	if err != nil {
		return s.writeError(c, errNotIssued)
	}
	u, ok := s.uploads.get(p)
	if !ok {
		return s.writeError(c, userErrorf(fiber.StatusNotFound, "Unknown or expired file."))
	}
	return serveBytes(c, u.name, u.data)
}

// serveBytes answers with data, inline only when it sniffs as an image.
func serveBytes(c *fiber.Ctx, name string, data []byte) error {
	ct := http.DetectContentType(data)
	c.Set("X-Content-Type-Options", "nosniff")
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+safeName(name)+`"`)
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return c.Send(data)
}

// exampleFile returns an example image of m if p is one of its examples.
func (s *Server) exampleFile(ctx context.Context, m *model, p string) ([]byte, error) {
	examples, err := s.examples(ctx, m)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(examples, func(e Example) bool { return e.Path == p }) {
		return nil, userErrorf(fiber.StatusNotFound, "%q is not an example of this model.", p)
	}
	return m.src.File(ctx, m.caller, m.info, p)
}

// imageExts are the file extensions listed as examples.
var imageExts = []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"}

// examples returns the card's examples followed by the images under
// examples/, without duplicates.
func (s *Server) examples(ctx context.Context, m *model) ([]Example, error) {
	out := slices.Clone(m.info.Examples)
	files, err := m.src.List(ctx, m.caller, m.info, "examples")
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	for _, f := range files {
		ext := strings.ToLower(path.Ext(f))
		if slices.Contains(imageExts, ext) && !slices.ContainsFunc(out, func(e Example) bool { return e.Path == f }) {
			out = append(out, Example{Path: f})
		}
	}
	return out, nil
}

func (s *Server) example(c *fiber.Ctx, m *model) error {
	p, err := url.PathUnescape(c.Params("*"))
	if err != nil {
		return s.writeError(c, userErrorf(fiber.StatusNotFound, "Bad example path."))
	}
	data, err := s.exampleFile(c.UserContext(), m, p)
	if err != nil {
		return s.writeError(c, err)
	}
	return serveBytes(c, path.Base(p), data)
}

// humanSize formats n bytes as "10 MB" style text.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
