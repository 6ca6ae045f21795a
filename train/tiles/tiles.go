// Package tiles generates synthetic, satellite-like RGB tiles for the amber
// mining demo (DESIGN.md §6): Ukrainian Polissia landscapes of pine forest,
// fields with crop rows, meadows, roads and tracks, rivers and ponds, bare
// sand and soil. "Mine" tiles carry an illegal amber-mining site: a
// cleared, sandy patch with a cluster of round pits, rims of freshly dug
// sand and standing water in some pits. Non-mine tiles carry look-alikes
// (sand clearings, ponds, puddles, hay bales, isolated craters) so that a
// classifier must look at the pit clusters.
//
// Everything is deterministic: a seed gives the same pixels on every run.
// The figures a model reaches on these tiles are figures on synthetic data.
package tiles

import (
	"image"

	"quarry/train/internal/rng"
)

// DefaultSize is the default tile edge in pixels (the backbone's input).
const DefaultSize = 224

// Meta describes what the generator put on a tile.
type Meta struct {
	Seed int64 `json:"seed"`
	Mine bool  `json:"mine"`
	// Scene is "forest", "mixed" or "farmland".
	Scene string `json:"scene"`
	// Sites are the mining sites (one on a mine tile, none otherwise); pits
	// are listed when their centre lies on the tile.
	Sites []Site `json:"sites,omitempty"`
	// Craters are isolated pits on non-mine tiles (a look-alike).
	Craters []Pit `json:"craters,omitempty"`
	// Decoys lists the look-alikes painted: clearing, pond, puddles,
	// bales, craters.
	Decoys []string `json:"decoys,omitempty"`
}

// PitCount returns the number of pits of all sites.
func (m Meta) PitCount() int {
	n := 0
	for _, s := range m.Sites {
		n += len(s.Pits)
	}
	return n
}

var sceneNames = map[sceneKind]string{sceneForest: "forest", sceneMixed: "mixed", sceneFarmland: "farmland"}

// Generate returns a size x size tile (DefaultSize when size <= 0).
func Generate(seed int64, mine bool, size int) image.Image {
	img, _ := GenerateMeta(seed, mine, size)
	return img
}

// GenerateMeta returns a tile and a description of its content.
func GenerateMeta(seed int64, mine bool, size int) (*image.RGBA, Meta) {
	if size <= 0 {
		size = DefaultSize
	}
	cls := uint64(0)
	if mine {
		cls = 1
	}
	r := rng.New(rng.Derive(uint64(seed), cls))
	meta := Meta{Seed: seed, Mine: mine}
	c := newCanvas(size, size)
	ls := paintBackground(c, r, &meta, mine)
	if mine {
		sp := drawSiteParams(r)
		margin := 0.12 * float64(size)
		cx, cy := r.Range(margin, float64(size)-margin), r.Range(margin, float64(size)-margin)
		meta.Sites = []Site{onTile(paintSite(c, r, ls, cx, cy, sp), size)}
	} else if r.Bool(0.2) {
		meta.Craters = craters(c, r, ls)
		meta.Decoys = append(meta.Decoys, "craters")
	}
	finish(c, r)
	return c.image(), meta
}

// paintBackground paints the landscape, water, roads and decoys shared by
// both classes (with the same probabilities, so none of them gives the
// class away).
func paintBackground(c *canvas, r *rng.Source, meta *Meta, mine bool) *landscape {
	u := r.Float64()
	scene := sceneForest
	switch {
	case u > 0.85:
		scene = sceneFarmland
	case u > 0.55:
		scene = sceneMixed
	}
	meta.Scene = sceneNames[scene]
	ls := newLandscape(r, scene)
	ls.paint(c)
	w, h := float64(c.w), float64(c.h)
	if r.Bool(0.12) {
		river(c, r, ls)
	}
	if r.Bool(0.35) {
		clearing(c, r, ls, r.Range(0, w), r.Range(0, h), r.Range(15, 55), r.Range(0.6, 1), r.Range(0, 0.8))
		meta.Decoys = append(meta.Decoys, "clearing")
	}
	if r.Bool(0.25) {
		pond(c, r, ls, r.Range(0, w), r.Range(0, h), r.Range(6, 22))
		meta.Decoys = append(meta.Decoys, "pond")
	}
	if r.Bool(0.2) {
		puddles(c, r)
		meta.Decoys = append(meta.Decoys, "puddles")
	}
	if scene != sceneForest && r.Bool(0.25) {
		bales(c, r, ls)
		meta.Decoys = append(meta.Decoys, "bales")
	}
	for n := r.Intn(3); n > 0; n-- {
		road(c, r, ls)
	}
	return ls
}

// craters paints one or two isolated pits (old shell craters, a dug well):
// single pits are not a mining site.
func craters(c *canvas, r *rng.Source, ls *landscape) []Pit {
	var out []Pit
	x, y := r.Range(0.15, 0.85)*float64(c.w), r.Range(0.15, 0.85)*float64(c.h)
	for i := 0; i < 1+r.Intn(2); i++ {
		p := Pit{X: x + r.Range(-20, 20), Y: y + r.Range(-20, 20), R: r.Range(2, 5), Water: r.Bool(0.4)}
		paintPit(c, r, ls, p, r.Range(0.5, 1))
		out = append(out, p)
	}
	return out
}

// onTile keeps the pits whose centre lies on a size x size tile.
func onTile(s Site, size int) Site {
	var kept []Pit
	for _, p := range s.Pits {
		if p.X >= 0 && p.Y >= 0 && p.X < float64(size) && p.Y < float64(size) {
			kept = append(kept, p)
		}
	}
	s.Pits = kept
	return s
}

// finish applies the imaging conditions: haze, colour balance, brightness
// and contrast, softness and sensor noise.
func finish(c *canvas, r *rng.Source) {
	haze := r.Range(0, 0.18)
	gain := rgb{1, 1, 1}.jitter(0.04, r.Float64(), r.Float64(), r.Float64())
	bright, contrast := r.Range(0.85, 1.15), r.Range(0.85, 1.15)
	if r.Bool(0.5) {
		c.boxBlur(r.Range(0.2, 0.7))
	}
	sigma := r.Range(1, 4)
	for i, p := range c.pix {
		p = p.mix(rgb{186, 194, 204}, haze)
		p = rgb{p.r * gain.r, p.g * gain.g, p.b * gain.b}.scale(bright)
		p = rgb{128 + (p.r-128)*contrast, 128 + (p.g-128)*contrast, 128 + (p.b-128)*contrast}
		n := grain(r) * sigma
		c.pix[i] = rgb{p.r + n + grain(r)*sigma*0.5, p.g + n, p.b + n + grain(r)*sigma*0.5}
	}
}

// grain is cheap, roughly normal sensor noise with unit standard deviation
// (the sum of three uniforms, rescaled).
func grain(r *rng.Source) float64 {
	return (r.Float64() + r.Float64() + r.Float64() - 1.5) * 2
}
