package worker

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"quarry/hub/hubclient"
	"quarry/train/dataset"
)

// downloadWorkers is the number of parallel downloads.
const downloadWorkers = 4

// inputs are the task's downloaded inputs.
type inputs struct {
	dataset  string // imagefolder directory or zip file
	base     string // backbone directory
	revision string // the dataset's commit
	project  string // the job's project ("ns/name"), or ""
}

// fetch downloads the dataset (its images, or its one zip) and the base
// model into the work directory.
func (t *task) fetch(ctx context.Context) (inputs, error) {
	in := inputs{project: t.spec.Project}
	if in.project == "" {
		if j, err := t.api.Job(ctx, t.spec.JobID); err == nil {
			in.project = j.Project
		} else {
			t.logf("read job: %v", err)
		}
	}
	rev := cmpOr(t.spec.Revision, "main")
	tree, err := t.api.Tree(ctx, hubclient.Dataset, t.spec.Dataset, rev, "", true)
	if err != nil {
		return in, fmt.Errorf("dataset %s@%s: %w", t.spec.Dataset, rev, err)
	}
	data, zipped, err := datasetFiles(tree)
	if err != nil {
		return in, fmt.Errorf("dataset %s@%s: %w", t.spec.Dataset, rev, err)
	}
	base, err := t.api.Tree(ctx, hubclient.Model, t.spec.Base, "main", "", true)
	if err != nil {
		return in, fmt.Errorf("base model %s: %w", t.spec.Base, err)
	}
	model := modelFiles(base)
	in.revision = rev
	in.dataset, in.base = filepath.Join(t.dir, "dataset"), filepath.Join(t.dir, "base")
	if zipped {
		in.dataset = filepath.Join(in.dataset, filepath.FromSlash(data[0].Path))
	}
	progress := t.downloadProgress(len(data) + len(model))
	if err := t.api.DownloadFiles(ctx, hubclient.Model, t.spec.Base, "main", model, in.base, downloadWorkers,
		func(done int, _ int64) { progress(done) }); err != nil {
		return in, fmt.Errorf("base model %s: %w", t.spec.Base, err)
	}
	if err := t.api.DownloadFiles(ctx, hubclient.Dataset, t.spec.Dataset, rev, data, filepath.Join(t.dir, "dataset"),
		downloadWorkers, func(done int, _ int64) { progress(len(model) + done) }); err != nil {
		return in, fmt.Errorf("dataset %s@%s: %w", t.spec.Dataset, rev, err)
	}
	t.logf("downloaded %s@%s (%d files) and %s (%d files)", t.spec.Dataset, rev, len(data), t.spec.Base, len(model))
	return in, nil
}

// downloadProgress returns a progress callback of the download phase with
// an ETA from the rate so far.
func (t *task) downloadProgress(total int) func(done int) {
	start := t.cfg.Now()
	t.report("download", 0, total, 0)
	return func(done int) {
		var eta time.Duration
		if done > 0 {
			el := t.cfg.Now().Sub(start)
			eta = time.Duration(float64(el) / float64(done) * float64(total-done))
		}
		t.report("download", done, total, eta)
	}
}

// datasetFiles picks the files of a dataset repo to train on: its images
// in the imagefolder layout, or else its one zip file.
func datasetFiles(tree []hubclient.TreeEntry) (files []hubclient.TreeEntry, zipped bool, err error) {
	var zips []hubclient.TreeEntry
	for _, e := range tree {
		switch {
		case e.Type != "file":
		case dataset.IsImageName(e.Path):
			files = append(files, e)
		case strings.EqualFold(path.Ext(e.Path), ".zip"):
			zips = append(zips, e)
		}
	}
	switch {
	case len(files) > 0:
		return files, false, nil
	case len(zips) == 1:
		return zips, true, nil
	case len(zips) > 1:
		return nil, false, fmt.Errorf("no images and %d zip files: want one", len(zips))
	}
	return nil, false, errors.New("no images")
}

// modelFiles are the base model's files a backbone needs: all but the
// card, the git attributes and images (widget examples).
func modelFiles(tree []hubclient.TreeEntry) []hubclient.TreeEntry {
	var out []hubclient.TreeEntry
	for _, e := range tree {
		if e.Type != "file" || e.Path == ".gitattributes" || strings.EqualFold(e.Path, "README.md") || dataset.IsImageName(e.Path) {
			continue
		}
		out = append(out, e)
	}
	return out
}
