// Package hubhttp serves the Hugging Face Hub HTTP API (spec/hf-hub-api.md)
// over a hub.Service: repo admin and info, listings, tree and paths-info,
// resolve and raw downloads, preupload, NDJSON commits, the git-lfs batch API
// with signed upload URLs, refs and commits. It hides Fiber from its callers.
package hubhttp

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"quarry/hub"
)

// Config configures a Server.
type Config struct {
	// PublicURL is the absolute base URL of every link the server emits
	// (repo url, commitUrl, Link, LFS actions), without a trailing slash.
	// Empty: derived from each request's scheme and Host.
	PublicURL string
	// Logger receives internal errors; nil means slog.Default().
	Logger *slog.Logger
}

// Server is the HTTP front of a hub.Service.
type Server struct {
	app       *fiber.App
	svc       *hub.Service
	publicURL string
	log       *slog.Logger
}

// maxBodyPrefetch bounds what the server buffers of a request body before
// handing it to handlers as a stream; bodies are never limited in total here
// (uploads of many GiB stream through PUT), handlers bound what they read.
const maxBodyPrefetch = 4 << 20

// NewServer returns a server for svc with every route registered.
func NewServer(svc *hub.Service, cfg Config) *Server {
	s := &Server{svc: svc, publicURL: strings.TrimRight(cfg.PublicURL, "/"), log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.app = fiber.New(fiber.Config{
		ErrorHandler:                 s.handleError,
		StreamRequestBody:            true,
		BodyLimit:                    maxBodyPrefetch,
		DisablePreParseMultipartForm: true,
		DisableStartupMessage:        true,
		ReadTimeout:                  0,
		IdleTimeout:                  2 * time.Minute,
		AppName:                      "quarry",
	})
	s.app.Use(s.drainBody, s.requestID, s.cors, s.authenticate)
	s.routes()
	return s
}

// App returns the underlying Fiber app so that other transports of the same
// process (web pages, demo) can add their routes next to the hub API.
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for active requests until
// ctx is done.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

func (s *Server) routes() {
	a := s.app
	a.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	a.Get("/api/whoami-v2", s.whoami)
	a.Post("/api/repos/create", s.createRepo)
	a.Delete("/api/repos/delete", s.deleteRepo)
	a.Post("/api/repos/move", s.moveRepo)
	a.Post("/api/validate-yaml", s.validateYAML)
	a.Put("/api/lfs/upload/:token", s.lfsUpload)
	a.Put("/api/lfs/part/:token/:part", s.lfsPart)
	a.Post("/api/lfs/complete/:token", s.lfsComplete)
	a.Get("/api/lfs/download/:token", s.lfsDownload)
	for _, t := range []hub.RepoType{hub.Model, hub.Dataset, hub.Space} {
		plural := "/api/" + string(t) + "s"
		a.Get(plural, s.listRepos(t))
		a.All(plural+"/*", s.repoAPI(t))
	}
	// Dataset and space prefixes first: "/datasets/x/..." must not be read
	// as a model in namespace "datasets".
	for _, t := range []hub.RepoType{hub.Dataset, hub.Space, hub.Model} {
		p := "/" + strings.TrimSuffix(t.URLPrefix(), "/")
		if t == hub.Model {
			p = ""
		}
		a.Get(p+"/:ns/:name/resolve/*", s.download(t, false))
		a.Get(p+"/:ns/:name/raw/*", s.download(t, true))
		a.Post(p+"/:ns/:name/info/lfs/objects/batch", s.lfsBatch(t))
		a.Post(p+"/:ns/:name/info/lfs/verify", s.lfsVerify(t))
		a.Post(p+"/:ns/:name/info/lfs/locks/verify", s.lfsLocksVerify(t))
	}
}
