package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif"  // decoder registration
	_ "image/jpeg" // decoder registration
	_ "image/png"  // decoder registration

	_ "golang.org/x/image/bmp"  // decoder registration
	_ "golang.org/x/image/tiff" // decoder registration
	_ "golang.org/x/image/webp" // decoder registration
)

// MaxPixels is the largest image (width x height) Inspect decodes; larger
// ones are reported as not decodable rather than risking memory.
const MaxPixels = 64 << 20

// Record is a File with what inspecting its bytes found.
type Record struct {
	File
	// Hash is the hex SHA-256 of the file's bytes.
	Hash string `json:"hash"`
	// Decodable is true when the whole image decoded without error.
	Decodable bool   `json:"decodable"`
	Format    string `json:"format,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	// Err says why the image is not decodable.
	Err string `json:"error,omitempty"`
}

// Inspect hashes a file's bytes and fully decodes them (a truncated or
// corrupt image fails here even when its header is valid).
func Inspect(f File, data []byte) Record {
	sum := sha256.Sum256(data)
	r := Record{File: f, Hash: hex.EncodeToString(sum[:])}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		r.Err = fmt.Sprintf("not a readable image: %v", err)
		return r
	}
	r.Format, r.Width, r.Height = format, cfg.Width, cfg.Height
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		r.Err = fmt.Sprintf("image of %dx%d pixels exceeds the %d-pixel limit", cfg.Width, cfg.Height, MaxPixels)
		return r
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		r.Err = fmt.Sprintf("corrupt %s image: %v", format, err)
		return r
	}
	r.Decodable = true
	return r
}
