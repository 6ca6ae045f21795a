package hub

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"quarry/train/dataset"
)

// DatasetInput names a dataset repo to validate.
type DatasetInput struct {
	Dataset  RepoID // type dataset
	Revision string // "" = main
	Positive string // positive label of a binary task
}

// DatasetCheck is the validation of a dataset repo at a revision.
type DatasetCheck struct {
	Dataset   RepoID
	Revision  string // the commit validated
	Synthetic bool   // the card says the data is synthetic (tag "synthetic" or synthetic: true)
	Zip       string // path of the zip holding the images, "" for class folders
	Report    dataset.Report
}

// InvalidDatasetError is the cause of the ErrInvalid error that refuses to
// train on a dataset whose report has problems.
type InvalidDatasetError struct{ Check *DatasetCheck }

func (e *InvalidDatasetError) Error() string { return e.Check.Report.Err().Error() }

// Dataset problem codes beyond those of train/dataset.
const (
	CodeUnsafeZip     = "unsafe_zip"     // the zip escapes its root, is a bomb, holds links
	CodeUnreadableZip = "unreadable_zip" // not a zip archive
	CodeManyZips      = "multiple_zips"  // several zips and no class folders
)

// Limits of dataset validation.
const (
	maxDatasetImage   = 64 << 20 // bytes of one image read for inspection
	datasetReadBlock  = 1 << 20  // block of the zip reader
	datasetInspectors = 4        // images read and decoded at once
)

// ValidateDataset reads a dataset repo at a revision through the hub (the
// caller must be signed in and able to read it) and validates it as
// train/dataset does: classes, images per class, corrupt and non-image
// files, duplicates, imbalance, the positive label. A repo holding one
// .zip and no class folders is read inside the zip, which is inspected for
// unsafe entries and declared sizes before anything is decompressed.
// Problems are in the report, not an error.
func (tr *Training) ValidateDataset(ctx context.Context, c *Caller, in DatasetInput) (*DatasetCheck, error) {
	if c.Anonymous() {
		return nil, Errorf(ErrUnauthorized, "You must be authenticated to validate datasets")
	}
	in.Dataset.Type = Dataset
	rev, err := tr.svc.ResolveRevision(ctx, c, in.Dataset, in.Revision)
	if err != nil {
		return nil, err
	}
	check := &DatasetCheck{Dataset: rev.Repo.ID, Revision: rev.Commit}
	if check.Synthetic, err = tr.svc.syntheticCard(ctx, rev); err != nil {
		return nil, err
	}
	entries, err := tr.svc.Tree(ctx, rev, "", true)
	if err != nil {
		return nil, err
	}
	var paths, zips []string
	for _, e := range entries {
		if e.Type == EntryFile {
			paths = append(paths, e.Path)
			if strings.HasSuffix(strings.ToLower(e.Path), ".zip") {
				zips = append(zips, e.Path)
			}
		}
	}
	opts := dataset.Options{Positive: in.Positive}
	layout := dataset.ParseLayout(paths)
	switch {
	case len(layout.Files) > 0 || len(zips) == 0:
		recs, err := tr.svc.inspectFiles(ctx, rev, layout.Files)
		if err != nil {
			return nil, err
		}
		check.Report = dataset.Validate(layout, recs, opts)
	case len(zips) > 1:
		check.Report.Problems = []dataset.Issue{{Code: CodeManyZips, Paths: zips,
			Message: "the dataset holds several zip files and no class folders: upload one zip, or class folders"}}
	default:
		check.Zip = zips[0]
		if check.Report, err = tr.svc.validateZip(ctx, rev, zips[0], opts); err != nil {
			return nil, err
		}
	}
	return check, nil
}

// syntheticCard reports whether the README's front matter calls the data
// synthetic: a "synthetic" tag or `synthetic: true`.
func (s *Service) syntheticCard(ctx context.Context, rev *Revision) (bool, error) {
	root, err := s.rootTree(ctx, rev.Commit)
	if err != nil {
		return false, err
	}
	card, err := s.readCard(ctx, root)
	if err != nil || card == nil {
		return false, err
	}
	if v, ok := card.Data["synthetic"].(bool); ok && v {
		return true, nil
	}
	tags, _ := card.Data["tags"].([]any)
	for _, t := range tags {
		if s, ok := t.(string); ok && strings.EqualFold(s, "synthetic") {
			return true, nil
		}
	}
	return false, nil
}

// inspectFiles reads and inspects the images of a repo's layout.
func (s *Service) inspectFiles(ctx context.Context, rev *Revision, files []dataset.File) ([]dataset.Record, error) {
	recs := make([]dataset.Record, len(files))
	err := parallel(len(files), datasetInspectors, func(i int) error {
		f := files[i]
		data, err := s.readEntryBytes(ctx, rev, f.Path)
		var tooBig *tooLargeImage
		switch {
		case errors.As(err, &tooBig):
			recs[i] = dataset.Record{File: f, Err: tooBig.Error()}
		case err != nil:
			return err
		default:
			recs[i] = dataset.Inspect(f, data)
		}
		return nil
	})
	return recs, err
}

type tooLargeImage struct{ size int64 }

func (e *tooLargeImage) Error() string {
	return fmt.Sprintf("file of %d bytes exceeds the %d-byte limit of an image", e.size, maxDatasetImage)
}

// readEntryBytes reads a file (LFS content followed) of at most
// maxDatasetImage bytes.
func (s *Service) readEntryBytes(ctx context.Context, rev *Revision, p string) ([]byte, error) {
	f, err := s.Stat(ctx, rev, p, false)
	if err != nil {
		return nil, err
	}
	if f.Size > maxDatasetImage {
		return nil, &tooLargeImage{f.Size}
	}
	rc, err := s.OpenFile(ctx, f, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// validateZip validates the dataset inside the zip at p. An unsafe or
// unreadable zip is a problem of the report.
func (s *Service) validateZip(ctx context.Context, rev *Revision, p string, opts dataset.Options) (dataset.Report, error) {
	f, err := s.Stat(ctx, rev, p, false)
	if err != nil {
		return dataset.Report{}, err
	}
	ra := &blobReaderAt{ctx: ctx, s: s, f: f}
	refuse := func(code, msg string) (dataset.Report, error) {
		return dataset.Report{Problems: []dataset.Issue{{Code: code, Message: msg, Paths: []string{p}}}}, nil
	}
	lim := dataset.ZipLimits{}
	if _, err := dataset.InspectZip(ra, f.Size, lim); errors.Is(err, dataset.ErrUnsafeZip) {
		return refuse(CodeUnsafeZip, fmt.Sprintf("%s is refused: %v", p, err))
	} else if err != nil {
		if ra.err != nil {
			return dataset.Report{}, ra.err
		}
		return refuse(CodeUnreadableZip, fmt.Sprintf("%s is not a readable zip archive: %v", p, err))
	}
	zr, err := zip.NewReader(ra, f.Size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return refuse(CodeUnreadableZip, fmt.Sprintf("%s is not a readable zip archive: %v", p, err))
	}
	byName := map[string]*zip.File{}
	var names []string
	for _, zf := range zr.File {
		name := strings.TrimPrefix(zf.Name, "./")
		byName[name] = zf
		names = append(names, zf.Name)
	}
	layout := dataset.ParseLayout(names)
	recs := make([]dataset.Record, 0, len(layout.Files))
	for _, df := range layout.Files {
		rec, err := inspectZipEntry(byName[df.Path], df)
		if ra.err != nil {
			return dataset.Report{}, ra.err
		}
		if err != nil {
			return refuse(CodeUnsafeZip, fmt.Sprintf("%s is refused: %v", p, err))
		}
		recs = append(recs, rec)
	}
	return dataset.Validate(layout, recs, opts), nil
}

// inspectZipEntry reads one entry, holding it to its declared size, and
// inspects it.
func inspectZipEntry(zf *zip.File, df dataset.File) (dataset.Record, error) {
	if zf == nil {
		return dataset.Record{File: df, Err: "entry not found in the archive"}, nil
	}
	if zf.UncompressedSize64 > maxDatasetImage {
		return dataset.Record{File: df, Err: (&tooLargeImage{int64(zf.UncompressedSize64)}).Error()}, nil
	}
	r, err := zf.Open()
	if err != nil {
		return dataset.Record{File: df, Err: fmt.Sprintf("unreadable zip entry: %v", err)}, nil
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, int64(zf.UncompressedSize64)+1))
	switch {
	case uint64(len(data)) > zf.UncompressedSize64:
		return dataset.Record{}, fmt.Errorf("%w: entry %q holds more than its declared %d bytes",
			dataset.ErrUnsafeZip, zf.Name, zf.UncompressedSize64)
	case err != nil:
		return dataset.Record{File: df, Err: fmt.Sprintf("unreadable zip entry: %v", err)}, nil
	}
	return dataset.Inspect(df, data), nil
}

// blobReaderAt reads a served file through the blob store by blocks, one
// block cached: archive/zip reads small pieces. A store error is kept in
// err (the zip reader would report it as a format error).
type blobReaderAt struct {
	ctx context.Context
	s   *Service
	f   *File

	mu    sync.Mutex
	start int64 // offset of buf in the file
	buf   []byte
	err   error
}

// ReadAt implements io.ReaderAt.
func (r *blobReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= r.f.Size {
			return n, io.EOF
		}
		if r.buf == nil || at < r.start || at >= r.start+int64(len(r.buf)) {
			if err := r.fill(at - at%datasetReadBlock); err != nil {
				return n, err
			}
		}
		n += copy(p[n:], r.buf[at-r.start:])
	}
	return n, nil
}

func (r *blobReaderAt) fill(start int64) error {
	rc, err := r.s.OpenFile(r.ctx, r.f, start, datasetReadBlock)
	if err == nil {
		r.buf, err = io.ReadAll(rc)
		rc.Close()
	}
	if err == nil && len(r.buf) == 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		r.buf, r.err = nil, fmt.Errorf("read %s: %w", r.f.Entry.Path, err)
		return r.err
	}
	r.start = start
	return nil
}
