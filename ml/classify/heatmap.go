package classify

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
)

// HeatMap renders window scores as a translucent PNG overlay of a w x h
// image, downscaled so its longer side is at most maxSide pixels (same aspect
// ratio). Each pixel shows the mean score of the windows covering it: clear
// for 0, through yellow to opaque red for 1.
func HeatMap(w, h int, wins []Window, maxSide int) ([]byte, int, int, error) {
	if w <= 0 || h <= 0 || maxSide <= 0 {
		return nil, 0, 0, fmt.Errorf("classify: heat map of %dx%d at %d px", w, h, maxSide)
	}
	scale := math.Min(1, float64(maxSide)/float64(max(w, h)))
	hw, hh := max(1, int(math.Round(float64(w)*scale))), max(1, int(math.Round(float64(h)*scale)))
	sx, sy := float64(hw)/float64(w), float64(hh)/float64(h)
	sum := make([]float64, hw*hh)
	count := make([]int32, hw*hh)
	for _, win := range wins {
		x0, x1 := span(win.X, win.W, sx, hw)
		y0, y1 := span(win.Y, win.H, sy, hh)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				sum[y*hw+x] += win.Score
				count[y*hw+x]++
			}
		}
	}
	img := image.NewNRGBA(image.Rect(0, 0, hw, hh))
	for i := range sum {
		if count[i] > 0 {
			img.SetNRGBA(i%hw, i/hw, heatColor(sum[i]/float64(count[i])))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, 0, 0, fmt.Errorf("classify: heat map: %w", err)
	}
	return buf.Bytes(), hw, hh, nil
}

// span maps [p, p+n) in image pixels to heat-map pixels, at least one wide.
func span(p, n int, scale float64, limit int) (int, int) {
	a := min(limit-1, int(math.Floor(float64(p)*scale)))
	b := min(limit, int(math.Ceil(float64(p+n)*scale)))
	return a, max(b, a+1)
}

// heatColor maps a score in [0,1] to a colour: yellow to red, more opaque
// as the score grows.
func heatColor(s float64) color.NRGBA {
	s = math.Max(0, math.Min(1, s))
	return color.NRGBA{R: 255, G: uint8(math.Round(220 * (1 - s))), B: 0, A: uint8(math.Round(200 * s))}
}
