#!/usr/bin/env bash
# lambda-image.sh builds the container image of the demo function of
# template.yaml (DemoFunction, DemoImageUri) with podman, FROM SCRATCH (no
# image registry is involved), as scripts/podman-image.sh builds the trainer
# image: a root file system holding
#   /var/runtime/bootstrap          the API function built with cgo (make build-lambda's
#                                   tags), which polls the Lambda Runtime API itself
#   /opt/lib/libonnxruntime.so.1    ONNX Runtime (QUARRY_ORT_LIB), for the demo's inference
#   the shared libraries both need  (glibc, libstdc++, ...: found with ldd, same paths)
#   /etc/ssl/certs/ca-certificates.crt  to reach S3 and DynamoDB over TLS
# imported with `podman import`. The image is for the build machine's
# architecture (template.yaml's DemoFunction says x86_64).
#
#   scripts/lambda-image.sh [--image NAME] [--ort PATH] [--out DIR]
#
#   --image  image name without tag (default localhost/quarry-lambda)
#   --ort    ONNX Runtime library (default third_party/onnxruntime/lib/libonnxruntime.so.1)
#   --out    where the binary is built (default bin/lambda/demo)
#
# The tag is the first 12 hex digits of the sha256 of the binary and the
# library, so the image is rebuilt exactly when either changes; NAME:latest
# is moved to it and older tags of NAME are removed. The image name is
# printed on the last line of stdout. To deploy, push it to ECR
# (podman push NAME:TAG <account>.dkr.ecr.<region>.amazonaws.com/quarry-demo:TAG)
# and pass that URI as DemoImageUri.
#
# Like podman-image.sh it installs podman and runc when missing and makes
# sure /etc/containers/containers.conf sets default_ulimits; runs need
# `podman run --runtime runc --network host` here.
set -euo pipefail
cd "$(dirname "$0")/.."

image=localhost/quarry-lambda
ort=third_party/onnxruntime/lib/libonnxruntime.so.1
out=bin/lambda/demo
while [ $# -gt 0 ]; do
	case $1 in
	--image) image=$2; shift 2 ;;
	--ort) ort=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "lambda-image: unknown argument $1" >&2; exit 2 ;;
	esac
done

log() { printf 'lambda-image: %s\n' "$*" >&2; }

source scripts/podman-lib.sh

[ -s "$ort" ] || { log "no ONNX Runtime library at $ort (run make setup)"; exit 1; }
command -v gcc >/dev/null 2>&1 || { log "gcc is needed (the demo binary is built with cgo)"; exit 1; }
ensure_podman

go=${GO:-go}
mkdir -p "$out"
log "building $out/bootstrap (cgo, tags lambda.norpc,noecs,awsenv)"
CGO_ENABLED=1 "$go" build -trimpath -ldflags='-s -w' -tags lambda.norpc,noecs,awsenv -o "$out/bootstrap" ./functions/api

tag=$(cat "$out/bootstrap" "$ort" | sha256sum | cut -c1-12)
name="$image:$tag"
if podman image exists "$name"; then
	log "$name is up to date"
	podman tag "$name" "$image:latest"
	echo "$name"
	exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/runtime" "$root/opt/lib" "$root/tmp" "$root/etc/ssl/certs" "$root/var/task"
chmod 1777 "$root/tmp"
cp "$out/bootstrap" "$root/var/runtime/bootstrap"
copy_libs "$out/bootstrap" "$root"
cp -L "$ort" "$root/opt/lib/libonnxruntime.so.1"
copy_libs "$ort" "$root"
for ca in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
	if [ -s "$ca" ]; then
		cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
		break
	fi
done
[ -s "$root/etc/ssl/certs/ca-certificates.crt" ] || log "no CA bundle found: the image cannot reach AWS over TLS"
echo 'sbx_user1051:x:993:990::/tmp:/sbin/nologin' >"$root/etc/passwd"

log "importing $name ($(du -sh "$root" | cut -f1))"
tar -C "$root" -c . | podman import \
	--change 'ENTRYPOINT ["/var/runtime/bootstrap"]' \
	--change 'WORKDIR /var/task' \
	--change 'ENV QUARRY_ORT_LIB=/opt/lib/libonnxruntime.so.1' \
	--change 'ENV LD_LIBRARY_PATH=/opt/lib' \
	- "$name" >/dev/null
podman tag "$name" "$image:latest"
# Older builds of this image only (each is ~100 MB).
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' "$image" | grep -v -e ":$tag\$" -e ':latest$' || true); do
	podman rmi "$old" >/dev/null 2>&1 || true
done
echo "$name"
