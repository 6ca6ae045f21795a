package tiles

import (
	"math"

	"quarry/train/internal/rng"
)

// Pit is a dug pit: centre and radius in pixels; Water is true when it
// holds standing water.
type Pit struct {
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	R     float64 `json:"r"`
	Water bool    `json:"water"`
}

// Site is an amber-mining site: a disturbed, cleared patch of sand with a
// cluster of pits. X, Y and Radius locate the disturbed patch.
type Site struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Radius float64 `json:"radius"`
	Pits   []Pit   `json:"pits"`
}

// siteParams are the random choices of a mining site.
type siteParams struct {
	radius     float64 // disturbed patch radius, px
	pits       int     // number of pits attempted
	visibility float64 // 1 fresh and bare .. 0.6 old and overgrown
	water      float64 // probability that a pit holds water
}

// drawSiteParams draws a site; small, old sites with few pits are the hard
// positives.
func drawSiteParams(r *rng.Source) siteParams {
	return siteParams{
		radius:     r.Range(20, 60),
		pits:       6 + int(math.Pow(r.Float64(), 1.2)*30),
		visibility: r.Range(0.6, 1),
		water:      r.Range(0.1, 0.7),
	}
}

// paintSite paints a mining site centred at (cx, cy) and returns it.
func paintSite(c *canvas, r *rng.Source, ls *landscape, cx, cy float64, sp siteParams) Site {
	s := Site{X: cx, Y: cy, Radius: sp.radius}
	for i := 0; i < 1+r.Intn(2); i++ { // access tracks
		a, l := r.Range(0, 2*math.Pi), sp.radius+r.Range(60, 200)
		b := point{cx + l*math.Cos(a), cy + l*math.Sin(a)}
		ctrl := point{(cx+b.x)/2 + r.Range(-30, 30), (cy+b.y)/2 + r.Range(-30, 30)}
		track(c, curve(point{cx, cy}, ctrl, b), r.Range(1.2, 2.2), sandDirt.mix(sandLight, 0.5), true, ls.meadow)
	}
	clearing(c, r, ls, cx, cy, sp.radius, 0.45+0.55*sp.visibility, r.Range(0.2, 0.9))
	for tries := 0; len(s.Pits) < sp.pits && tries < sp.pits*20; tries++ {
		p := Pit{
			X: cx + r.Norm()*sp.radius*0.42, Y: cy + r.Norm()*sp.radius*0.42,
			R: math.Exp(r.Range(math.Log(2), math.Log(6))), Water: r.Bool(sp.water),
		}
		if dist(p.X-cx, p.Y-cy) > sp.radius*0.95 || overlaps(s.Pits, p) {
			continue
		}
		s.Pits = append(s.Pits, p)
	}
	for _, p := range s.Pits {
		if r.Bool(0.4) { // spoil heap beside the pit
			a := r.Range(0, 2*math.Pi)
			mound(c, ls, p.X+math.Cos(a)*p.R*2.2, p.Y+math.Sin(a)*p.R*2.2, p.R*r.Range(0.6, 1.1), sp.visibility)
		}
	}
	for _, p := range s.Pits {
		paintPit(c, r, ls, p, sp.visibility)
	}
	return s
}

// overlaps reports whether p sits too close to a pit already placed.
func overlaps(pits []Pit, p Pit) bool {
	for _, q := range pits {
		if dist(p.X-q.X, p.Y-q.Y) < 1.05*(p.R+q.R) {
			return true
		}
	}
	return false
}

// mound paints a lit heap of bright sand.
func mound(c *canvas, ls *landscape, x, y, rad, vis float64) {
	c.each(x, y, rad+1, func(px, py int, dx, dy float64) {
		d := dist(dx, dy) / rad
		if d >= 1.2 {
			return
		}
		l := 0.95 + 0.25*(dx*ls.sunX+dy*ls.sunY)/rad
		c.blend(px, py, sandLight.scale(l), vis*(1-smoothstep(0.7, 1.2, d)))
	})
}

// paintPit paints one pit: a rim of freshly dug, sun-lit sand around either
// standing water or a hole whose sun-side wall lies in shadow.
func paintPit(c *canvas, r *rng.Source, ls *landscape, p Pit, vis float64) {
	rim := sandLight.jitter(0.06, r.Float64(), r.Float64(), r.Float64())
	pool := waters[r.Intn(len(waters))].jitter(0.15, r.Float64(), r.Float64(), r.Float64())
	hole := rgb{118, 100, 74}.jitter(0.1, r.Float64(), r.Float64(), r.Float64())
	rimOut := r.Range(1.6, 2.1)
	c.each(p.X, p.Y, p.R*rimOut+1, func(x, y int, dx, dy float64) {
		dist := dist(dx, dy)
		d := dist / p.R
		toSun := 0.0
		if dist > 0 {
			toSun = (dx*ls.sunX + dy*ls.sunY) / dist
		}
		switch {
		case d < 1 && p.Water:
			v := pool.scale(0.9 + 0.2*d)
			if d > 0.8 {
				v = v.mix(hole, 0.5)
			}
			c.blend(x, y, v, math.Min(1, 0.5+vis))
		case d < 1:
			// The wall on the sun's side is shaded by the rim.
			l := 0.55 + 0.35*(1-d) - 0.3*toSun*d
			c.blend(x, y, hole.scale(l), math.Min(1, 0.5+vis))
		case d < rimOut:
			// Bright sand, lit on the sun's side; a shadow at the foot of
			// the rim on the far side.
			l := 1 + 0.22*toSun
			if d > 0.8*rimOut && toSun < -0.3 {
				l = 0.75
			}
			a := vis * (1 - smoothstep(1.3, rimOut, d))
			c.blend(x, y, rim.scale(l), a)
		}
	})
}
