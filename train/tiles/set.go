package tiles

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"quarry/train/internal/rng"
)

// Class folder names of a generated set.
const (
	LabelMine   = "mine"
	LabelNoMine = "no_mine"
)

// Item is one tile of a generated set.
type Item struct {
	// Path is relative to the set's folder, e.g. "mine/mine_0007.png".
	Path  string `json:"path"`
	Label string `json:"label"`
	Meta  Meta   `json:"meta"`
}

// TileSeed returns the seed of tile i of the set with seed setSeed; sets
// with different seeds do not share tiles.
func TileSeed(setSeed int64, i int) int64 {
	return int64(rng.Derive(uint64(setSeed), uint64(i)) >> 1)
}

// GenerateSet writes nPerClass mine and nPerClass no_mine tiles of size
// pixels as PNG files into dir in the imagefolder layout (dir/mine/*.png,
// dir/no_mine/*.png) and returns them, mine tiles first. Tile i of either
// class uses TileSeed(seed, i). Files are written by GOMAXPROCS workers;
// the bytes do not depend on their number.
func GenerateSet(dir string, seed int64, nPerClass, size int) ([]Item, error) {
	for _, l := range []string{LabelMine, LabelNoMine} {
		if err := os.MkdirAll(filepath.Join(dir, l), 0o755); err != nil {
			return nil, fmt.Errorf("tiles: generate set: %w", err)
		}
	}
	items := make([]Item, 2*nPerClass)
	errs := make([]error, len(items))
	next := make(chan int, len(items))
	for i := range items {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				items[i], errs[i] = writeTile(dir, seed, i%nPerClass, i < nPerClass, size)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return items, nil
}

// writeTile renders and writes one tile of a set.
func writeTile(dir string, seed int64, i int, mine bool, size int) (Item, error) {
	label := LabelNoMine
	if mine {
		label = LabelMine
	}
	img, meta := GenerateMeta(TileSeed(seed, i), mine, size)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Item{}, fmt.Errorf("tiles: encode %s tile %d: %w", label, i, err)
	}
	rel := fmt.Sprintf("%s/%s_%04d.png", label, label, i)
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), buf.Bytes(), 0o644); err != nil {
		return Item{}, fmt.Errorf("tiles: generate set: %w", err)
	}
	return Item{Path: rel, Label: label, Meta: meta}, nil
}
