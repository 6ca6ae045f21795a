package tiles

import (
	"math"

	"quarry/train/internal/rng"
)

// point is a position in pixels.
type point struct{ x, y float64 }

// curve samples a quadratic Bézier from a to b bent through ctrl, every
// half pixel or so.
func curve(a, ctrl, b point) []point {
	n := int(dist(b.x-a.x, b.y-a.y)*2) + int(dist(ctrl.x-a.x, ctrl.y-a.y)) + 2
	pts := make([]point, n+1)
	for i := range pts {
		t := float64(i) / float64(n)
		u := 1 - t
		pts[i] = point{u*u*a.x + 2*u*t*ctrl.x + t*t*b.x, u*u*a.y + 2*u*t*ctrl.y + t*t*b.y}
	}
	return pts
}

// edgePoint picks a point on the border of a w x h canvas, pushed margin
// pixels outside it.
func edgePoint(r *rng.Source, w, h int, margin float64) point {
	t := r.Float64()
	switch r.Intn(4) {
	case 0:
		return point{t * float64(w), -margin}
	case 1:
		return point{t * float64(w), float64(h) + margin}
	case 2:
		return point{-margin, t * float64(h)}
	}
	return point{float64(w) + margin, t * float64(h)}
}

// distanceField returns, for each pixel within reach of the polyline, the
// distance to its nearest sample (a stamp of radius reach per sample);
// other pixels hold +Inf.
func distanceField(c *canvas, pts []point, reach float64) []float64 {
	d := make([]float64, c.w*c.h)
	for i := range d {
		d[i] = math.Inf(1)
	}
	for _, p := range pts {
		c.each(p.x, p.y, reach, func(x, y int, dx, dy float64) {
			if v := dist(dx, dy); v < d[y*c.w+x] {
				d[y*c.w+x] = v
			}
		})
	}
	return d
}

// blob visits the pixels of an irregular round shape: fn gets the
// normalised radius t (0 at the centre, 1 on the outline, which wobbles by
// ±wobble of the radius) for every pixel with t < limit.
func blob(c *canvas, seed uint64, cx, cy, radius, wobble, limit float64, fn func(x, y int, t float64)) {
	c.each(cx, cy, radius*(1+wobble)*limit+1, func(x, y int, dx, dy float64) {
		a := math.Atan2(dy, dx)
		n := valueNoise(seed, 2.2*math.Cos(a)+5, 2.2*math.Sin(a)+5)
		n2 := valueNoise(seed+1, 5*math.Cos(a)+9, 5*math.Sin(a)+9)
		rr := radius * (1 + wobble*(2*(0.7*n+0.3*n2)-1))
		if t := dist(dx, dy) / rr; t < limit {
			fn(x, y, t)
		}
	})
}
