package tiles

import (
	"math"

	"quarry/train/internal/rng"
)

var (
	sandLight = rgb{222, 208, 170}
	sandDirt  = rgb{178, 160, 126}
	soilDark  = rgb{112, 100, 84}
	water     = rgb{38, 56, 58}
	// waters are pit water colours: dark, silty teal, muddy brown.
	waters = []rgb{{34, 50, 54}, {66, 104, 98}, {92, 84, 62}, {48, 72, 80}}
)

// road paints a dirt track or a paved road across the canvas.
func road(c *canvas, r *rng.Source, ls *landscape) {
	a, b := edgePoint(r, c.w, c.h, 4), edgePoint(r, c.w, c.h, 4)
	mid := point{(a.x + b.x) / 2, (a.y + b.y) / 2}
	ctrl := point{mid.x + r.Range(-0.4, 0.4)*float64(c.w), mid.y + r.Range(-0.4, 0.4)*float64(c.h)}
	paved := r.Bool(0.25)
	w := r.Range(1.6, 3.2)
	col := sandDirt.jitter(0.1, r.Float64(), r.Float64(), r.Float64())
	if paved {
		w, col = r.Range(2.2, 3.6), rgb{142, 140, 132}.jitter(0.05, r.Float64(), r.Float64(), r.Float64())
	}
	track(c, curve(a, ctrl, b), w, col, !paved, ls.meadow)
}

// track paints a band of half-width w along pts; an unpaved track gets two
// ruts and a grassy crown when it is wide enough.
func track(c *canvas, pts []point, w float64, col rgb, unpaved bool, grass rgb) {
	d := distanceField(c, pts, w+1.5)
	for i, v := range d {
		if v > w+1 {
			continue
		}
		x, y := i%c.w, i/c.w
		a := 1 - smoothstep(w-0.5, w+1, v)
		p := col
		if unpaved && w > 2.2 && v < 0.7 {
			p = col.mix(grass, 0.45)
		}
		if unpaved && math.Abs(v-w*0.55) < 0.5 {
			p = p.scale(0.9)
		}
		c.blend(x, y, p, a)
	}
}

// river paints a meandering river with a sandy or grassy bank.
func river(c *canvas, r *rng.Source, ls *landscape) {
	a, b := edgePoint(r, c.w, c.h, 20), edgePoint(r, c.w, c.h, 20)
	mid := point{(a.x + b.x) / 2, (a.y + b.y) / 2}
	ctrl := point{mid.x + r.Range(-0.5, 0.5)*float64(c.w), mid.y + r.Range(-0.5, 0.5)*float64(c.h)}
	pts := curve(a, ctrl, b)
	seed, amp, wave := r.Uint64(), r.Range(4, 14), r.Range(30, 70)
	for i := 1; i < len(pts); i++ { // meander: shift sideways by smooth noise
		dx, dy := pts[i].x-pts[i-1].x, pts[i].y-pts[i-1].y
		n := dist(dx, dy) + 1e-9
		off := amp * (2*fbm(seed, float64(i)/2, 0, wave, 2) - 1)
		pts[i-1] = point{pts[i-1].x - dy/n*off, pts[i-1].y + dx/n*off}
	}
	w := r.Range(4, 11)
	col := water.jitter(0.15, r.Float64(), r.Float64(), r.Float64())
	bank := ls.meadow.mix(sandLight, r.Float64())
	d := distanceField(c, pts, w+3)
	for i, v := range d {
		x, y := i%c.w, i/c.w
		switch {
		case v < w:
			ripple := 0.92 + 0.12*fbm(seed+1, float64(x), float64(y), 5, 2)
			c.blend(x, y, col.scale(ripple), 1-smoothstep(w-1, w, v)*0.4)
		case v < w+2.5:
			c.blend(x, y, bank, 0.6)
		}
	}
}

// pond paints a small irregular lake with a bank around (cx, cy).
func pond(c *canvas, r *rng.Source, ls *landscape, cx, cy, radius float64) {
	col := water.jitter(0.18, r.Float64(), r.Float64(), r.Float64())
	bank := ls.meadow.mix(sandLight, r.Range(0, 0.7)).scale(0.9)
	seed := r.Uint64()
	blob(c, seed, cx, cy, radius, 0.3, 1.25, func(x, y int, t float64) {
		switch {
		case t < 1:
			depth := 0.85 + 0.2*t + 0.08*fbm(seed+2, float64(x), float64(y), 6, 2)
			c.blend(x, y, col.scale(depth), 1)
		default:
			c.blend(x, y, bank, 0.7*(1-smoothstep(1, 1.25, t)))
		}
	})
}

// clearing paints a bare sandy patch (a logging clearing, a sand quarry
// without pits, or the disturbed ground of a mining site). A share of trees
// is left standing and grass may have come back; turned is how much dark,
// churned soil is mixed into the sand.
func clearing(c *canvas, r *rng.Source, ls *landscape, cx, cy, radius, strength, turned float64) {
	seed := r.Uint64()
	base := sandLight.mix(sandDirt, r.Float64()).mix(ls.meadow, r.Range(0, 0.5))
	keep := r.Range(0, 0.3)
	blob(c, seed, cx, cy, radius, 0.35, 1.15, func(x, y int, t float64) {
		fx, fy := float64(x)+0.5, float64(y)+0.5
		if fbm(seed+3, fx, fy, 7, 2) < keep {
			return // a tree or shrub left standing
		}
		n := fbm(seed+4, fx, fy, 9, 3)
		v := base.scale(0.82+0.3*n).mix(ls.meadow, 0.35*smoothstep(0.5, 0.9, fbm(seed+5, fx, fy, 14, 2)))
		v = v.mix(soilDark, turned*smoothstep(0.45, 0.7, fbm(seed+6, fx, fy, 5, 3)))
		c.blend(x, y, v, strength*(1-smoothstep(0.85, 1.15, t)))
	})
}

// bales paints rows of round hay bales (bright dots with shadows), a look
// alike of small sand rims.
func bales(c *canvas, r *rng.Source, ls *landscape) {
	th := r.Range(0, math.Pi)
	ux, uy := math.Cos(th), math.Sin(th)
	ox, oy := r.Range(0.2, 0.8)*float64(c.w), r.Range(0.2, 0.8)*float64(c.h)
	rows, per := 1+r.Intn(3), 4+r.Intn(10)
	gap, rowGap := r.Range(5, 10), r.Range(10, 20)
	col := rgb{206, 190, 130}.jitter(0.08, r.Float64(), r.Float64(), r.Float64())
	for i := 0; i < rows; i++ {
		for j := 0; j < per; j++ {
			s, t := float64(j)*gap+r.Range(-1, 1), float64(i)*rowGap
			x, y := ox+s*ux-t*uy, oy+s*uy+t*ux
			rad := r.Range(1.1, 1.8)
			c.each(x+ls.sunX*-1.5, y+ls.sunY*-1.5, rad+1, func(px, py int, dx, dy float64) {
				c.blend(px, py, rgb{40, 40, 30}, 0.4*(1-smoothstep(rad-0.3, rad+0.6, dist(dx, dy))))
			})
			c.each(x, y, rad+1, func(px, py int, dx, dy float64) {
				l := 1 + 0.2*(dx*ls.sunX+dy*ls.sunY)/rad
				c.blend(px, py, col.scale(l), 1-smoothstep(rad-0.4, rad+0.4, dist(dx, dy)))
			})
		}
	}
}

// puddles paints a few small dark spots without rims.
func puddles(c *canvas, r *rng.Source) {
	n := 1 + r.Intn(4)
	cx, cy := r.Range(0.1, 0.9)*float64(c.w), r.Range(0.1, 0.9)*float64(c.h)
	for i := 0; i < n; i++ {
		x, y, rad := cx+r.Range(-25, 25), cy+r.Range(-25, 25), r.Range(1.5, 4)
		col := water.scale(r.Range(0.8, 1.4))
		c.each(x, y, rad+1, func(px, py int, dx, dy float64) {
			c.blend(px, py, col, 0.9*(1-smoothstep(rad-0.8, rad+0.5, dist(dx, dy))))
		})
	}
}
