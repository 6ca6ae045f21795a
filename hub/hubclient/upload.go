package hubclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Batch sizes of the Hub clients.
const (
	preuploadBatch = 256 // files per preupload call (Python)
	lfsBatch       = 100 // objects per LFS batch call
	uploadWorkers  = 4
)

// PreuploadFile describes a file to the preupload API.
type PreuploadFile struct {
	Path   string
	Size   int64
	Sample []byte // the first 512 bytes
}

// PreuploadResult is the server's decision for one file.
type PreuploadResult struct {
	Path         string `json:"path"`
	UploadMode   string `json:"uploadMode"` // "lfs" or "regular"
	ShouldIgnore bool   `json:"shouldIgnore"`
	OID          string `json:"oid,omitempty"`
}

// Preupload asks how to upload files to revision r of repo id.
func (c *Client) Preupload(ctx context.Context, t RepoType, id, r string, files []PreuploadFile) ([]PreuploadResult, error) {
	var out []PreuploadResult
	for start := 0; start < len(files); start += preuploadBatch {
		var req []map[string]any
		for _, f := range files[start:min(start+preuploadBatch, len(files))] {
			req = append(req, map[string]any{"path": f.Path, "size": f.Size,
				"sample": base64.StdEncoding.EncodeToString(f.Sample)})
		}
		var page struct {
			Files []PreuploadResult `json:"files"`
		}
		err := c.doJSON(ctx, http.MethodPost, t.api(id)+"/preupload/"+rev(r), map[string]any{"files": req}, &page)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Files...)
	}
	return out, nil
}

// CommitOp is one operation of a commit: a regular file (Content), an LFS
// file already uploaded (LFS), or a deletion.
type CommitOp struct {
	Path    string
	Content []byte
	LFS     *LFSObject
	Delete  bool
}

// Commit is a commit to create.
type Commit struct {
	Summary, Description string
	// ParentCommit, when set, makes the commit fail (412) unless it is the
	// branch's head.
	ParentCommit string
	Ops          []CommitOp
}

// CommitInfo is the answer of the commit API.
type CommitInfo struct {
	OID string `json:"commitOid"`
	URL string `json:"commitUrl"`
}

// Commit commits ops to branch r of repo id (NDJSON commit API).
func (c *Client) Commit(ctx context.Context, t RepoType, id, r string, cm Commit) (*CommitInfo, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	header := map[string]any{"summary": cm.Summary, "description": cm.Description}
	if cm.ParentCommit != "" {
		header["parentCommit"] = cm.ParentCommit
	}
	lines := []map[string]any{{"key": "header", "value": header}}
	for _, op := range cm.Ops {
		switch {
		case op.Delete:
			lines = append(lines, map[string]any{"key": "deletedFile", "value": map[string]any{"path": op.Path}})
		case op.LFS != nil:
			lines = append(lines, map[string]any{"key": "lfsFile", "value": map[string]any{"path": op.Path,
				"algo": "sha256", "oid": op.LFS.OID, "size": op.LFS.Size}})
		default:
			lines = append(lines, map[string]any{"key": "file", "value": map[string]any{"path": op.Path,
				"content": base64.StdEncoding.EncodeToString(op.Content), "encoding": "base64"}})
		}
	}
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return nil, err
		}
	}
	resp, err := c.send(ctx, request{method: http.MethodPost, path: t.api(id) + "/commit/" + rev(r),
		body: &buf, contentType: "application/x-ndjson", accept: "application/json", auth: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var info CommitInfo
	if err := decode(resp, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// UploadFile is a file to upload: its content in Data, or in the local
// file Local.
type UploadFile struct {
	Path  string // repo path
	Data  []byte
	Local string
}

// source returns the file's size and a Source of its bytes.
func (f UploadFile) source() (int64, Source, error) {
	if f.Local == "" {
		return int64(len(f.Data)), func(off, n int64) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(f.Data[off : off+n])), nil
		}, nil
	}
	st, err := os.Stat(f.Local)
	if err != nil {
		return 0, nil, err
	}
	return st.Size(), func(off, n int64) (io.ReadCloser, error) {
		fh, err := os.Open(f.Local)
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{io.NewSectionReader(fh, off, n), fh}, nil
	}, nil
}

// staged is an UploadFile with what the upload learnt about it.
type staged struct {
	UploadFile
	size int64
	src  Source
	mode string
	lfs  LFSObject
}

// UploadFiles commits files to branch r of repo id as the Hub clients do:
// preupload decides regular or LFS per file, LFS content goes through the
// batch API (basic or multipart), then one NDJSON commit with summary.
// progress, when not nil, is called with the LFS objects done of total.
func (c *Client) UploadFiles(ctx context.Context, t RepoType, id, r, summary string, files []UploadFile,
	progress func(done, total int)) (*CommitInfo, error) {
	st, err := c.stage(ctx, t, id, r, files)
	if err != nil {
		return nil, err
	}
	if err := c.uploadLFSFiles(ctx, t, id, st, progress); err != nil {
		return nil, err
	}
	cm := Commit{Summary: summary}
	for _, f := range st {
		switch f.mode {
		case "ignore":
		case "lfs":
			cm.Ops = append(cm.Ops, CommitOp{Path: f.Path, LFS: &LFSObject{OID: f.lfs.OID, Size: f.lfs.Size}})
		default:
			data, err := readAll(f.src, f.size)
			if err != nil {
				return nil, fmt.Errorf("upload %s: %w", f.Path, err)
			}
			cm.Ops = append(cm.Ops, CommitOp{Path: f.Path, Content: data})
		}
	}
	return c.Commit(ctx, t, id, r, cm)
}

// stage sizes and samples the files and asks preupload about them.
func (c *Client) stage(ctx context.Context, t RepoType, id, r string, files []UploadFile) ([]*staged, error) {
	st := make([]*staged, len(files))
	pre := make([]PreuploadFile, len(files))
	for i, f := range files {
		size, src, err := f.source()
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", f.Path, err)
		}
		sample, err := readAll(src, min(size, 512))
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", f.Path, err)
		}
		st[i] = &staged{UploadFile: f, size: size, src: src}
		pre[i] = PreuploadFile{Path: f.Path, Size: size, Sample: sample}
	}
	res, err := c.Preupload(ctx, t, id, r, pre)
	if err != nil {
		return nil, err
	}
	mode := map[string]PreuploadResult{}
	for _, p := range res {
		mode[p.Path] = p
	}
	for _, f := range st {
		p, ok := mode[f.Path]
		switch {
		case !ok:
			return nil, fmt.Errorf("preupload: no answer for %s", f.Path)
		case p.ShouldIgnore:
			f.mode = "ignore"
		default:
			f.mode = p.UploadMode
		}
	}
	return st, nil
}

// uploadLFSFiles hashes the LFS files, asks the batch API about them in
// batches and uploads those the server lacks on uploadWorkers goroutines.
func (c *Client) uploadLFSFiles(ctx context.Context, t RepoType, id string, st []*staged, progress func(done, total int)) error {
	var lfs []*staged // one file an object
	seen := map[string]bool{}
	for _, f := range st {
		if f.mode == "lfs" {
			oid, err := hashSource(f.src, f.size)
			if err != nil {
				return fmt.Errorf("upload %s: %w", f.Path, err)
			}
			f.lfs = LFSObject{OID: oid, Size: f.size}
			if !seen[oid] {
				seen[oid] = true
				lfs = append(lfs, f)
			}
		}
	}
	done := 0
	for start := 0; start < len(lfs); start += lfsBatch {
		chunk := lfs[start:min(start+lfsBatch, len(lfs))]
		objs := make([]LFSObject, len(chunk))
		for i, f := range chunk {
			objs[i] = f.lfs
		}
		batch, err := c.LFSBatch(ctx, t, id, objs)
		if err != nil {
			return err
		}
		if err := c.sendObjects(ctx, batch, chunk); err != nil {
			return err
		}
		done += len(chunk)
		if progress != nil {
			progress(done, len(lfs))
		}
	}
	return nil
}

// sendObjects uploads a batch answer's objects in parallel.
func (c *Client) sendObjects(ctx context.Context, batch *LFSBatch, chunk []*staged) error {
	byOID := map[string]*staged{}
	for _, f := range chunk {
		byOID[f.lfs.OID] = f
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, uploadWorkers)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for _, obj := range batch.Objects {
		f, ok := byOID[obj.OID]
		if !ok {
			return fmt.Errorf("lfs batch: answer names unknown object %s", obj.OID)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := Retry(ctx, 3, 200*time.Millisecond, func() error { return c.UploadLFS(ctx, batch.Transfer, obj, f.src) })
			if err != nil {
				once.Do(func() { firstErr = fmt.Errorf("upload %s: %w", f.Path, err); cancel() })
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// hashSource returns the hex sha256 of a source's size bytes.
func hashSource(src Source, size int64) (string, error) {
	r, err := src(0, size)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func readAll(src Source, n int64) ([]byte, error) {
	r, err := src(0, n)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
