package dataset

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pngBytes encodes a small image whose colour encodes n (distinct n,
// distinct bytes).
func pngBytes(t testing.TB, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for i := range img.Pix {
		img.Pix[i] = byte(n*7 + i%3)
	}
	img.Set(0, 0, color.RGBA{byte(n), byte(n >> 8), 1, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// dataset builds a layout and inspected records for counts per label;
// edit may replace the bytes of a path.
func dataset(t testing.TB, counts map[string]int, extra []string, edit map[string][]byte) (Layout, []Record) {
	t.Helper()
	var paths []string
	content := map[string][]byte{}
	n := 0
	for label, c := range counts {
		for i := 0; i < c; i++ {
			p := fmt.Sprintf("%s/%02d.png", label, i)
			paths = append(paths, p)
			content[p] = pngBytes(t, n)
			n++
		}
	}
	for p, b := range edit {
		content[p] = b
	}
	l := ParseLayout(append(paths, extra...))
	var recs []Record
	for _, f := range l.Files {
		recs = append(recs, Inspect(f, content[f.Path]))
	}
	return l, recs
}

func codes(is []Issue) []string {
	var out []string
	for _, i := range is {
		out = append(out, i.Code)
	}
	return out
}

func TestValidate(t *testing.T) {
	good := map[string]int{"mine": 6, "no_mine": 7}
	corrupt := pngBytes(t, 999)
	cases := []struct {
		name         string
		counts       map[string]int
		extra        []string
		edit         map[string][]byte
		opts         Options
		wantProblems []string
		wantWarnings []string
		wantInMsg    string
	}{
		{name: "valid binary", counts: good, opts: Options{Positive: "mine"}},
		{name: "one class", counts: map[string]int{"mine": 9}, opts: Options{Positive: "mine"},
			wantProblems: []string{CodeTooFewClasses}, wantInMsg: "need at least 2 class folders"},
		{name: "three images in a class", counts: map[string]int{"mine": 3, "no_mine": 9}, opts: Options{Positive: "mine"},
			wantProblems: []string{CodeTooFewImages}, wantInMsg: "mine has 3"}, // ratio 3 is not above 3
		{name: "corrupt png", counts: good, opts: Options{Positive: "mine"},
			edit:         map[string][]byte{"mine/02.png": corrupt[:len(corrupt)/2]},
			wantProblems: []string{CodeCorrupt}, wantInMsg: "mine/02.png"},
		{name: "text file named png", counts: good, opts: Options{Positive: "mine"},
			edit:         map[string][]byte{"no_mine/00.png": []byte("hello")},
			wantProblems: []string{CodeCorrupt}, wantInMsg: "no_mine/00.png (not a readable image"},
		{name: "stray files", counts: good, opts: Options{Positive: "mine"}, extra: []string{"mine/notes.txt", "mine/x/y.png", "README.md"},
			wantProblems: []string{CodeNotImages, CodeMisplaced}, wantInMsg: "mine/notes.txt"},
		{name: "binary without positive label", counts: good,
			wantProblems: []string{CodePositiveMissing}, wantInMsg: "one of mine, no_mine"},
		{name: "unknown positive label", counts: good, opts: Options{Positive: "mines"},
			wantProblems: []string{CodePositiveUnknown}, wantInMsg: `"mines" is not a class`},
		{name: "positive ignored for three classes", counts: map[string]int{"a": 5, "b": 5, "c": 5}, opts: Options{Positive: "a"},
			wantWarnings: []string{CodePositiveIgnored}},
		{name: "duplicates under one label", counts: good, opts: Options{Positive: "mine"},
			edit:         map[string][]byte{"mine/01.png": pngBytes(t, 500), "mine/04.png": pngBytes(t, 500)},
			wantWarnings: []string{CodeDuplicates}, wantInMsg: "mine/01.png = mine/04.png"},
		{name: "duplicates across labels", counts: good, opts: Options{Positive: "mine"},
			edit:         map[string][]byte{"mine/01.png": pngBytes(t, 500), "no_mine/04.png": pngBytes(t, 500)},
			wantProblems: []string{CodeConflictingLabels}, wantInMsg: "mine/01.png = no_mine/04.png"},
		{name: "imbalance", counts: map[string]int{"mine": 5, "no_mine": 40}, opts: Options{Positive: "mine"},
			wantWarnings: []string{CodeImbalance}, wantInMsg: "8.0 times"},
		{name: "nothing", counts: nil, wantProblems: []string{CodeNoImages}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, recs := dataset(t, c.counts, c.extra, c.edit)
			r := Validate(l, recs, c.opts)
			if diff := cmp.Diff(c.wantProblems, codes(r.Problems)); diff != "" {
				t.Fatalf("problems %v (-want +got):\n%s", r.Problems, diff)
			}
			if diff := cmp.Diff(c.wantWarnings, codes(r.Warnings)); diff != "" {
				t.Fatalf("warnings %v (-want +got):\n%s", r.Warnings, diff)
			}
			all := fmt.Sprint(r.Problems, r.Warnings)
			if !strings.Contains(all, c.wantInMsg) {
				t.Fatalf("messages %s lack %q", all, c.wantInMsg)
			}
			if r.OK() != (r.Err() == nil) || r.OK() != (len(c.wantProblems) == 0) {
				t.Fatalf("OK %v, Err %v", r.OK(), r.Err())
			}
		})
	}
}

func TestValidateCountsAndSplits(t *testing.T) {
	var paths []string
	content := map[string][]byte{}
	n := 0
	add := func(split, label string, k int) {
		for i := 0; i < k; i++ {
			p := fmt.Sprintf("%s/%s/%d.png", split, label, i)
			paths = append(paths, p)
			content[p] = pngBytes(t, n)
			n++
		}
	}
	add("train", "mine", 6)
	add("train", "no_mine", 8)
	add("validation", "mine", 2)
	add("test", "no_mine", 3)
	add("validation", "ghost", 1)
	l := ParseLayout(paths)
	var recs []Record
	for _, f := range l.Files {
		recs = append(recs, Inspect(f, content[f.Path]))
	}
	r := Validate(l, recs, Options{Positive: "mine"})
	want := []ClassCount{{Label: "mine", Train: 6, Validation: 2}, {Label: "no_mine", Train: 8, Test: 3}}
	if diff := cmp.Diff(want, r.Classes); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{CodeUnknownClass}, codes(r.Problems)); diff != "" {
		t.Fatalf("problems %v", r.Problems)
	}
	if diff := cmp.Diff([]string{CodeValidationMissing}, codes(r.Warnings)); diff != "" {
		t.Fatalf("warnings %v", r.Warnings)
	}
	if r.Imbalance != 8.0/6 || r.Positive != "" && r.Positive != "mine" {
		t.Fatalf("imbalance %v positive %q", r.Imbalance, r.Positive)
	}
}

func TestInspect(t *testing.T) {
	data := pngBytes(t, 3)
	r := Inspect(File{Path: "a/x.png", Label: "a"}, data)
	if !r.Decodable || r.Format != "png" || r.Width != 8 || r.Height != 6 || len(r.Hash) != 64 {
		t.Fatalf("record %+v", r)
	}
	if r2 := Inspect(File{Path: "a/y.png"}, data); r2.Hash != r.Hash {
		t.Fatal("same bytes, different hashes")
	}
	bad := Inspect(File{Path: "a/z.png"}, data[:60])
	if bad.Decodable || !strings.Contains(bad.Err, "corrupt png") {
		t.Fatalf("truncated png: %+v", bad)
	}
}
