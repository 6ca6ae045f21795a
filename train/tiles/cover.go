package tiles

import (
	"math"
	"runtime"
	"sync"

	"quarry/train/internal/rng"
)

// coverKind is the land cover of a parcel.
type coverKind int

const (
	coverForest coverKind = iota
	coverField
	coverMeadow
	coverBare
	coverYoung // young forest or an overgrown clearing
)

// sceneKind sets the mix of land covers of a tile.
type sceneKind int

const (
	sceneForest sceneKind = iota
	sceneMixed
	sceneFarmland
)

// coverMix gives, per scene, the probabilities of forest, field, meadow,
// bare soil and young forest (in coverKind order).
var coverMix = map[sceneKind][5]float64{
	sceneForest:   {0.70, 0.04, 0.10, 0.04, 0.12},
	sceneMixed:    {0.40, 0.30, 0.16, 0.04, 0.10},
	sceneFarmland: {0.12, 0.62, 0.16, 0.06, 0.04},
}

// fieldColors are crops, stubble and ploughed soil.
var fieldColors = []rgb{
	{72, 108, 48}, {98, 128, 60}, {150, 152, 84}, {188, 170, 112},
	{124, 98, 72}, {96, 80, 62}, {178, 168, 134}, {60, 92, 44},
}

// landscape paints the background: parcels on a jittered grid (a Voronoi
// partition on noise-warped coordinates), each with a land cover and its
// texture.
type landscape struct {
	seed     uint64
	scene    sceneKind
	cell     float64 // parcel grid spacing, px
	warp     float64 // boundary warp amplitude, px
	crown    float64 // tree crown spacing, px
	sunX     float64 // unit vector towards the sun
	sunY     float64
	forest   rgb
	meadow   rgb
	bare     rgb
	moisture float64 // 0 dry .. 1 lush, shifts greens
	// Parcels are stretched by aspect along the direction (dirX, dirY):
	// strip fields.
	aspect, dirX, dirY float64
}

// newLandscape draws the landscape parameters of a tile.
func newLandscape(r *rng.Source, scene sceneKind) *landscape {
	az := r.Range(0, 2*math.Pi)
	ls := &landscape{
		seed: r.Uint64(), scene: scene,
		cell: r.Range(55, 130), warp: r.Range(3, 12), crown: r.Range(3.6, 5.6),
		sunX: math.Cos(az), sunY: math.Sin(az), moisture: r.Float64(),
		aspect: r.Range(1, 2.6),
	}
	phi := r.Range(0, math.Pi)
	ls.dirX, ls.dirY = math.Cos(phi), math.Sin(phi)
	ls.forest = rgb{38, 62, 34}.jitter(0.15, r.Float64(), r.Float64(), r.Float64())
	ls.meadow = rgb{116, 134, 72}.jitter(0.15, r.Float64(), r.Float64(), r.Float64())
	ls.bare = rgb{196, 178, 140}.scale(r.Range(0.85, 1.05)).jitter(0.03, r.Float64(), r.Float64(), r.Float64())
	return ls
}

// parcel is the nearest and second-nearest parcel centres of a point.
type parcel struct {
	ix, iy int     // grid cell of the nearest centre
	d1, d2 float64 // distances to the nearest and second nearest centres
	jx, jy int     // grid cell of the second nearest
}

// locate finds the parcel of (x, y) after warping the coordinates.
func (ls *landscape) locate(x, y float64) parcel {
	wx := x + ls.warp*(2*fbm(ls.seed+11, x, y, 40, 3)-1)
	wy := y + ls.warp*(2*fbm(ls.seed+12, x, y, 40, 3)-1)
	wx, wy = (wx*ls.dirX+wy*ls.dirY)/ls.aspect, -wx*ls.dirY+wy*ls.dirX
	gx, gy := int(math.Floor(wx/ls.cell)), int(math.Floor(wy/ls.cell))
	p := parcel{d1: math.Inf(1), d2: math.Inf(1)}
	for j := gy - 1; j <= gy+1; j++ {
		for i := gx - 1; i <= gx+1; i++ {
			cx := (float64(i) + 0.15 + 0.7*hash01(ls.seed, i, j, 1)) * ls.cell
			cy := (float64(j) + 0.15 + 0.7*hash01(ls.seed, i, j, 2)) * ls.cell
			d := dist(wx-cx, wy-cy)
			switch {
			case d < p.d1:
				p.d2, p.jx, p.jy = p.d1, p.ix, p.iy
				p.d1, p.ix, p.iy = d, i, j
			case d < p.d2:
				p.d2, p.jx, p.jy = d, i, j
			}
		}
	}
	return p
}

// cover returns the land cover of a grid cell.
func (ls *landscape) cover(i, j int) coverKind {
	u := hash01(ls.seed, i, j, 3)
	for k, p := range coverMix[ls.scene] {
		if u < p {
			return coverKind(k)
		}
		u -= p
	}
	return coverForest
}

// paint fills the canvas with the landscape, rows in parallel (each pixel
// depends only on its position, so the result is the same on any number of
// cores).
func (ls *landscape) paint(c *canvas) {
	workers := max(1, min(runtime.GOMAXPROCS(0), c.h/32))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := w; y < c.h; y += workers {
				for x := 0; x < c.w; x++ {
					c.set(x, y, ls.color(float64(x)+0.5, float64(y)+0.5))
				}
			}
		}()
	}
	wg.Wait()
}

// color is the landscape colour at a point.
func (ls *landscape) color(x, y float64) rgb {
	p := ls.locate(x, y)
	k := ls.cover(p.ix, p.iy)
	var v rgb
	switch k {
	case coverForest:
		v = ls.trees(x, y, 0.72+0.26*hash01(ls.seed, p.ix, p.iy, 4), 1)
	case coverYoung:
		v = ls.meadowAt(x, y).mix(ls.trees(x, y, 0.9, 0.6), 0.35+0.5*hash01(ls.seed, p.ix, p.iy, 4))
	case coverField:
		v = ls.field(x, y, p.ix, p.iy)
	case coverMeadow:
		v = ls.meadowAt(x, y)
	default:
		v = ls.bare.scale(0.85 + 0.25*fbm(ls.seed+21, x, y, 12, 3))
	}
	// Field margins: a grass strip where two open parcels meet.
	if p.d2-p.d1 < 2.2 && k != coverForest && ls.cover(p.jx, p.jy) != coverForest {
		v = v.mix(ls.meadow.scale(0.9), 0.7)
	}
	return v
}

// trees paints a canopy of round crowns lit from the sun; density is the
// share of crown positions holding a tree, size scales the crowns.
func (ls *landscape) trees(x, y, density, size float64) rgb {
	if v, ok := ls.crownAt(x, y, density, size); ok {
		return v
	}
	ground := ls.forest.scale(0.55).mix(rgb{70, 66, 44}, 0.3)
	return ground.scale(0.8 + 0.3*fbm(ls.seed+31, x, y, 6, 2))
}

// crownAt returns the colour of the tree crown covering (x, y), if any.
func (ls *landscape) crownAt(x, y, density, size float64) (rgb, bool) {
	g := ls.crown * size
	gx, gy := int(math.Floor(x/g)), int(math.Floor(y/g))
	best, light, tint := math.Inf(1), 0.0, 0.0
	for j := gy - 1; j <= gy+1; j++ {
		for i := gx - 1; i <= gx+1; i++ {
			if hash01(ls.seed, i, j, 5) > density {
				continue
			}
			cx := (float64(i) + hash01(ls.seed, i, j, 6)) * g
			cy := (float64(j) + hash01(ls.seed, i, j, 7)) * g
			r := g * (0.5 + 0.35*hash01(ls.seed, i, j, 8))
			dx, dy := x-cx, y-cy
			if d := dist(dx, dy) / r; d < 1 && d < best {
				best = d
				light = 0.62 + 0.38*math.Sqrt(1-d*d) + 0.3*(dx*ls.sunX+dy*ls.sunY)/r
				tint = hash01(ls.seed, i, j, 9)
			}
		}
	}
	if math.IsInf(best, 1) {
		return rgb{}, false
	}
	return ls.forest.jitter(0.12, tint, 1-tint, 0.5).scale(light), true
}

// meadowAt paints grassland with patches and a few bushes.
func (ls *landscape) meadowAt(x, y float64) rgb {
	n := fbm(ls.seed+41, x, y, 18, 4)
	v := ls.meadow.mix(rgb{150, 146, 92}, 0.5*(1-ls.moisture)*n).scale(0.85 + 0.3*n)
	if bush, ok := ls.crownAt(x, y, 0.05, 0.9); ok {
		v = bush
	}
	return v
}

// field paints crop rows at the parcel's angle and period, with tramlines.
func (ls *landscape) field(x, y float64, i, j int) rgb {
	base := fieldColors[int(hash01(ls.seed, i, j, 10)*float64(len(fieldColors)))]
	base = base.scale(0.9+0.2*hash01(ls.seed, i, j, 11)).jitter(0.04, hash01(ls.seed, i, j, 12), hash01(ls.seed, i, j, 13), 0.5)
	th := hash01(ls.seed, i, j, 14) * math.Pi
	period := 2.6 + 4*hash01(ls.seed, i, j, 15)
	amp := 0.04 + 0.1*hash01(ls.seed, i, j, 16)
	u := x*math.Cos(th) + y*math.Sin(th)
	k := 1 + amp*math.Sin(2*math.Pi*u/period) + 0.16*(fbm(ls.seed+51, x, y, 30, 3)-0.5)
	spacing := 18 + 14*hash01(ls.seed, i, j, 17)
	if f := math.Mod(math.Abs(u), spacing); f < 0.9 && hash01(ls.seed, i, j, 18) < 0.6 {
		k *= 1.12
	}
	return base.scale(k)
}
