// Command mkjpeg writes the synthetic source image (a PPM) from which
// testdata/mkjpeg.sh makes the committed JPEG and WebP test files with
// libjpeg-turbo's cjpeg and libwebp's cwebp (Debian libjpeg-turbo-progs, webp).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
)

func main() {
	alpha := flag.Bool("alpha", false, "write a PAM with a varying alpha channel")
	flag.Parse()
	const w, h = 123, 77
	out := bufio.NewWriter(os.Stdout)
	if *alpha {
		fmt.Fprintf(out, "P7\nWIDTH %d\nHEIGHT %d\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n", w, h)
	} else {
		fmt.Fprintf(out, "P6\n%d %d\n255\n", w, h)
	}
	seed := uint32(1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			noise := float64(seed>>24) / 255
			fx, fy := float64(x)/w, float64(y)/h
			r := 200*fx + 40*math.Sin(fy*9) + 12*noise
			g := 180*fy + 50*math.Cos(fx*7+fy*3) + 12*noise
			b := 120 + 100*math.Sin(fx*fy*20)
			if dx, dy := float64(x-80), float64(y-35); dx*dx+dy*dy < 400 { // a saturated disc: sharp chroma edges
				r, g, b = 230, 20, 40
			}
			if x%31 < 2 { // thin vertical lines
				r, g, b = 20, 20, 250
			}
			out.Write([]byte{clamp(r), clamp(g), clamp(b)})
			if *alpha {
				out.WriteByte(byte(255 - (x+y)%200))
			}
		}
	}
	out.Flush()
}

func clamp(v float64) byte {
	return byte(math.Max(0, math.Min(255, math.Round(v))))
}
