package hubclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Open streams file path of repo id at revision r through /resolve
// (following the redirect of an LFS file). The caller closes the body.
func (c *Client) Open(ctx context.Context, t RepoType, id, r, path string) (io.ReadCloser, int64, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet,
		path: t.files(id) + "/resolve/" + rev(r) + "/" + escapePath(path), auth: true})
	if err != nil {
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// Download writes file path of repo id at revision r to w and returns the
// number of bytes written.
func (c *Client) Download(ctx context.Context, t RepoType, id, r, path string, w io.Writer) (int64, error) {
	body, _, err := c.Open(ctx, t, id, r, path)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	n, err := io.Copy(w, body)
	if err != nil {
		return n, fmt.Errorf("download %s: %w", path, err)
	}
	return n, nil
}

// DownloadFile writes a file of a tree listing to dest (created with its
// parent directories, replaced atomically), checking its size and, for an
// LFS file, its sha256.
func (c *Client) DownloadFile(ctx context.Context, t RepoType, id, r string, e TreeEntry, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("download %s: %w", e.Path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(dest), ".download-*")
	if err != nil {
		return fmt.Errorf("download %s: %w", e.Path, err)
	}
	defer os.Remove(f.Name())
	var sum hash.Hash
	w := io.Writer(f)
	if e.LFS != nil {
		sum = sha256.New()
		w = io.MultiWriter(f, sum)
	}
	n, err := c.Download(ctx, t, id, r, e.Path, w)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != e.Size {
		return fmt.Errorf("download %s: got %d bytes, want %d", e.Path, n, e.Size)
	}
	if sum != nil && hex.EncodeToString(sum.Sum(nil)) != e.LFS.OID {
		return fmt.Errorf("download %s: sha256 differs from the LFS oid %s", e.Path, e.LFS.OID)
	}
	return os.Rename(f.Name(), dest)
}

// DownloadFiles downloads the files of a tree listing into dir (at their
// repo paths) on workers goroutines, calling progress (when not nil) after
// each file with the files and bytes done. It stops at the first error.
func (c *Client) DownloadFiles(ctx context.Context, t RepoType, id, r string, files []TreeEntry, dir string,
	workers int, progress func(done int, bytes int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if workers <= 0 {
		workers = 4
	}
	jobs := make(chan TreeEntry)
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		bytes    int64
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range jobs {
				dest, err := localPath(dir, e.Path)
				if err == nil {
					err = Retry(ctx, 3, 200*time.Millisecond, func() error { return c.DownloadFile(ctx, t, id, r, e, dest) })
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					done, bytes = done+1, bytes+e.Size
					if progress != nil {
						progress(done, bytes)
					}
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, e := range files {
		select {
		case jobs <- e:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// localPath maps a repo path into dir, refusing paths that would leave it.
func localPath(dir, p string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(p))
	if p == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("download: unsafe repo path %q", p)
	}
	return filepath.Join(dir, clean), nil
}
