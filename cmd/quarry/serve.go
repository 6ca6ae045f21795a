package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"quarry/hub"
	"quarry/hub/hubhttp"
	"quarry/infra"
	"quarry/web"
)

// shutdownTimeout bounds how long Close waits for requests in flight.
const shutdownTimeout = 10 * time.Second

// server is a running hub server and what it holds open.
type server struct {
	http   *hubhttp.Server
	demo   *demoService
	stores io.Closer
	done   chan error // receives Serve's result
	url    string
}

// runServe starts the hub server and returns once it accepts requests.
func (m *Main) runServe(ctx context.Context, args []string) error {
	if m.srv != nil {
		return errors.New("serve: already serving")
	}
	fs := newFlagSet("serve", "serve [--addr HOST:PORT] [--data DIR] [--public-url URL] [--ort-lib PATH] [--threads N]", m.Stderr)
	addr := fs.String("addr", envOr(m.Getenv, "QUARRY_ADDR", "127.0.0.1:8080"), "address to listen on (QUARRY_ADDR)")
	data := fs.String("data", "", "data directory (QUARRY_DATA, default ./data)")
	public := fs.String("public-url", m.Getenv("QUARRY_PUBLIC_URL"), "base URL of emitted links (QUARRY_PUBLIC_URL)")
	demoFlags, err := addDemoFlags(fs, m.Getenv)
	if err != nil {
		return err
	}
	if _, err := parseFlags(fs, args, 0, ""); err != nil {
		return err
	}
	cfg := m.storeConfig(*data)
	secret, err := infra.LoadSecret(cfg)
	if err != nil {
		return err
	}
	blobs, meta, stores, err := infra.Open(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		stores.Close()
		return fmt.Errorf("serve: %w", err)
	}
	url := strings.TrimRight(*public, "/")
	if url == "" {
		url = "http://" + ln.Addr().String()
	}
	logger := slog.New(slog.NewTextHandler(m.Stderr, nil))
	svc := hub.NewService(blobs, meta, secret)
	srv := &server{
		http:   hubhttp.NewServer(svc, hubhttp.Config{PublicURL: url, Logger: logger}),
		stores: stores,
		done:   make(chan error, 1),
		url:    url,
	}
	logf := func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }
	// The demo goes before the web pages: /spaces/NS/NAME is a space's
	// demo when its card names a model, else the web's space page.
	if srv.demo, err = registerDemo(srv.http.App(), svc, demoFlags, url, logf); err != nil {
		ln.Close()
		stores.Close()
		return err
	}
	web.Register(srv.http.App(), svc, web.Config{PublicURL: url, Logger: logger})
	go func() { srv.done <- srv.http.Serve(ln) }()
	m.srv = srv
	fmt.Fprintf(m.Stdout, "Quarry hub listening on http://%s (data in %s)\n%s\n", ln.Addr(), cfg.DataDir, url)
	return nil
}

// URL returns the public URL of the running server, or "".
func (m *Main) URL() string {
	if m.srv == nil {
		return ""
	}
	return m.srv.url
}

// close shuts the server down gracefully, then closes the stores.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	s.demo.stopStreams()
	err := s.http.Shutdown(ctx)
	if serr := <-s.done; err == nil && serr != nil {
		err = fmt.Errorf("serve: %w", serr)
	}
	s.demo.close()
	if cerr := s.stores.Close(); err == nil {
		err = cerr
	}
	return err
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
