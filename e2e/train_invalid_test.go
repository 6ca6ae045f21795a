package e2e

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/hub/hubclient"
	"quarry/train/tiles"
)

// TestTrainingRefusesInvalidDatasets: datasets with one class, 3 images in
// a class, a corrupt PNG, a zip with ../ paths and a zip announcing 10 GB
// are refused with the reason by `quarry dataset upload` (locally) and,
// once in a dataset repo anyway, by the training API through `quarry
// train`, before any job starts.
func TestTrainingRefusesInvalidDatasets(t *testing.T) {
	h := newTrainHub(t, "picky")
	good := tileSet(t, 7001, 10)
	cases := []struct {
		name, code string
		make       func(t *testing.T) string
	}{
		{"one-class", "too_few_classes", func(t *testing.T) string {
			return copySet(t, good, func(label string, i int) bool { return label == tiles.LabelMine })
		}},
		{"three-images", "too_few_images", func(t *testing.T) string {
			return copySet(t, good, func(label string, i int) bool { return label == tiles.LabelMine || i < 3 })
		}},
		{"corrupt-png", "corrupt_images", func(t *testing.T) string {
			dir := copySet(t, good, func(string, int) bool { return true })
			p := filepath.Join(dir, tiles.LabelMine, "broken.png")
			b, err := os.ReadFile(filepath.Join(good, tiles.LabelMine, firstFile(t, good, tiles.LabelMine)))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{"zip-escape", "unsafe_zip", func(t *testing.T) string {
			return zipOf(t, good, map[string][]byte{"../escape.png": []byte("x")}, false)
		}},
		{"zip-bomb", "unsafe_zip", func(t *testing.T) string { return zipOf(t, good, nil, true) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.make(t)
			id := "picky/" + tc.name
			local := h.cli(time.Minute, "dataset", "upload", "--dataset", id, "--positive", tiles.LabelMine, src)
			if local.err == nil || !strings.Contains(local.stderr+local.last(), reasonWord(tc.code)) {
				t.Fatalf("dataset upload of %s was not refused with the reason: %s", tc.name, local)
			}
			if strings.HasSuffix(src, ".zip") {
				h.rawUpload(t, id, src) // as any Hub client could
			} else {
				h.uploadDataset(t, id, src, "--no-validate")
			}
			r := h.cli(time.Minute, "train", "--dataset", id, "--project", "picky/model-"+tc.name,
				"--positive", tiles.LabelMine, "--wait")
			if r.err == nil || !strings.Contains(r.stderr, tc.code) {
				t.Fatalf("quarry train on %s: want a refusal naming %s: %s", tc.name, tc.code, r)
			}
			t.Logf("%s refused: %s", tc.name, strings.ReplaceAll(strings.TrimSpace(r.stderr), "\n", " | "))
		})
	}
	t.Run("good-zip", func(t *testing.T) { // the same tiles zipped are accepted and uploaded as class folders
		h.uploadDataset(t, "picky/zipped", zipOf(t, good, nil, false))
		rep, err := h.api.ValidateDataset(context.Background(), "picky/zipped", "", tiles.LabelMine)
		if err != nil || len(rep.Problems) != 0 || len(rep.Classes) != 2 {
			t.Fatalf("validate the uploaded zip: %v %+v", err, rep)
		}
	})
	jobs := h.c.mustDo(200, "GET", "/api/jobs", "", nil)
	if s := strings.TrimSpace(string(jobs.Body)); s != "[]" {
		t.Fatalf("jobs were started for invalid datasets: %s", s)
	}
}

// reasonWord is what the local refusal says for a problem code.
func reasonWord(code string) string {
	if code == "unsafe_zip" {
		return "unsafe zip"
	}
	return code
}

// rawUpload puts a zip file as is into a new dataset repo.
func (h *trainHub) rawUpload(t *testing.T, id, zipPath string) {
	t.Helper()
	ctx := context.Background()
	if _, err := h.api.CreateRepo(ctx, hubclient.Dataset, id, true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.api.UploadFiles(ctx, hubclient.Dataset, id, "main", "zip", []hubclient.UploadFile{
		{Path: "data.zip", Local: zipPath}}, nil); err != nil {
		t.Fatal(err)
	}
}

// copySet copies the tiles of set kept by keep (label, index in class).
func copySet(t *testing.T, set string, keep func(label string, i int) bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, l := range []string{tiles.LabelMine, tiles.LabelNoMine} {
		entries, err := os.ReadDir(filepath.Join(set, l))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range entries {
			if !keep(l, i) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(set, l, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, l), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, l, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func firstFile(t *testing.T, set, label string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(set, label))
	if err != nil || len(entries) == 0 {
		t.Fatalf("%s/%s: %v", set, label, err)
	}
	return entries[0].Name()
}

// zipOf zips a tile set with extra entries; bomb adds an entry whose
// header announces 10 GB (its data is a few bytes).
func zipOf(t *testing.T, set string, extra map[string][]byte, bomb bool) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, l := range []string{tiles.LabelMine, tiles.LabelNoMine} {
		entries, err := os.ReadDir(filepath.Join(set, l))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(set, l, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: l + "/" + e.Name(), Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(b)
		}
	}
	for name, b := range extra {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if bomb {
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		fw.Write(make([]byte, 4096))
		fw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{Name: tiles.LabelMine + "/huge.png", Method: zip.Deflate,
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10 << 30})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "data.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
