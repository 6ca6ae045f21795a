// Package imageproc decodes images and turns them into model input tensors
// as described by a transformers.js / Hugging Face preprocessor_config.json,
// with transformers.js semantics (the published models must give the same
// numbers in Quarry and in transformers.js).
package imageproc

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Size is a target size: either Height and Width (stretch to exactly that),
// or ShortestEdge (keep the aspect ratio; LongestEdge optionally caps it).
type Size struct {
	Height, Width             int
	ShortestEdge, LongestEdge int
}

// Config is a parsed preprocessor_config.json.
type Config struct {
	ProcessorType string
	DoConvertRGB  bool
	DoResize      bool
	Size          Size
	// Resample is the resize filter, by PIL code (see Filter): 2 bilinear
	// (the default), 0 nearest, 3 bicubic, 1 lanczos; 4 box and 5 hamming
	// resize bilinearly, as transformers.js does in Node.
	Resample      Filter
	DoCenterCrop  bool
	CropSize      Size
	DoRescale     bool
	RescaleFactor float64
	DoNormalize   bool
	Mean, Std     [3]float64
}

// rawConfig mirrors the JSON; pointers tell absent fields from zero values.
type rawConfig struct {
	ImageProcessorType   string          `json:"image_processor_type"`
	FeatureExtractorType string          `json:"feature_extractor_type"`
	DoConvertRGB         *bool           `json:"do_convert_rgb"`
	DoResize             *bool           `json:"do_resize"`
	Size                 json.RawMessage `json:"size"`
	Resample             json.RawMessage `json:"resample"`
	DoCenterCrop         *bool           `json:"do_center_crop"`
	CropSize             json.RawMessage `json:"crop_size"`
	DoRescale            *bool           `json:"do_rescale"`
	RescaleFactor        *float64        `json:"rescale_factor"`
	DoNormalize          *bool           `json:"do_normalize"`
	ImageMean            json.RawMessage `json:"image_mean"`
	ImageStd             json.RawMessage `json:"image_std"`
	Mean                 json.RawMessage `json:"mean"`
	Std                  json.RawMessage `json:"std"`
}

// ParseConfig parses preprocessor_config.json with the defaults of
// transformers.js 4.x: RGB on, resize when a size is given, bilinear,
// rescale by 1/255 on, normalize OFF unless do_normalize is written (and then
// image_mean and image_std are required).
func ParseConfig(data []byte) (*Config, error) {
	var r rawConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("imageproc: parse preprocessor config: %w", err)
	}
	c := &Config{ProcessorType: r.ImageProcessorType, DoConvertRGB: true, Resample: Bilinear,
		DoRescale: true, RescaleFactor: 1.0 / 255}
	if c.ProcessorType == "" {
		c.ProcessorType = r.FeatureExtractorType
	}
	if err := c.fill(&r); err != nil {
		return nil, fmt.Errorf("imageproc: parse preprocessor config: %w", err)
	}
	return c, nil
}

func (c *Config) fill(r *rawConfig) error {
	setBool(&c.DoConvertRGB, r.DoConvertRGB)
	setBool(&c.DoCenterCrop, r.DoCenterCrop)
	setBool(&c.DoRescale, r.DoRescale)
	setBool(&c.DoNormalize, r.DoNormalize)
	if r.RescaleFactor != nil {
		c.RescaleFactor = *r.RescaleFactor
	}
	var err error
	if c.Size, err = parseSize(r.Size, true); err != nil {
		return fmt.Errorf("size: %w", err)
	}
	c.DoResize = len(r.Size) > 0 && string(r.Size) != "null"
	setBool(&c.DoResize, r.DoResize)
	if c.DoResize && c.Size == (Size{}) {
		return fmt.Errorf("do_resize without a size")
	}
	f, ferr := parseResample(r.Resample)
	if ferr != nil && c.DoResize {
		return fmt.Errorf("resample: %w", ferr)
	}
	c.Resample = f
	if c.CropSize, err = parseSize(r.CropSize, false); err != nil {
		return fmt.Errorf("crop_size: %w", err)
	}
	if c.DoCenterCrop && (c.CropSize.Height <= 0 || c.CropSize.Width <= 0) {
		return fmt.Errorf("do_center_crop without a crop_size")
	}
	if !c.DoNormalize {
		return nil
	}
	mean, std := firstOf(r.ImageMean, r.Mean), firstOf(r.ImageStd, r.Std)
	if c.Mean, err = parseTriple(mean); err != nil {
		return fmt.Errorf("image_mean: %w", err)
	}
	if c.Std, err = parseTriple(std); err != nil {
		return fmt.Errorf("image_std: %w", err)
	}
	for _, s := range c.Std {
		if s == 0 {
			return fmt.Errorf("image_std has a zero")
		}
	}
	return nil
}

// filterNames are the resample names transformers.js accepts besides the
// PIL codes (RawImage.resize maps codes to these names and passes any
// other value through).
var filterNames = map[string]Filter{"nearest": Nearest, "lanczos": Lanczos, "bilinear": Bilinear,
	"bicubic": Bicubic, "box": Box, "hamming": Hamming}

// parseResample reads the resample field as transformers.js does: absent
// or null is bilinear; a PIL code 0-5 (a number, or a string, since
// JavaScript object keys are strings) or a method name picks that method;
// anything else makes transformers.js throw when it resizes, so it is an
// error here when the config resizes (and bilinear, unused, otherwise).
func parseResample(raw json.RawMessage) (Filter, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Bilinear, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return Bilinear, err
	}
	switch v := v.(type) {
	case float64:
		if v == math.Trunc(v) && v >= 0 && v <= float64(Hamming) {
			return Filter(v), nil
		}
	case string:
		if f, ok := filterNames[v]; ok {
			return f, nil
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= int(Hamming) && strconv.Itoa(n) == v {
			return Filter(n), nil
		}
	}
	return Bilinear, fmt.Errorf("unsupported resampling method %s", raw)
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func firstOf(a, b json.RawMessage) json.RawMessage {
	if len(a) > 0 && string(a) != "null" {
		return a
	}
	return b
}

// parseSize reads {height,width}, {shortest_edge[,longest_edge]} or a bare
// integer (for size: shortest and longest edge n, as transformers.js reads
// it; for crop_size: a square).
func parseSize(raw json.RawMessage, intIsShortest bool) (Size, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Size{}, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		if n <= 0 {
			return Size{}, fmt.Errorf("%d is not positive", n)
		}
		if intIsShortest { // transformers.js: shortest edge n, longest edge capped at n
			return Size{ShortestEdge: n, LongestEdge: n}, nil
		}
		return Size{Height: n, Width: n}, nil
	}
	var o struct {
		Height, Width int
		ShortestEdge  int `json:"shortest_edge"`
		LongestEdge   int `json:"longest_edge"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return Size{}, err
	}
	s := Size{Height: o.Height, Width: o.Width, ShortestEdge: o.ShortestEdge, LongestEdge: o.LongestEdge}
	if (s.Height > 0) != (s.Width > 0) || (s.Height <= 0 && s.ShortestEdge <= 0) {
		return Size{}, fmt.Errorf("want height and width, or shortest_edge: %s", raw)
	}
	return s, nil
}

// parseTriple reads a per-channel value: an array of 3 numbers or a scalar.
func parseTriple(raw json.RawMessage) ([3]float64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return [3]float64{}, fmt.Errorf("missing (do_normalize is true)")
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return [3]float64{f, f, f}, nil
	}
	var a []float64
	if err := json.Unmarshal(raw, &a); err != nil {
		return [3]float64{}, err
	}
	if len(a) != 3 {
		return [3]float64{}, fmt.Errorf("%d values, want 3", len(a))
	}
	return [3]float64{a[0], a[1], a[2]}, nil
}
