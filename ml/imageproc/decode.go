package imageproc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // GIF decoder
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp" // BMP decoder
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"quarry/ml/imageproc/jpegdec"
)

// Decoding errors, wrapped with details; test with errors.Is.
var (
	// ErrUnknownFormat: the bytes are not an image in a supported format.
	ErrUnknownFormat = errors.New("not a supported image (JPEG, PNG, GIF, WebP, BMP, TIFF)")
	// ErrTooManyPixels: the header announces more pixels than allowed.
	ErrTooManyPixels = errors.New("image has too many pixels")
	// ErrCorrupt: the header is valid but the image data cannot be decoded.
	ErrCorrupt = errors.New("image data is corrupt or truncated")
)

// DefaultMaxPixels is the decode limit used when none is given (50
// megapixels, enough for a 7,000 x 7,000 satellite tile).
const DefaultMaxPixels = 50_000_000

// Decoded is a decoded image.
type Decoded struct {
	Image image.Image
	// Format is the registered format name: jpeg, png, gif, webp, bmp, tiff.
	Format string
	// Orientation is the EXIF orientation (1-8) that was applied; 1 when none.
	Orientation int
}

// Decode decodes an image, refusing it before decoding the pixels when its
// header announces more than maxPixels (<= 0 means DefaultMaxPixels), and
// applies the EXIF orientation of JPEGs so the result is upright. JPEGs
// are decoded by jpegdec, which gives libjpeg-turbo's (and so
// transformers.js's) pixels; kinds it does not handle (arithmetic coding,
// CMYK, 12-bit, ...) fall back to image/jpeg.
func Decode(data []byte, maxPixels int64) (*Decoded, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("imageproc: decode: %w", ErrUnknownFormat)
		}
		return nil, fmt.Errorf("imageproc: decode: %w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("imageproc: decode: %w: %dx%d", ErrCorrupt, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, fmt.Errorf("imageproc: decode: %w: %dx%d is over %d pixels", ErrTooManyPixels,
			cfg.Width, cfg.Height, maxPixels)
	}
	img, err := decodePixels(data, format, maxPixels)
	if err != nil {
		return nil, err
	}
	d := &Decoded{Image: img, Format: format, Orientation: 1}
	if format == "jpeg" {
		if o := jpegOrientation(data); o > 1 {
			d.Image, d.Orientation = orient(img, o), o
		}
	}
	return d, nil
}

// decodePixels decodes the whole image once its header has been checked.
func decodePixels(data []byte, format string, maxPixels int64) (image.Image, error) {
	if format == "jpeg" {
		img, err := jpegdec.Decode(data, maxPixels)
		switch {
		case err == nil:
			return img, nil
		case errors.Is(err, jpegdec.ErrTooManyPixels):
			return nil, fmt.Errorf("imageproc: decode jpeg: %w: %v", ErrTooManyPixels, err)
		case !errors.Is(err, jpegdec.ErrUnsupported):
			return nil, fmt.Errorf("imageproc: decode jpeg: %w: %v", ErrCorrupt, err)
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("imageproc: decode %s: %w: %v", format, ErrCorrupt, err)
	}
	if format == "webp" {
		img = webpRGB(img)
	}
	return img, nil
}
