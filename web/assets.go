package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file.
type asset struct {
	body        []byte
	contentType string
	version     string // short content hash, for cache busting
}

// assets are the files under static/, served at /static/NAME.
type assets struct {
	byName map[string]asset
}

// mustLoadAssets reads the embedded static files.
func mustLoadAssets() *assets {
	a := &assets{byName: map[string]asset{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.byName[e.Name()] = asset{body: body, contentType: ct, version: hex.EncodeToString(sum[:6])}
	}
	return a
}

// url returns the versioned URL of an asset for templates. An unknown name
// panics at template execution time, which tests catch.
func (a *assets) url(name string) string {
	f, ok := a.byName[name]
	if !ok {
		panic("web: unknown asset " + name)
	}
	return "/static/" + name + "?v=" + f.version
}

// static serves GET /static/:name. Asset URLs carry a content hash, so they
// may be cached for long.
func (s *site) static(c *fiber.Ctx) error {
	f, ok := s.assets.byName[c.Params("name")]
	if !ok {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusNotFound).SendString("not found")
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	c.Set("X-Content-Type-Options", "nosniff")
	if c.Query("v") == f.version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	return c.Send(f.body)
}
