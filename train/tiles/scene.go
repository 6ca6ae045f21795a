package tiles

import (
	"image"
	"math"

	"quarry/train/internal/rng"
)

// SceneSize is the default edge of a scan-mode scene.
const SceneSize = 2048

// GenerateScene returns a large size x size image (SceneSize when size <=
// 0) of a forest-dominated landscape with the given number of mining sites
// at known positions (for scan mode: sliding-window classification should
// light up there), and the sites. Sites are kept apart from each other and
// from the border; fewer are placed if they do not fit. The background
// carries the same look-alikes as single tiles, in proportion to its area.
func GenerateScene(seed int64, size, sites int) (*image.RGBA, []Site) {
	if size <= 0 {
		size = SceneSize
	}
	r := rng.New(rng.Derive(uint64(seed), 2))
	c := newCanvas(size, size)
	scene := sceneForest
	if r.Bool(0.4) {
		scene = sceneMixed
	}
	ls := newLandscape(r, scene)
	ls.paint(c)
	area := float64(size*size) / (DefaultSize * DefaultSize)
	decorate(c, r, ls, area)
	var out []Site
	for _, p := range placeSites(r, size, sites) {
		sp := drawSiteParams(r)
		sp.visibility = math.Max(sp.visibility, 0.75) // scan demos want findable sites
		out = append(out, onTile(paintSite(c, r, ls, p.x, p.y, sp), size))
	}
	finish(c, r)
	return c.image(), out
}

// decorate scatters rivers, clearings, ponds, puddles, craters and roads
// over a canvas of `area` tile areas.
func decorate(c *canvas, r *rng.Source, ls *landscape, area float64) {
	w, h := float64(c.w), float64(c.h)
	count := func(perTile float64) int { return int(perTile*area + r.Float64()) }
	for i := count(0.04); i > 0; i-- {
		river(c, r, ls)
	}
	for i := count(0.35); i > 0; i-- {
		clearing(c, r, ls, r.Range(0, w), r.Range(0, h), r.Range(15, 55), r.Range(0.6, 1), r.Range(0, 0.8))
	}
	for i := count(0.25); i > 0; i-- {
		pond(c, r, ls, r.Range(0, w), r.Range(0, h), r.Range(6, 22))
	}
	for i := count(0.2); i > 0; i-- {
		puddles(c, r)
	}
	for i := count(0.1); i > 0; i-- {
		craters(c, r, ls)
	}
	for i := count(0.1); i > 0; i-- {
		road(c, r, ls)
	}
}

// placeSites draws up to n site centres at least 200 px apart and 90 px
// from the border.
func placeSites(r *rng.Source, size, n int) []point {
	const border, gap = 90.0, 200.0
	var out []point
	span := float64(size) - 2*border
	if span <= 0 {
		return nil
	}
	for tries := 0; len(out) < n && tries < 200*n; tries++ {
		p := point{border + r.Float64()*span, border + r.Float64()*span}
		ok := true
		for _, q := range out {
			ok = ok && dist(p.x-q.x, p.y-q.y) >= gap
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}
