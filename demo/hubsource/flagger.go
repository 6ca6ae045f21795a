package hubsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"

	"quarry/demo"
	"quarry/hub"
)

var _ demo.Flagger = (*Flagger)(nil)

// Paths written in the flag dataset.
const (
	FlagLog       = "flagged/log.jsonl" // one JSON line per flag
	FlagImagesDir = "flagged/images"    // images by sha256, stored with LFS
)

// maxCommitAttempts bounds the retries when another flag moved the branch.
const maxCommitAttempts = 8

// Flagger commits flagged examples to the dataset a model card names
// (demo.flag_dataset): the image as an LFS file under flagged/images/ and a
// JSON line appended to flagged/log.jsonl, in one commit on main.
//
// Who commits: a signed-in reader who may write the dataset commits as
// themselves. Anyone else who may use the demo (anonymous readers of a
// public model, readers without write access) commits through the model's
// namespace, and only when the dataset is in that same namespace: by naming
// its own dataset on its card, the model's owner lets its demo's readers add
// flags there; it cannot lend them write access to anyone else's repo. That
// identity acts as the namespace (a hub.Caller named after it), so the hub's
// own rules confine it to that namespace, and the Flagger only ever adds
// files under flagged/. A missing dataset in the model's namespace is
// created, private.
type Flagger struct {
	svc *hub.Service
	mu  sync.Mutex // serializes flags of this process (fewer commit races)
}

// NewFlagger returns a Flagger over svc.
func NewFlagger(svc *hub.Service) *Flagger { return &Flagger{svc: svc} }

// flagRecord is one line of flagged/log.jsonl.
type flagRecord struct {
	Time       string `json:"time"`
	Model      string `json:"model"`
	Revision   string `json:"revision"`
	Image      string `json:"image"`
	Filename   string `json:"filename"`
	Label      string `json:"label"`
	Prediction any    `json:"prediction"`
	FlaggedBy  string `json:"flagged_by"` // user name, "" for anonymous readers
}

// Flag stores f in f.Dataset. Errors: demo.ErrNotFound (no such dataset
// outside the model's namespace), demo.ErrUnauthorized or ErrForbidden
// (the dataset is another namespace's and the reader may not write it).
func (fl *Flagger) Flag(ctx context.Context, caller any, f demo.Flag) error {
	reader := callerOf(caller)
	id, err := hub.ParseRepoID(hub.Dataset, f.Dataset)
	if err != nil {
		return fmt.Errorf("hubsource: flag: dataset %q: %w", f.Dataset, demo.ErrNotFound)
	}
	writer, err := fl.writer(ctx, reader, f.Model.ID, id)
	if err != nil {
		return err
	}
	obj, err := fl.svc.StoreLFS(ctx, writer, id, bytes.NewReader(f.Image))
	if err != nil {
		return demoError("flag: store image in "+id.String(), err)
	}
	rec := flagRecord{Time: f.Time.UTC().Format("2006-01-02T15:04:05Z07:00"), Model: f.Model.ID,
		Revision: f.Model.Revision, Image: FlagImagesDir + "/" + obj.OID + imageExt(f.Image, f.Filename),
		Filename: f.Filename, Label: f.Label, Prediction: f.Prediction, FlaggedBy: reader.Name()}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("hubsource: flag: %w", err)
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.commit(ctx, writer, id, obj, rec, append(line, '\n'))
}

// writer picks who commits the flag (see Flagger).
func (fl *Flagger) writer(ctx context.Context, reader *hub.Caller, model string, id hub.RepoID) (*hub.Caller, error) {
	if !reader.Anonymous() {
		if _, err := fl.svc.FindRepo(ctx, reader, id, hub.ActionWrite); err == nil {
			return reader, nil
		}
	}
	modelNS, _, _ := strings.Cut(model, "/")
	if !strings.EqualFold(modelNS, id.Namespace) {
		_, err := fl.svc.FindRepo(ctx, reader, id, hub.ActionWrite)
		if err == nil {
			err = hub.Errorf(hub.ErrForbidden, "cannot write %s", id)
		}
		return nil, demoError(fmt.Sprintf("flag: dataset %s is outside the model's namespace %s and you may not write it", id, modelNS), err)
	}
	service := &hub.Caller{User: &hub.User{Name: id.Namespace}}
	_, err := fl.svc.FindRepo(ctx, service, id, hub.ActionWrite)
	if errors.Is(err, hub.ErrNotFound) || errors.Is(err, hub.ErrUnauthorized) {
		_, err = fl.svc.CreateRepo(ctx, service, hub.CreateRepoInput{ID: id, Private: true})
		if errors.Is(err, hub.ErrConflict) {
			err = nil // created by a concurrent flag
		}
	}
	if err != nil {
		return nil, demoError("flag: dataset "+id.String(), err)
	}
	return service, nil
}

// commit appends line to the log and adds the image, retrying from the new
// head when another writer moved the branch in between.
func (fl *Flagger) commit(ctx context.Context, writer *hub.Caller, id hub.RepoID, obj hub.LFSObject, rec flagRecord, line []byte) error {
	by := rec.FlaggedBy
	if by == "" {
		by = "an anonymous reader"
	}
	in := hub.CommitInput{
		Summary:     fmt.Sprintf("Flag %q for %s", rec.Label, rec.Model),
		Description: fmt.Sprintf("Flagged by %s in the demo of %s at revision %s.", by, rec.Model, rec.Revision),
	}
	for attempt := 1; ; attempt++ {
		rev, err := fl.svc.ResolveRevision(ctx, writer, id, "")
		if err != nil {
			return demoError("flag: "+id.String(), err)
		}
		log, err := fl.readLog(ctx, rev)
		if err != nil {
			return fmt.Errorf("hubsource: flag: read %s: %w", FlagLog, err)
		}
		in.ParentCommit = rev.Commit
		in.Ops = []hub.Op{
			{Kind: hub.OpLFSFile, Path: rec.Image, OID: obj.OID, Size: obj.Size},
			{Kind: hub.OpFile, Path: FlagLog, Content: append(log, line...)},
		}
		_, err = fl.svc.Commit(ctx, writer, id, in)
		if errors.Is(err, hub.ErrPrecondition) && attempt < maxCommitAttempts {
			continue
		}
		if err != nil {
			return demoError("flag: commit to "+id.String(), err)
		}
		return nil
	}
}

// readLog returns the log at rev, nil when absent, with a final newline.
func (fl *Flagger) readLog(ctx context.Context, rev *hub.Revision) ([]byte, error) {
	f, err := fl.svc.Stat(ctx, rev, FlagLog, false)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rc, err := fl.svc.OpenFile(ctx, f, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b, nil
}

// imageExt is the file extension of an image: from its content, else from
// its original name, else ".bin".
func imageExt(data []byte, name string) string {
	switch http.DetectContentType(data) {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "image/bmp":
		return ".bmp"
	}
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp":
		return ext
	}
	return ".bin"
}
