#!/usr/bin/env bash
# Makes the committed JPEG/WebP test files (testdata/src_*.jpg, src_*.webp)
# from the synthetic source of mkjpeg/main.go. Needs cjpeg (Debian
# libjpeg-turbo-progs 2.1.5) and cwebp (Debian webp). Run from ml/imageproc.
set -euo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
go run ./testdata/mkjpeg > "$tmp/src.ppm"
j() { name=$1; shift; cjpeg "$@" "$tmp/src.ppm" > "testdata/src_$name.jpg"; }
j 444 -quality 92 -sample 1x1
j 422 -quality 85 -sample 2x1
j 420 -quality 75 -sample 2x2
j 440 -quality 85 -sample 1x2
j 411 -quality 85 -sample 4x1
j gray -quality 90 -grayscale
j progressive -quality 85 -sample 2x2 -progressive
j progressive444 -quality 95 -sample 1x1 -progressive
j restart -quality 80 -sample 2x2 -restart 3B
j optimized -quality 60 -sample 2x1 -optimize
j q100 -quality 100 -sample 1x1
j rgb -quality 90 -rgb
cwebp -quiet -q 80 "$tmp/src.ppm" -o testdata/src_lossy.webp
go run ./testdata/mkjpeg -alpha > "$tmp/src.pam"
cwebp -quiet -q 80 "$tmp/src.pam" -o testdata/src_lossy_alpha.webp
