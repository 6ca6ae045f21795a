package hub_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"slices"
	"strings"
	"testing"

	"quarry/hub"
	"quarry/train/dataset"
)

// zipBytes writes a zip of files (name -> content; nil: a distinct PNG).
func zipBytes(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	n := 100
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		data := files[name]
		if data == nil {
			n++
			data = pngBytes(t, n)
		}
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombZip is a tiny zip whose one entry declares `declared` bytes.
func bombZip(t *testing.T, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(make([]byte, 1024))
	fw.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	raw, err := w.CreateRaw(&zip.FileHeader{Name: "mine/bomb.png", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(make([]byte, 1024)), CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	raw.Write(comp.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestInvalidDatasetsRefusedBeforeAnyJob(t *testing.T) {
	valid := map[string]int{"mine": 6, "no_mine": 6}
	corrupt := classFiles(valid)
	corrupt["mine/2.png"] = pngBytes(t, 999)[:40]
	escape := classFiles(valid)
	escape["../evil.png"] = nil
	for _, tc := range []struct {
		name     string
		files    map[string][]byte
		positive string
		code     string
		inMsg    string
	}{
		{"one class", classFiles(map[string]int{"mine": 8}), "mine", dataset.CodeTooFewClasses, "need at least 2 class"},
		{"three images", classFiles(map[string]int{"mine": 3, "no_mine": 6}), "mine", dataset.CodeTooFewImages, "mine has 3"},
		{"corrupt png", corrupt, "mine", dataset.CodeCorrupt, "mine/2.png"},
		{"no positive", classFiles(valid), "", dataset.CodePositiveMissing, "explicit positive label"},
		{"zip with ..", map[string][]byte{"data.zip": zipBytes(t, escape)}, "mine", hub.CodeUnsafeZip, "escapes the archive root"},
		{"zip bomb header", map[string][]byte{"data.zip": bombZip(t, 10<<30)}, "mine", hub.CodeUnsafeZip, "declares"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTrainEnv(t)
			data := e.dataset(t, e.alice, "bad", tc.files)
			_, err := e.tr.CreateProject(ctx, e.alice, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "p"},
				Dataset: data, Positive: tc.positive})
			wantKind(t, err, hub.ErrInvalid)
			var ide *hub.InvalidDatasetError
			if !errors.As(err, &ide) {
				t.Fatalf("error %v carries no report", err)
			}
			var codes []string
			for _, p := range ide.Check.Report.Problems {
				codes = append(codes, p.Code)
			}
			if !slices.Contains(codes, tc.code) || !strings.Contains(hub.ErrorMessage(err), tc.inMsg) {
				t.Fatalf("problems %v, message %q; want code %s and %q", codes, hub.ErrorMessage(err), tc.code, tc.inMsg)
			}
			if jobs, _ := e.meta.ListJobs(ctx, hub.JobFilter{}); len(jobs) != 0 {
				t.Fatalf("%d jobs submitted", len(jobs))
			}
			if ps, _ := e.meta.ListProjects(ctx, hub.ProjectFilter{}); len(ps) != 0 {
				t.Fatalf("%d projects recorded", len(ps))
			}
			if _, err := e.meta.GetRepo(ctx, hub.RepoID{Type: hub.Model, Namespace: "alice", Name: "p-logreg"}); err == nil {
				t.Fatal("a candidate repo was created")
			}
		})
	}
}

func TestValidateZipDataset(t *testing.T) {
	e := newTrainEnv(t)
	inner := classFiles(map[string]int{"amber/mine": 5, "amber/no_mine": 7})
	data := e.dataset(t, e.alice, "zipped", map[string][]byte{"amber.zip": zipBytes(t, inner)})
	check, err := e.tr.ValidateDataset(ctx, e.alice, hub.DatasetInput{Dataset: data, Positive: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	want := []dataset.ClassCount{{Label: "mine", Train: 5}, {Label: "no_mine", Train: 7}}
	if !check.Report.OK() || check.Zip != "amber.zip" || check.Report.Positive != "mine" {
		t.Fatalf("check = %+v", check)
	}
	if diff := cmpDiff(want, check.Report.Classes); diff != "" {
		t.Fatalf("classes (-want +got):\n%s", diff)
	}
	st := e.create(t, hub.ProjectInput{Name: hub.RepoID{Namespace: "alice", Name: "z"}, Dataset: data, Positive: "mine",
		Candidates: []hub.CandidateInput{{Head: "logreg"}}})
	if jobs := e.waitStarted(t, 1); jobs[0].Spec[hub.SpecTrainDataset] != "alice/zipped" || st.Project.Synthetic != true {
		t.Fatalf("job spec %v", jobs[0].Spec)
	}
	// A duplicate under another label is a problem; validation does not need a positive label to report it.
	dup := map[string][]byte{"mine/a.png": pngBytes(t, 1), "no_mine/a.png": pngBytes(t, 1)}
	check, err = e.tr.ValidateDataset(ctx, e.alice, hub.DatasetInput{Dataset: e.dataset(t, e.alice, "dup", dup)})
	if err != nil || check.Report.OK() {
		t.Fatalf("duplicates: %+v, %v", check, err)
	}
	_, err = e.tr.ValidateDataset(ctx, e.bob, hub.DatasetInput{Dataset: data})
	wantCode(t, err, "RepoNotFound")
	_, err = e.tr.ValidateDataset(ctx, &hub.Caller{}, hub.DatasetInput{Dataset: data})
	wantKind(t, err, hub.ErrUnauthorized)
}
