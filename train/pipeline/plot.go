package pipeline

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Plot colours.
var (
	white     = color.RGBA{255, 255, 255, 255}
	ink       = color.RGBA{33, 37, 41, 255}
	gridGrey  = color.RGBA{222, 226, 230, 255}
	chance    = color.RGBA{150, 150, 150, 255}
	seriesRGB = []color.RGBA{{31, 119, 180, 255}, {214, 39, 40, 255}, {44, 160, 44, 255},
		{255, 127, 14, 255}, {148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}}
)

// canvas is an RGBA image with a text face.
type canvas struct {
	img  *image.RGBA
	face font.Face
}

// newCanvas returns a white w x h canvas writing with the 7x13 bitmap face
// of x/image (crisp and readable at 1:1, no font file needed).
func newCanvas(w, h int) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h)), face: basicfont.Face7x13}
	draw.Draw(c.img, c.img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	return c
}

// text draws s with its anchor at (x, y): align -1 left, 0 centre, 1
// right; y is the vertical centre of the text.
func (c *canvas) text(s string, x, y, align int, col color.Color) {
	d := &font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: c.face}
	w := d.MeasureString(s).Round()
	m := c.face.Metrics()
	base := y + (m.Ascent.Round()-m.Descent.Round())/2
	d.Dot = fixed.P(x-(align+1)*w/2, base)
	d.DrawString(s)
}

func (c *canvas) rect(r image.Rectangle, col color.Color) {
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Src)
}

// line draws a segment of the given width; dash > 0 draws dashes of that
// length in pixels.
func (c *canvas) line(x0, y0, x1, y1 float64, width int, col color.Color, dash float64) {
	n := int(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		if dash > 0 && int(t*float64(n)/dash)%2 == 1 {
			continue
		}
		x, y := int(math.Round(x0+t*(x1-x0))), int(math.Round(y0+t*(y1-y0)))
		h := width / 2
		c.rect(image.Rect(x-h, y-h, x-h+width, y-h+width), col)
	}
}

func (c *canvas) encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, c.img); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return buf.Bytes(), nil
}

// truncate shortens s to at most n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// confusionPNG draws a confusion matrix (rows true, columns predicted),
// cells shaded by their share of the row, counts written in them.
func confusionPNG(labels []string, m [][]int, title string) ([]byte, error) {
	k := len(labels)
	cell := max(40, min(110, 440/k))
	left, top := 150, 90
	const note = "rows: true class, columns: predicted class; shade: share of the row"
	title = "Confusion matrix (validation): " + truncate(title, 40)
	w, h := max(left+k*cell+30, 7*max(len(title), len(note))+40), top+k*cell+60
	c := newCanvas(w, h)
	c.text(title, w/2, 22, 0, ink)
	c.text("predicted", left+k*cell/2, 50, 0, ink)
	c.text("true", left-10, 50, 1, ink)
	for i := 0; i < k; i++ {
		row := 0
		for _, v := range m[i] {
			row += v
		}
		c.text(truncate(labels[i], 18), left-10, top+i*cell+cell/2, 1, ink)
		c.text(truncate(labels[i], cell/8), left+i*cell+cell/2, top-14, 0, ink)
		for j := 0; j < k; j++ {
			share := 0.0
			if row > 0 {
				share = float64(m[i][j]) / float64(row)
			}
			bg := color.RGBA{uint8(255 - 200*share), uint8(255 - 150*share), uint8(255 - 60*share), 255}
			r := image.Rect(left+j*cell, top+i*cell, left+(j+1)*cell, top+(i+1)*cell)
			c.rect(r, bg)
			fg := color.Color(ink)
			if share > 0.55 {
				fg = white
			}
			c.text(fmt.Sprint(m[i][j]), r.Min.X+cell/2, r.Min.Y+cell/2, 0, fg)
		}
	}
	for i := 0; i <= k; i++ {
		c.line(float64(left), float64(top+i*cell), float64(left+k*cell), float64(top+i*cell), 1, chance, 0)
		c.line(float64(left+i*cell), float64(top), float64(left+i*cell), float64(top+k*cell), 1, chance, 0)
	}
	c.text(note, w/2, h-22, 0, chance)
	return c.encode()
}

// mark is a labelled point on a ROC plot (the decision threshold).
type mark struct {
	FPR, TPR float64
	Label    string
}

// rocPNG draws ROC curves with axes, ticks, the chance diagonal, a legend
// with each curve's AUC and an optional threshold mark.
func rocPNG(curves []rocCurve, title string, mk *mark) ([]byte, error) {
	const w, h, left, right, top, bottom = 570, 520, 70, 30, 50, 60
	c := newCanvas(w, h)
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	px := func(fpr float64) float64 { return float64(left) + fpr*pw }
	py := func(tpr float64) float64 { return float64(top) + (1-tpr)*ph }
	c.text("ROC curve (validation): "+truncate(title, 40), w/2, 22, 0, ink)
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		c.line(px(v), py(0), px(v), py(1), 1, gridGrey, 0)
		c.line(px(0), py(v), px(1), py(v), 1, gridGrey, 0)
		c.text(fmt.Sprintf("%.1f", v), int(px(v)), int(py(0))+14, 0, ink)
		c.text(fmt.Sprintf("%.1f", v), left-8, int(py(v)), 1, ink)
	}
	c.line(px(0), py(0), px(1), py(1), 1, chance, 6)
	c.line(px(0), py(0), px(1), py(0), 2, ink, 0)
	c.line(px(0), py(0), px(0), py(1), 2, ink, 0)
	c.text("false positive rate", left+int(pw)/2, h-18, 0, ink)
	c.text("true positive rate", left+4, top-12, -1, ink)
	for i, curve := range curves {
		col := seriesRGB[i%len(seriesRGB)]
		for j := 1; j < len(curve.Points); j++ {
			a, b := curve.Points[j-1], curve.Points[j]
			c.line(px(a.FPR), py(a.TPR), px(b.FPR), py(b.TPR), 3, col, 0)
		}
		y := int(py(0)) - 20 - 22*(len(curves)-1-i)
		c.rect(image.Rect(w-right-200, y-2, w-right-180, y+2), col)
		c.text(fmt.Sprintf("%s (AUC %.3f)", truncate(curve.Label, 14), curve.AUC), w-right-174, y, -1, ink)
	}
	if mk != nil {
		x, y := int(px(mk.FPR)), int(py(mk.TPR))
		c.rect(image.Rect(x-5, y-5, x+6, y+6), ink)
		align, dx := -1, 10
		if mk.FPR > 0.6 {
			align, dx = 1, -10
		}
		c.text(mk.Label, x+dx, y+14, align, ink)
	}
	return c.encode()
}
