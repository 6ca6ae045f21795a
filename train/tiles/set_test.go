package tiles

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"quarry/train/dataset"
)

func TestGenerateSet(t *testing.T) {
	dir := t.TempDir()
	items, err := GenerateSet(dir, 9, 5, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 10 || items[0].Path != "mine/mine_0000.png" || items[9].Path != "no_mine/no_mine_0004.png" {
		t.Fatalf("items %v", items)
	}
	var paths []string
	var recs []dataset.Record
	for _, it := range items {
		data, err := os.ReadFile(filepath.Join(dir, it.Path))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil || img.Bounds().Dx() != 64 {
			t.Fatalf("%s: %v %v", it.Path, img.Bounds(), err)
		}
		seed := TileSeed(9, index(it.Path))
		if it.Meta.Seed != seed || it.Meta.Mine != (it.Label == LabelMine) {
			t.Fatalf("%s: meta %+v, want seed %d", it.Path, it.Meta, seed)
		}
		if want := encode(t, Generate(seed, it.Meta.Mine, 64)); !bytes.Equal(data, want) {
			t.Fatalf("%s differs from Generate(TileSeed(9, i))", it.Path)
		}
		paths = append(paths, it.Path)
		recs = append(recs, dataset.Inspect(dataset.File{Path: it.Path, Label: it.Label}, data))
	}
	// The set is a valid imagefolder dataset.
	l := dataset.ParseLayout(paths)
	if r := dataset.Validate(l, recs, dataset.Options{Positive: LabelMine}); !r.OK() || len(r.Warnings) != 0 {
		t.Fatalf("generated set does not validate: %+v", r)
	}
	// One worker writes the same bytes.
	prev := runtime.GOMAXPROCS(1)
	dir2 := t.TempDir()
	_, err = GenerateSet(dir2, 9, 5, 64)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		a, _ := os.ReadFile(filepath.Join(dir, p))
		b, _ := os.ReadFile(filepath.Join(dir2, p))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s differs between runs", p)
		}
	}
	if TileSeed(9, 0) == TileSeed(10, 0) || TileSeed(9, 0) == TileSeed(9, 1) {
		t.Fatal("tile seeds collide")
	}
}

// index parses the tile number of "label/label_NNNN.png".
func index(p string) int {
	n := 0
	for _, ch := range p[len(p)-8 : len(p)-4] {
		n = n*10 + int(ch-'0')
	}
	return n
}
