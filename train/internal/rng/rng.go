// Package rng is a small deterministic pseudo-random generator (SplitMix64)
// shared by the training packages. It is defined here rather than taken from
// math/rand so that the sequences, and with them data splits, trained models
// and generated tiles, stay identical across Go releases.
package rng

import "math"

// Source is a SplitMix64 generator. The zero value is a valid generator
// seeded with 0. A Source is not safe for concurrent use.
type Source struct {
	state uint64
}

// New returns a generator seeded with seed.
func New(seed uint64) *Source { return &Source{state: seed} }

// Derive mixes a seed with extra values into a new, well-spread seed; use it
// to give each item of a collection its own independent stream.
func Derive(seed uint64, parts ...uint64) uint64 {
	s := Source{state: seed}
	h := s.Uint64()
	for _, p := range parts {
		s.state = h ^ (p * 0x9E3779B97F4A7C15)
		h = s.Uint64()
	}
	return h
}

// Uint64 returns the next 64 random bits.
func (s *Source) Uint64() uint64 {
	s.state += 0x9E3779B97F4A7C15
	z := s.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Float64 returns a uniform value in [0, 1).
func (s *Source) Float64() float64 {
	return float64(s.Uint64()>>11) / (1 << 53)
}

// Range returns a uniform value in [lo, hi).
func (s *Source) Range(lo, hi float64) float64 {
	return lo + (hi-lo)*s.Float64()
}

// Intn returns a uniform integer in [0, n). It panics if n <= 0.
func (s *Source) Intn(n int) int {
	if n <= 0 {
		panic("rng: Intn with n <= 0")
	}
	// Lemire's multiply-shift; the tiny bias for huge n is irrelevant here.
	hi, _ := mulHi(s.Uint64(), uint64(n))
	return int(hi)
}

// mulHi returns the high and low 64 bits of a*b.
func mulHi(a, b uint64) (uint64, uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1, w2 := t&mask32, t>>32
	w1 += a0 * b1
	return a1*b1 + w2 + w1>>32, a * b
}

// Bool returns true with probability p.
func (s *Source) Bool(p float64) bool { return s.Float64() < p }

// Norm returns a standard normal value (Box-Muller, one value per call).
func (s *Source) Norm() float64 {
	u := 1 - s.Float64() // (0, 1]
	v := s.Float64()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// Shuffle permutes n items in place through swap (Fisher-Yates).
func (s *Source) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, s.Intn(i+1))
	}
}

// Perm returns a random permutation of 0..n-1.
func (s *Source) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	s.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}
