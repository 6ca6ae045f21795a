#!/usr/bin/env bash
# podman-image.sh builds the trainer container image FROM SCRATCH (no image
# registry is involved): a root file system holding the trainer binary as
# /quarry, the ONNX Runtime library as /lib/libonnxruntime.so.1, and the
# shared libraries both need (found with ldd), imported with `podman import`.
#
#   scripts/podman-image.sh [--binary PATH] [--image NAME] [--ort PATH]
#
#   --binary  the trainer binary (default bin/quarry; it runs `quarry train-worker`)
#   --image   image name without tag (default localhost/quarry-trainer)
#   --ort     ONNX Runtime library (default third_party/onnxruntime/lib/libonnxruntime.so.1;
#             skipped when missing)
#
# The tag is the first 12 hex digits of the binary's sha256, so the image is
# rebuilt exactly when the binary changes (infra/jobs/podman.ImageFor computes
# the same name); NAME:latest is moved to it too. The image name is printed on
# the last line of stdout.
#
# Idempotent. It also makes podman usable here: installs podman and runc with
# apt when missing and writes /etc/containers/containers.conf with
# `default_ulimits = []` (the default ulimits cannot be set in this sandbox)
# when that file does not set default_ulimits already. Runs need
# `podman run --runtime runc --network host`.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=bin/quarry
image=localhost/quarry-trainer
ort=third_party/onnxruntime/lib/libonnxruntime.so.1
while [ $# -gt 0 ]; do
	case $1 in
	--binary) binary=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	--ort) ort=$2; shift 2 ;;
	*) echo "podman-image: unknown argument $1" >&2; exit 2 ;;
	esac
done

log() { printf 'podman-image: %s\n' "$*" >&2; }

source scripts/podman-lib.sh

[ -x "$binary" ] || { log "no trainer binary at $binary (run make build)"; exit 1; }
ensure_podman

tag=$(sha256sum "$binary" | cut -c1-12)
name="$image:$tag"
if podman image exists "$name"; then
	log "$name is up to date"
	podman tag "$name" "$image:latest"
	echo "$name"
	exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp "$binary" "$root/quarry"
copy_libs "$binary" "$root"
changes=(--change 'CMD ["/quarry", "train-worker"]' --change 'WORKDIR /tmp'
	--change 'ENV PATH=/')
if [ -s "$ort" ]; then
	mkdir -p "$root/lib"
	cp -L "$ort" "$root/lib/libonnxruntime.so.1"
	copy_libs "$ort" "$root"
	changes+=(--change 'ENV QUARRY_ORT_LIB=/lib/libonnxruntime.so.1')
else
	log "no ONNX Runtime library at $ort: image without it"
fi
mkdir -p "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
echo 'nobody:x:65534:65534:nobody:/tmp:/quarry' >"$root/etc/passwd"
log "importing $name ($(du -sh "$root" | cut -f1))"
tar -C "$root" -c . | podman import "${changes[@]}" - "$name" >/dev/null
podman tag "$name" "$image:latest"
echo "$name"
