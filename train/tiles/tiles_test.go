package tiles

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"runtime"
	"testing"
)

func encode(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterminism(t *testing.T) {
	for _, mine := range []bool{false, true} {
		a := encode(t, Generate(42, mine, 0))
		b := encode(t, Generate(42, mine, 0))
		prev := runtime.GOMAXPROCS(1)
		c := encode(t, Generate(42, mine, 0))
		runtime.GOMAXPROCS(prev)
		if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
			t.Fatalf("mine=%v: same seed gave different bytes", mine)
		}
		if bytes.Equal(a, encode(t, Generate(43, mine, 0))) {
			t.Fatalf("mine=%v: seeds 42 and 43 gave identical tiles", mine)
		}
	}
	if bytes.Equal(encode(t, Generate(42, true, 0)), encode(t, Generate(42, false, 0))) {
		t.Fatal("mine and no-mine tiles of one seed are identical")
	}
}

func TestSize(t *testing.T) {
	cases := []struct{ in, want int }{{0, DefaultSize}, {-5, DefaultSize}, {100, 100}, {300, 300}}
	for _, c := range cases {
		if b := Generate(1, true, c.in).Bounds(); b.Dx() != c.want || b.Dy() != c.want {
			t.Fatalf("size %d gave %v", c.in, b)
		}
	}
}

func luma(img *image.RGBA, x, y int) float64 {
	p := img.RGBAAt(x, y)
	return 0.299*float64(p.R) + 0.587*float64(p.G) + 0.114*float64(p.B)
}

// ringMean is the mean luma of the pixels whose distance to (cx, cy) lies
// in [r0, r1).
func ringMean(img *image.RGBA, cx, cy, r0, r1 float64) (float64, int) {
	var s float64
	n := 0
	b := img.Bounds()
	for y := int(cy - r1 - 1); y <= int(cy+r1+1); y++ {
		for x := int(cx - r1 - 1); x <= int(cx+r1+1); x++ {
			if !(image.Point{x, y}).In(b) {
				continue
			}
			if d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy); d >= r0 && d < r1 {
				s += luma(img, x, y)
				n++
			}
		}
	}
	return s / math.Max(1, float64(n)), n
}

// TestMineTilesHavePits checks the metadata (a site with a pit cluster on
// every mine tile, none on the others) and that the pits are really drawn:
// dark pit interiors inside bright sand rims.
func TestMineTilesHavePits(t *testing.T) {
	var checked, darker int
	for seed := int64(0); seed < 40; seed++ {
		img, meta := GenerateMeta(seed, true, 0)
		if !meta.Mine || len(meta.Sites) != 1 || meta.PitCount() < 3 {
			t.Fatalf("seed %d: mine tile meta %+v, want one site with >= 3 pits", seed, meta)
		}
		s := meta.Sites[0]
		for _, p := range s.Pits {
			if math.Hypot(p.X-s.X, p.Y-s.Y) > s.Radius || p.R < 2 || p.R > 6 {
				t.Fatalf("seed %d: pit %+v outside site %+v", seed, p, s)
			}
			inner, n := ringMean(img, p.X, p.Y, 0, 0.6*p.R)
			rim, m := ringMean(img, p.X, p.Y, 1.15*p.R, 1.45*p.R)
			if n == 0 || m == 0 {
				continue
			}
			checked++
			if rim > inner+8 {
				darker++
			}
		}
		_, none := GenerateMeta(seed, false, 0)
		if none.Mine || len(none.Sites) != 0 || none.PitCount() != 0 {
			t.Fatalf("seed %d: no-mine tile has sites: %+v", seed, none)
		}
	}
	if frac := float64(darker) / float64(checked); frac < 0.85 {
		t.Fatalf("only %d of %d pits are darker than their rim", darker, checked)
	}
	t.Logf("%d of %d pits are darker than their rim", darker, checked)
}

func TestScene(t *testing.T) {
	img, sites := GenerateScene(7, 1024, 3)
	if b := img.Bounds(); b.Dx() != 1024 || b.Dy() != 1024 {
		t.Fatalf("scene bounds %v", b)
	}
	if len(sites) != 3 {
		t.Fatalf("%d sites, want 3", len(sites))
	}
	mean, _ := ringMean(img, 512, 512, 0, 2000)
	for i, s := range sites {
		if s.X < 90 || s.Y < 90 || s.X > 1024-90 || s.Y > 1024-90 || len(s.Pits) < 3 {
			t.Fatalf("site %d %+v misplaced or empty", i, s)
		}
		for _, o := range sites[:i] {
			if math.Hypot(s.X-o.X, s.Y-o.Y) < 200 {
				t.Fatalf("sites %+v and %+v overlap", s, o)
			}
		}
		// The disturbed sand of a site is brighter than the scene (forest).
		if in, _ := ringMean(img, s.X, s.Y, 0, s.Radius*0.7); in < mean+10 {
			t.Fatalf("site %d mean luma %.0f vs scene %.0f: not visible", i, in, mean)
		}
	}
	again, _ := GenerateScene(7, 1024, 3)
	if !bytes.Equal(img.Pix, again.Pix) {
		t.Fatal("scene is not deterministic")
	}
}
