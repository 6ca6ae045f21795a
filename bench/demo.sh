#!/usr/bin/env bash
# Performance figures of issue #4, the try-it-out demo (run with `make bench-demo`; not part of
# `make test`):
#   1. run/predict latency p50/p99 for one 224 px JPEG vs a bare ONNX Runtime Session.Run on the
#      same tensor (same model, same intra-op threads)
#   2. images/s of the HTTP API (concurrent requests) vs transformers.js's pipeline on the same
#      model, images and thread count
#   3. server RSS with 5 models loaded, then after every 1,000 predict requests (4 steps)
# The server runs on loopback over a temporary data directory with --threads $BENCH_THREADS;
# the Go program bench/demo does the measuring. Results go to bench/results/.
# Knobs: BENCH_THREADS (2), BENCH_SERVER_THREADS (the server's, default BENCH_THREADS), BENCH_REQUESTS (200), BENCH_IMAGES (64), BENCH_INFLIGHT (4),
# BENCH_MEM_REQUESTS (1000), BENCH_MEM_STEPS (4), BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

THREADS=${BENCH_THREADS:-2}
ORT_LIB=${QUARRY_ORT_LIB:-$PWD/third_party/onnxruntime/lib/libonnxruntime.so.1}
RESULTS=bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SUMMARY="$RESULTS/demo-$STAMP.txt"

[ -x "$QUARRY" ] || { echo "bench: $QUARRY missing (run make build)" >&2; exit 1; }
for f in "$ORT_LIB" third_party/models/mobilenet-v2-140-224/onnx/model.onnx \
	e2e/node_modules/@huggingface/transformers/package.json; do
	[ -e "$f" ] || { echo "bench: $f missing (run make setup)" >&2; exit 1; }
done
command -v node >/dev/null || { echo "bench: node missing (run make setup)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench-demo.XXXXXX")
trap bench_cleanup EXIT
mkdir -p "$RESULTS" "$WORK/data"

go build -o "$WORK/demobench" ./bench/demo
TOKEN=$("$QUARRY" user create bench --data "$WORK/data" | tail -n 1)
"$QUARRY" import-base --models third_party/models --data "$WORK/data" >/dev/null
QUARRY_ORT_LIB=$ORT_LIB QUARRY_DEMO_RATE=-1 QUARRY_ORT_THREADS=${BENCH_SERVER_THREADS:-$THREADS} start_quarry "$WORK/data"

{
	echo "Quarry demo benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(node --version)," \
		"ONNX Runtime $(grep -o 'ONNX Runtime [0-9.]*' "$WORK/quarry.log" | head -n 1 | cut -d' ' -f3) in both"
	echo "server: $QUARRY serve --threads $THREADS (QUARRY_ORT_THREADS), rate limit off; model: bench/bench-1" \
		"(quarry/mobilenet-v2-140-224 + linear head)"
	echo ""
} | tee "$SUMMARY"

"$WORK/demobench" -url "$QUARRY_URL" -token "$TOKEN" -user bench -pid "$QUARRY_PID" -work "$WORK" \
	-ort-lib "$ORT_LIB" -threads "$THREADS" -n "${BENCH_REQUESTS:-200}" -images "${BENCH_IMAGES:-64}" \
	-inflight "${BENCH_INFLIGHT:-4}" -requests "${BENCH_MEM_REQUESTS:-1000}" -steps "${BENCH_MEM_STEPS:-4}" \
	-out "$RESULTS/demo-$STAMP.json" | tee -a "$SUMMARY"

echo "" | tee -a "$SUMMARY"
echo "figures: $RESULTS/demo-$STAMP.json; summary: $SUMMARY" | tee -a "$SUMMARY"
cp "$SUMMARY" "$RESULTS/demo-latest.txt"
