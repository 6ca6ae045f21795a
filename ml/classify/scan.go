package classify

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"slices"
)

// ScanOptions tunes Scan. Zero values take the model's defaults.
type ScanOptions struct {
	// Label is the positive class [Info.PositiveLabel, else the first label].
	Label string
	// Threshold marks a window positive when its score reaches it [Info.Threshold].
	Threshold float64
	// Window is the side of the square window in image pixels [the model's
	// input size: each window is seen at full resolution].
	Window int
	// Stride is the step between windows [half the window]; it grows when
	// the image would need more than Options.MaxWindows windows.
	Stride int
	// HeatMapSide bounds the heat map's longer side [1024].
	HeatMapSide int
}

// Window is one scanned window in image pixels, with its positive score.
type Window struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	W     int     `json:"w"`
	H     int     `json:"h"`
	Score float64 `json:"score"`
}

// ScanResult is the outcome of a Scan.
type ScanResult struct {
	Width, Height    int      // image size (after EXIF orientation)
	Label            string   // the positive class scored
	Threshold        float64  // the positivity threshold used
	StrideX          int      // horizontal step used
	StrideY          int      // vertical step used
	Windows          []Window // every window, row by row
	Positives        []Window // windows scoring at least Threshold, best first
	HeatMap          []byte   // PNG overlay with the image's aspect ratio
	HeatMapWidth     int
	HeatMapHeight    int
	ModelLabels      []string // the model's labels
	WindowW, WindowH int      // window size in image pixels
}

// Scan decodes a possibly large image (refusing more than
// Options.ScanMaxPixels with imageproc.ErrTooManyPixels), slides a window
// over it, classifies the windows in batches and scores each for the
// positive label. It returns the windows, the positive ones and a heat map.
func (c *Classifier) Scan(ctx context.Context, key string, files ModelFiles, data []byte, opts ScanOptions) (*ScanResult, error) {
	img, err := c.decode(data, c.opts.ScanMaxPixels)
	if err != nil {
		return nil, fmt.Errorf("classify: scan: %w", err)
	}
	e, err := c.acquire(ctx, key, files)
	if err != nil {
		return nil, err
	}
	defer c.release(e)
	res, err := c.plan(img.Bounds(), e.model.info, opts)
	if err != nil {
		return nil, err
	}
	idx := slices.Index(e.model.info.Labels, res.Label)
	if err := c.scoreWindows(ctx, e.model, img, res.Windows, idx); err != nil {
		return nil, err
	}
	for _, w := range res.Windows {
		if w.Score >= res.Threshold {
			res.Positives = append(res.Positives, w)
		}
	}
	slices.SortStableFunc(res.Positives, func(a, b Window) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	side := opts.HeatMapSide
	if side <= 0 {
		side = 1024
	}
	res.HeatMap, res.HeatMapWidth, res.HeatMapHeight, err = HeatMap(res.Width, res.Height, res.Windows, side)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// plan resolves the options against the model and lays out the windows.
func (c *Classifier) plan(b image.Rectangle, info Info, opts ScanOptions) (*ScanResult, error) {
	res := &ScanResult{Width: b.Dx(), Height: b.Dy(), Label: opts.Label, Threshold: opts.Threshold,
		ModelLabels: info.Labels}
	if res.Label == "" {
		res.Label = info.PositiveLabel
	}
	if res.Label == "" {
		res.Label = info.Labels[0]
	}
	if !slices.Contains(info.Labels, res.Label) {
		return nil, fmt.Errorf("classify: scan: %w: label %q is not one of %q", ErrBadOption, res.Label, info.Labels)
	}
	if res.Threshold == 0 {
		res.Threshold = info.Threshold
	}
	if res.Threshold <= 0 || res.Threshold > 1 {
		return nil, fmt.Errorf("classify: scan: %w: threshold %v is not in (0, 1]", ErrBadOption, res.Threshold)
	}
	res.WindowW, res.WindowH = info.InputWidth, info.InputHeight
	if opts.Window > 0 {
		res.WindowW, res.WindowH = opts.Window, opts.Window
	}
	res.WindowW, res.WindowH = min(res.WindowW, res.Width), min(res.WindowH, res.Height)
	sx, sy := opts.Stride, opts.Stride
	if opts.Stride <= 0 {
		sx, sy = max(1, res.WindowW/2), max(1, res.WindowH/2)
	}
	for len(positions(res.Width, res.WindowW, sx))*len(positions(res.Height, res.WindowH, sy)) > c.opts.MaxWindows {
		if sx >= res.WindowW && sy >= res.WindowH {
			return nil, fmt.Errorf("classify: scan: %w: the image needs more than %d windows of %dx%d",
				ErrBadOption, c.opts.MaxWindows, res.WindowW, res.WindowH)
		}
		sx, sy = min(2*sx, res.WindowW), min(2*sy, res.WindowH)
	}
	res.StrideX, res.StrideY = sx, sy
	for _, y := range positions(res.Height, res.WindowH, sy) {
		for _, x := range positions(res.Width, res.WindowW, sx) {
			res.Windows = append(res.Windows, Window{X: x, Y: y, W: res.WindowW, H: res.WindowH})
		}
	}
	return res, nil
}

// positions returns window offsets covering [0, total) with the given
// stride, the last window aligned to the far edge.
func positions(total, win, stride int) []int {
	if total <= win {
		return []int{0}
	}
	var out []int
	for p := 0; p+win < total; p += stride {
		out = append(out, p)
	}
	return append(out, total-win)
}

// scoreWindows classifies the windows in batches and stores label idx's
// softmax score in each.
func (c *Classifier) scoreWindows(ctx context.Context, m *model, img image.Image, wins []Window, idx int) error {
	b := img.Bounds()
	batch := make([]image.Image, 0, c.opts.MaxBatch)
	for start := 0; start < len(wins); start += c.opts.MaxBatch {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("classify: scan: %w", err)
		}
		batch = batch[:0]
		end := min(start+c.opts.MaxBatch, len(wins))
		for _, w := range wins[start:end] {
			r := image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H).Add(b.Min)
			batch = append(batch, subImage(img, r))
		}
		probs, err := c.infer(ctx, m, batch)
		if err != nil {
			return err
		}
		for i, p := range probs {
			wins[start+i].Score = p[idx]
		}
	}
	return nil
}

// subImage returns the r part of img, sharing pixels when the type allows.
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}
