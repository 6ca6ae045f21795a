package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"quarry/train/dataset"
	"quarry/train/internal/rng"
)

// CodeUnsafeZip is the Report problem code of a refused zip upload.
const CodeUnsafeZip = "unsafe_zip"

// openDataset sets r.root to the dataset directory, extracting a zip first
// (dataset.ExtractZip refuses unsafe archives before writing anything).
// The returned cleanup removes a temporary extraction directory.
func (r *run) openDataset() (cleanup func(), err error) {
	cleanup = func() {}
	st, err := os.Stat(r.opts.Dataset)
	if err != nil {
		return cleanup, fmt.Errorf("dataset: %w", err)
	}
	if st.IsDir() {
		r.root = r.opts.Dataset
		return cleanup, nil
	}
	dir := r.opts.WorkDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "quarry-dataset-"); err != nil {
			return cleanup, fmt.Errorf("dataset: %w", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
	}
	f, err := os.Open(r.opts.Dataset)
	if err != nil {
		return cleanup, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	if _, err := dataset.ExtractZip(f, st.Size(), dir, r.opts.ZipLimits); err != nil {
		r.res.Report.Problems = append(r.res.Report.Problems, dataset.Issue{Code: CodeUnsafeZip, Message: err.Error()})
		return cleanup, fmt.Errorf("%w: %w", dataset.ErrInvalid, err)
	}
	r.root = dir
	return cleanup, nil
}

// listFiles returns the slash-separated paths of the regular files under
// root, relative to it.
func listFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return out, nil
}

// validate reads the layout, inspects every image (hash, full decode) on
// Threads workers and validates; problems stop the run with the report.
func (r *run) validate(ctx context.Context) error {
	_, done := r.phase(PhaseValidate)
	defer done()
	paths, err := listFiles(r.root)
	if err != nil {
		return err
	}
	layout := dataset.ParseLayout(paths)
	recs, err := r.inspect(ctx, layout.Files)
	if err != nil {
		return err
	}
	rep := dataset.Validate(layout, recs, dataset.Options{Positive: r.opts.Positive, MinPerClass: r.opts.MinPerClass})
	r.res.Report = rep
	if !rep.OK() {
		return rep.Err()
	}
	r.res.Labels, r.res.Positive = rep.Labels(), rep.Positive
	r.records = recs
	return nil
}

// inspect reads and inspects files in parallel, reporting progress.
func (r *run) inspect(ctx context.Context, files []dataset.File) ([]dataset.Record, error) {
	recs := make([]dataset.Record, len(files))
	errs := make([]error, len(files))
	var next, finished atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := r.opts.Now()
	for w := 0; w < r.opts.Threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(files) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				data, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(files[i].Path)))
				if err != nil {
					errs[i] = fmt.Errorf("dataset: %w", err)
					continue
				}
				recs[i] = dataset.Inspect(files[i], data)
				n := int(finished.Add(1))
				if n%32 == 0 || n == len(files) {
					mu.Lock()
					el := r.opts.Now().Sub(t0)
					r.emit(Event{Phase: PhaseValidate, Done: n, Total: len(files), Elapsed: el, ETA: eta(el, n, len(files))})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// split makes the train/validation split: the given validation folder, or
// a stratified split of the training pool. Test-split images are not used.
func (r *run) split() {
	_, done := r.phase(PhaseSplit)
	defer done()
	var pool, given []dataset.File
	hash := map[string]string{}
	for _, rec := range r.records {
		if !rec.Decodable {
			continue
		}
		hash[rec.Path] = rec.Hash
		switch rec.Split {
		case dataset.SplitValidation:
			given = append(given, rec.File)
		case dataset.SplitTest:
		default:
			pool = append(pool, rec.File)
		}
	}
	train, val := pool, given
	r.res.SplitSource = "given"
	if len(given) == 0 {
		train, val = dataset.StratifiedSplit(pool, r.opts.ValidationFraction, r.opts.Seed)
		r.res.SplitSource = "stratified"
	}
	r.res.Train, r.res.Validation = r.items(train, hash), r.items(val, hash)
	fit, tune := dataset.StratifiedSplit(train, r.opts.TuningFraction, r.tuningSeed())
	r.fit, r.res.Tuning = r.items(fit, hash), r.items(tune, hash)
	r.emit(Event{Phase: PhaseSplit, Done: len(train) + len(val), Total: len(train) + len(val),
		Message: fmt.Sprintf("%d training and %d validation images (%s)", len(train), len(val), r.res.SplitSource)})
}

// tuningSeed is the seed of the inner tuning split, derived from
// Options.Seed so that it does not repeat the outer split's draws.
func (r *run) tuningSeed() uint64 { return rng.Derive(r.opts.Seed, tuningSalt) }

// tuningSalt distinguishes the inner split's seed ("tuning" in ASCII).
const tuningSalt = 0x74756e696e67

func (r *run) items(files []dataset.File, hash map[string]string) []Item {
	out := make([]Item, len(files))
	for i, f := range files {
		out[i] = Item{Path: f.Path, Label: f.Label, Class: r.labelIndex(f.Label), Hash: hash[f.Path],
			file: filepath.Join(r.root, filepath.FromSlash(f.Path))}
	}
	return out
}

// safeName turns a label into a file-name-safe string.
func safeName(s string) string {
	s = strings.Map(func(c rune) rune {
		if c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return c
		}
		return '_'
	}, s)
	if s == "" || s[0] == '.' {
		s = "x" + s
	}
	return s
}
