#!/usr/bin/env bash
# setup-ml.sh fetches and builds the machine-learning assets Quarry needs at run
# and test time, all into third_party/ (gitignored) at the repository root:
#
#   third_party/onnxruntime/lib/libonnxruntime.so.1   ONNX Runtime 1.30.0 (npm onnxruntime-node)
#   third_party/nsfwjs/                               TF.js MobileNetV2-1.4 graph model (npm nsfwjs)
#   third_party/models/mobilenet-v2-140-224/          the backbone converted to ONNX, with
#                                                     config.json and preprocessor_config.json
#   /usr/share/darknet/data/*.jpg                     real test photos (Debian package darknet)
#   ml/testdata/tfjs-ref/node_modules                 TF.js in Node, reference for the converter test
#
# Idempotent: each step is skipped when its output already exists.
# Never `npm install onnxruntime-node`: its postinstall downloads CUDA files and fails offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TP="$ROOT/third_party"
ORT_VERSION=1.30.0
NSFWJS_VERSION=4.4.0

log() { printf 'setup-ml: %s\n' "$*"; }

# fetch_npm NAME VERSION DIR: npm pack NAME@VERSION into DIR, print the tarball path.
fetch_npm() {
	local name=$1 version=$2 dir=$3 tgz
	tgz=$(cd "$dir" && npm pack --silent "$name@$version" | tail -n 1)
	printf '%s/%s\n' "$dir" "$tgz"
}

setup_onnxruntime() {
	local out="$TP/onnxruntime/lib/libonnxruntime.so.1"
	if [[ -s "$out" ]]; then log "onnxruntime: present"; return; fi
	log "onnxruntime: fetching onnxruntime-node@$ORT_VERSION (npm pack)"
	local tmp; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
	local tgz; tgz=$(fetch_npm onnxruntime-node "$ORT_VERSION" "$tmp")
	tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
	mkdir -p "$(dirname "$out")"
	mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$out.tmp"
	mv "$out.tmp" "$out"
}

setup_nsfwjs() {
	local out="$TP/nsfwjs"
	if [[ -s "$out/model.min.js" ]]; then log "nsfwjs: present"; return; fi
	log "nsfwjs: fetching nsfwjs@$NSFWJS_VERSION (npm pack)"
	local tmp; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
	local tgz; tgz=$(fetch_npm nsfwjs "$NSFWJS_VERSION" "$tmp")
	tar -xzf "$tgz" -C "$tmp" package/dist/models/mobilenet_v2_mid package/LICENSE 2>/dev/null ||
		tar -xzf "$tgz" -C "$tmp" package/dist/models/mobilenet_v2_mid
	rm -rf "$out.tmp" && mkdir -p "$out.tmp"
	cp "$tmp"/package/dist/models/mobilenet_v2_mid/* "$out.tmp/"
	if [[ -f "$tmp/package/LICENSE" ]]; then cp "$tmp/package/LICENSE" "$out.tmp/LICENSE"; fi
	rm -rf "$out" && mv "$out.tmp" "$out"
}

setup_darknet() {
	if dpkg -s darknet >/dev/null 2>&1; then log "darknet: present"; return; fi
	log "darknet: installing Debian package (real test photos)"
	local sudo=""
	if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
	$sudo apt-get install -y --no-install-recommends darknet >/dev/null ||
		{ $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends darknet >/dev/null; }
}

setup_backbone() {
	local out="$TP/models/mobilenet-v2-140-224"
	if [[ -s "$out/onnx/model.onnx" ]]; then log "backbone: present"; return; fi
	log "backbone: converting TF.js MobileNetV2-1.4 to ONNX"
	(cd "$ROOT" && go run ./ml/tfjs/cmd/convert -in "$TP/nsfwjs" -out "$out")
}

# setup_tfjs_ref installs the pure-JS TF.js packages the conversion test runs
# the original model with (ml/testdata/tfjs-ref, lockfile committed).
setup_tfjs_ref() {
	local dir="$ROOT/ml/testdata/tfjs-ref"
	if [[ -d "$dir/node_modules/@tensorflow/tfjs-converter" ]]; then log "tfjs-ref: present"; return; fi
	log "tfjs-ref: npm ci (TF.js reference for the conversion test)"
	(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --silent)
}

mkdir -p "$TP"
setup_onnxruntime
setup_nsfwjs
setup_darknet
setup_backbone
setup_tfjs_ref
log "done"
