package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"quarry/hub/hubclient"
	"quarry/train/dataset"
)

const datasetSynopsis = `dataset upload --endpoint URL --token T --dataset NS/NAME [--private] [--synthetic]
        [--description TEXT] [--license ID] [--positive LABEL] [--no-validate] DIR|ZIP`

// datasetFlags are the flags of `quarry dataset upload`.
type datasetFlags struct {
	endpoint, token, id, description, license, positive string
	private, synthetic, noValidate                      bool
}

// runDataset runs `quarry dataset upload`.
func (m *Main) runDataset(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "upload" {
		return usagef("usage: quarry %s", datasetSynopsis)
	}
	f := &datasetFlags{}
	fs := newFlagSet("dataset upload", datasetSynopsis, m.Stderr)
	addClientFlags(fs, m.Getenv, &f.endpoint, &f.token)
	fs.StringVar(&f.id, "dataset", "", "dataset repo NS/NAME (created when missing)")
	fs.StringVar(&f.description, "description", "", "what the images are and where they come from (for the card)")
	fs.StringVar(&f.license, "license", "other", "license id for the card")
	fs.StringVar(&f.positive, "positive", "", "positive label, checked by the local validation")
	fs.BoolVar(&f.private, "private", false, "create the dataset repo private")
	fs.BoolVar(&f.synthetic, "synthetic", false, "the images are generated: the card says so")
	fs.BoolVar(&f.noValidate, "no-validate", false, "upload even when the local validation finds problems")
	pos, err := parseFlags(fs, args[1:], 1, "a directory or a zip file")
	if err != nil {
		return err
	}
	if f.token == "" || f.id == "" {
		return usagef("dataset upload: --token (or QUARRY_TOKEN) and --dataset are required")
	}
	res, err := uploadDataset(ctx, f, pos[0], m.Stderr)
	if err != nil {
		return err
	}
	return writeJSONLine(m.Stdout, res)
}

// datasetUpload is the result of an upload (the last stdout line).
type datasetUpload struct {
	Dataset  string               `json:"dataset"`
	Revision string               `json:"revision"`
	Files    int                  `json:"files"`
	Classes  []dataset.ClassCount `json:"classes"`
	Problems []dataset.Issue      `json:"problems"`
}

// uploadDataset checks and uploads an imagefolder directory or zip,
// logging to logw.
func uploadDataset(ctx context.Context, f *datasetFlags, src string, logw io.Writer) (*datasetUpload, error) {
	dir, cleanup, err := datasetDir(src)
	defer cleanup()
	if err != nil {
		return nil, fmt.Errorf("dataset upload: %w", err)
	}
	files, layout, err := datasetLayout(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset upload: %w", err)
	}
	rep := inspectDataset(dir, layout, f.positive)
	for _, w := range rep.Warnings {
		fmt.Fprintf(logw, "warning: %s\n", w.Message)
	}
	if !rep.OK() && !f.noValidate {
		for _, p := range rep.Problems {
			fmt.Fprintf(logw, "  - %s: %s\n", p.Code, p.Message)
		}
		return nil, fmt.Errorf("dataset upload: %s refused: %w", src, rep.Err())
	}
	api := hubclient.New(f.endpoint, f.token)
	if _, err := api.CreateRepo(ctx, hubclient.Dataset, f.id, f.private); err != nil && !hubclient.IsConflict(err) {
		return nil, fmt.Errorf("dataset upload: %w", err)
	}
	if _, ok := files["README.md"]; !ok {
		files["README.md"] = hubclient.UploadFile{Path: "README.md", Data: []byte(datasetCard(f, rep))}
	}
	up := make([]hubclient.UploadFile, 0, len(files))
	for _, u := range files {
		up = append(up, u)
	}
	fmt.Fprintf(logw, "uploading %d files to %s\n", len(up), f.id)
	info, err := api.UploadFiles(ctx, hubclient.Dataset, f.id, "main", "Upload dataset with quarry", up, func(done, total int) {
		fmt.Fprintf(logw, "  %d/%d objects\n", done, total)
	})
	if err != nil {
		return nil, fmt.Errorf("dataset upload: %w", err)
	}
	return &datasetUpload{Dataset: f.id, Revision: info.OID, Files: len(up), Classes: rep.Classes,
		Problems: rep.Problems}, nil
}

// datasetDir returns the directory to upload: src itself, or src (a zip)
// checked and extracted into a temporary directory.
func datasetDir(src string) (string, func(), error) {
	cleanup := func() {}
	st, err := os.Stat(src)
	if err != nil {
		return "", cleanup, err
	}
	if st.IsDir() {
		return src, cleanup, nil
	}
	fh, err := os.Open(src)
	if err != nil {
		return "", cleanup, err
	}
	defer fh.Close()
	dir, err := os.MkdirTemp("", "quarry-dataset-")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if _, err := dataset.ExtractZip(fh, st.Size(), dir, dataset.ZipLimits{}); err != nil {
		return "", cleanup, fmt.Errorf("%s refused: %w", src, err)
	}
	return dir, cleanup, nil
}

// datasetLayout lists the files to upload by repo path (a single wrapper
// folder stripped; hidden and system files left out) and their layout.
func datasetLayout(dir string) (map[string]hubclient.UploadFile, dataset.Layout, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		paths = append(paths, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return nil, dataset.Layout{}, err
	}
	l := dataset.ParseLayout(paths)
	files := map[string]hubclient.UploadFile{}
	add := func(p string) {
		repoPath := p
		if l.Root != "" {
			repoPath = strings.TrimPrefix(p, l.Root+"/")
		}
		files[repoPath] = hubclient.UploadFile{Path: repoPath, Local: filepath.Join(dir, filepath.FromSlash(p))}
	}
	for _, f := range l.Files {
		add(f.Path)
	}
	for _, p := range append(append([]string(nil), l.NonImages...), l.Misplaced...) {
		add(p)
	}
	for _, p := range l.Ignored { // top-level files such as README.md are kept
		if !strings.Contains(strings.TrimPrefix(p, l.Root+"/"), "/") && !isHidden(p) {
			add(p)
		}
	}
	if len(l.Files) == 0 {
		return nil, l, fmt.Errorf("no images in %s (want LABEL/IMAGE or train|validation|test/LABEL/IMAGE)", dir)
	}
	return files, l, nil
}

func isHidden(p string) bool {
	b := path.Base(p)
	return strings.HasPrefix(b, ".") || strings.EqualFold(b, "thumbs.db") || strings.EqualFold(b, "desktop.ini")
}

// inspectDataset decodes every image on all cores and validates.
func inspectDataset(dir string, l dataset.Layout, positive string) dataset.Report {
	recs := make([]dataset.Record, len(l.Files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(l.Files[i].Path)))
				if err != nil {
					recs[i] = dataset.Record{File: l.Files[i], Err: err.Error()}
					continue
				}
				recs[i] = dataset.Inspect(l.Files[i], data)
			}
		}()
	}
	for i := range l.Files {
		next <- i
	}
	close(next)
	wg.Wait()
	rep := dataset.Validate(l, recs, dataset.Options{Positive: positive})
	if positive == "" { // the positive label is chosen when training, not here
		rep.Problems = slices.DeleteFunc(rep.Problems, func(i dataset.Issue) bool {
			return i.Code == dataset.CodePositiveMissing
		})
	}
	return rep
}

// datasetCard is the README.md of an uploaded dataset.
func datasetCard(f *datasetFlags, rep dataset.Report) string {
	var b strings.Builder
	total := 0
	for _, c := range rep.Classes {
		total += c.Train + c.Validation + c.Test
	}
	b.WriteString("---\nlicense: " + f.license + "\ntask_categories:\n- image-classification\n")
	b.WriteString("size_categories:\n- " + sizeCategory(total) + "\ntags:\n- image-classification\n")
	if f.synthetic {
		b.WriteString("- synthetic\n")
	}
	b.WriteString("---\n\n# " + f.id + "\n\n")
	if f.description != "" {
		b.WriteString(f.description + "\n\n")
	}
	if f.synthetic {
		b.WriteString("**These images are synthetic.** They were generated by a program, not observed: " +
			"a model trained on them has learnt the generator, not the real world.\n\n")
	}
	fmt.Fprintf(&b, "An image-classification dataset in the `imagefolder` layout (one folder per class): %d images.\n\n", total)
	b.WriteString("| class | train | validation | test |\n|---|---:|---:|---:|\n")
	for _, c := range rep.Classes {
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", c.Label, c.Train, c.Validation, c.Test)
	}
	return b.String()
}

func sizeCategory(n int) string {
	switch {
	case n < 1000:
		return "n<1K"
	case n < 10000:
		return "1K<n<10K"
	case n < 100000:
		return "10K<n<100K"
	}
	return "100K<n<1M"
}
