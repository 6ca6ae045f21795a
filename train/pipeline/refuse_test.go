package pipeline_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quarry/internal/mltest"
	"quarry/train/dataset"
	"quarry/train/pipeline"
)

// classFiles adds n distinct PNGs under the folder label (LABEL or
// SPLIT/LABEL), their content numbered from seed.
func classFiles(tb testing.TB, files map[string][]byte, label string, n, seed int) {
	for i := 0; i < n; i++ {
		files[fmt.Sprintf("%s/%s_%d.png", label, path.Base(label), i)] = smallPNG(tb, seed+i)
	}
}

// rawZip writes a zip of the given entries to a file and returns its path.
func rawZip(tb testing.TB, build func(w *zip.Writer) error) string {
	tb.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	if err := build(w); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "upload.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestRunRefusesInvalidDatasets checks that bad datasets are refused with
// the reason before any feature extraction.
func TestRunRefusesInvalidDatasets(t *testing.T) {
	rt, backbone := openRuntime(t), mltest.BackboneDir(t)
	oneClass := map[string][]byte{}
	classFiles(t, oneClass, "mine", 8, 0)
	fewImages := map[string][]byte{}
	classFiles(t, fewImages, "mine", 8, 0)
	classFiles(t, fewImages, "no_mine", 3, 100)
	corrupt := map[string][]byte{}
	classFiles(t, corrupt, "mine", 6, 0)
	classFiles(t, corrupt, "no_mine", 6, 100)
	png := smallPNG(t, 999)
	corrupt["no_mine/broken.png"] = png[:len(png)/2]
	slip := rawZip(t, func(w *zip.Writer) error {
		for i := 0; i < 6; i++ {
			for _, l := range []string{"mine", "no_mine"} {
				f, err := w.Create(fmt.Sprintf("%s/%d.png", l, i))
				if err != nil {
					return err
				}
				f.Write(smallPNG(t, i+len(l)*50))
			}
		}
		f, err := w.Create("mine/../../evil.png")
		if err == nil {
			_, err = f.Write(png)
		}
		return err
	})
	bomb := rawZip(t, func(w *zip.Writer) error {
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		fw.Write(make([]byte, 1024))
		fw.Close()
		raw, err := w.CreateRaw(&zip.FileHeader{Name: "mine/bomb.png", Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(make([]byte, 1024)), CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10 << 30})
		if err == nil {
			_, err = raw.Write(comp.Bytes())
		}
		return err
	})
	for _, tc := range []struct {
		name, dataset, code, reason string
	}{
		{"one class", writeFiles(t, oneClass), dataset.CodeTooFewClasses, "need at least 2 class folders"},
		{"three images in a class", writeFiles(t, fewImages), dataset.CodeTooFewImages, "no_mine has 3"},
		{"corrupt png", writeFiles(t, corrupt), dataset.CodeCorrupt, "no_mine/broken.png"},
		{"zip with ..", slip, pipeline.CodeUnsafeZip, "escapes the archive root"},
		{"zip bomb header", bomb, pipeline.CodeUnsafeZip, "declares 10737418240 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var phases []string
			res, err := pipeline.Run(context.Background(), pipeline.Options{Dataset: tc.dataset, Positive: "mine",
				Candidates: threeCandidates(backbone), Runtime: rt, WorkDir: t.TempDir()},
				func(e pipeline.Event) { phases = append(phases, e.Phase) })
			if !errors.Is(err, dataset.ErrInvalid) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %v, want dataset.ErrInvalid mentioning %q", err, tc.reason)
			}
			if res == nil || !hasProblem(res.Report, tc.code) {
				t.Fatalf("report %+v lacks problem %s", res, tc.code)
			}
			for _, p := range phases {
				if p != pipeline.PhaseValidate {
					t.Fatalf("phase %q ran for an invalid dataset", p)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(slip), "evil.png")); err == nil {
		t.Fatal("the ../ entry was written outside the work directory")
	}
}

func hasProblem(r dataset.Report, code string) bool {
	for _, p := range r.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

// TestRunOptionErrors checks options refused before any work.
func TestRunOptionErrors(t *testing.T) {
	rt, backbone := openRuntime(t), mltest.BackboneDir(t)
	dir := writeFiles(t, map[string][]byte{"a/x.png": smallPNG(t, 1)})
	ok := pipeline.Options{Dataset: dir, Positive: "a", Runtime: rt, Candidates: threeCandidates(backbone)}
	for _, tc := range []struct {
		name   string
		change func(o *pipeline.Options)
		want   string
	}{
		{"no candidates", func(o *pipeline.Options) { o.Candidates = nil }, "no candidates"},
		{"unknown head", func(o *pipeline.Options) {
			o.Candidates = []pipeline.CandidateSpec{{Head: "svm", BackboneDir: backbone}}
		}, `unknown head "svm"`},
		{"unknown metric", func(o *pipeline.Options) { o.Metric = "mAP" }, `unknown metric "mAP"`},
		{"target recall", func(o *pipeline.Options) { o.TargetRecall = 1.5 }, "target recall 1.5"},
		{"no runtime", func(o *pipeline.Options) { o.Runtime = nil }, "no ONNX Runtime"},
		{"no backbone", func(o *pipeline.Options) { o.Candidates = []pipeline.CandidateSpec{{Head: "mlp"}} }, "no backbone directory"},
		{"same name", func(o *pipeline.Options) { o.Candidates = append(o.Candidates, o.Candidates[0]) }, "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.change(&o)
			if _, err := pipeline.Run(context.Background(), o, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestRunMulticlassRefusesAUC checks a metric that does not apply to the
// task is refused after validation, before features.
func TestRunMulticlassRefusesAUC(t *testing.T) {
	rt, backbone := openRuntime(t), mltest.BackboneDir(t)
	files := map[string][]byte{}
	for i, l := range []string{"a", "b", "c"} {
		classFiles(t, files, l, 5, 100*i)
	}
	var phases []string
	_, err := pipeline.Run(context.Background(), pipeline.Options{Dataset: writeFiles(t, files), Metric: "auc",
		Runtime: rt, Candidates: threeCandidates(backbone)}, func(e pipeline.Event) { phases = append(phases, e.Phase) })
	if err == nil || !strings.Contains(err.Error(), "binary tasks only") {
		t.Fatalf("err = %v", err)
	}
	for _, p := range phases {
		if p == pipeline.PhaseFeatures {
			t.Fatal("features extracted before refusing the metric")
		}
	}
}

// TestRunCancelDuringFeatures cancels once feature extraction has started
// and expects Run to return the context's error promptly.
func TestRunCancelDuringFeatures(t *testing.T) {
	rt, backbone := openRuntime(t), mltest.BackboneDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	_, err := pipeline.Run(ctx, pipeline.Options{Dataset: tileSet(t, 60), Positive: "mine", Runtime: rt,
		Candidates: threeCandidates(backbone)}, func(e pipeline.Event) {
		if e.Phase == pipeline.PhaseFeatures && e.Done > 0 && cancelled.IsZero() {
			cancelled = time.Now()
			cancel()
		}
	})
	if cancelled.IsZero() {
		t.Fatal("no feature progress was reported")
	}
	took := time.Since(cancelled)
	t.Logf("Run returned %v after the cancel", took)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if took > 2*time.Second {
		t.Fatalf("Run took %v to stop after the cancel", took)
	}
}
