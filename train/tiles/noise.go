package tiles

import "math"

// hash mixes a seed and two lattice coordinates into 64 random bits
// (a SplitMix64 finaliser).
func hash(seed uint64, x, y int) uint64 {
	z := seed ^ uint64(int64(x))*0x9E3779B97F4A7C15 ^ uint64(int64(y))*0xC2B2AE3D27D4EB4F
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// unit turns 64 random bits into a float in [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// hash01 is a uniform value in [0, 1) for a lattice point; salt separates
// independent uses of one seed.
func hash01(seed uint64, x, y int, salt uint64) float64 {
	return unit(hash(seed^salt*0xD6E8FEB86659FD93, x, y))
}

// valueNoise is smooth lattice noise in [0, 1) with period-free
// coordinates (one lattice cell per unit).
func valueNoise(seed uint64, x, y float64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	ix, iy := int(x0), int(y0)
	fx, fy := smooth(x-x0), smooth(y-y0)
	a := unit(hash(seed, ix, iy))
	b := unit(hash(seed, ix+1, iy))
	c := unit(hash(seed, ix, iy+1))
	d := unit(hash(seed, ix+1, iy+1))
	return lerp(lerp(a, b, fx), lerp(c, d, fx), fy)
}

// fbm sums octaves of value noise at the given base scale (pixels per
// lattice cell); the result is in [0, 1).
func fbm(seed uint64, x, y, scale float64, octaves int) float64 {
	var sum, norm float64
	amp, f := 1.0, 1/scale
	for o := 0; o < octaves; o++ {
		sum += amp * valueNoise(seed+uint64(o)*0x51ED27, x*f, y*f)
		norm += amp
		amp /= 2
		f *= 2
	}
	return sum / norm
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

func clamp01(v float64) float64 { return math.Min(1, math.Max(0, v)) }

// smoothstep is 0 below e0, 1 above e1 and smooth in between.
func smoothstep(e0, e1, v float64) float64 { return smooth(clamp01((v - e0) / (e1 - e0))) }

// dist is the length of (dx, dy) (math.Hypot without its overflow care,
// which the painting loops do not need).
func dist(dx, dy float64) float64 { return math.Sqrt(dx*dx + dy*dy) }
