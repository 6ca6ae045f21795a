#!/usr/bin/env bash
# Performance figures of issue #5, training (run with `make bench-train`; not part of `make test`):
#   1. wall time of a whole 500-image (250 + 250 synthetic tiles), 3-candidate project (logreg,
#      mlp, gbdt on quarry/mobilenet-v2-140-224) with `quarry train --wait`, from the request to
#      the finished leaderboard, with the process runner (and the Podman runner with BENCH_PODMAN=1)
#   2. peak memory: the largest sum of the RSS of the server and its job processes (sampled every
#      0.1 s), and the server's own peak RSS
#   3. feature-extraction throughput of the pipeline vs raw ONNX Runtime batches of the same
#      backbone on the same images (BenchmarkFeaturesThroughput in train/pipeline; goal >= 0.9)
# Results go to bench/results/train-*.txt. Knobs: BENCH_TILES (250 per class), BENCH_PODMAN=1,
# BENCH_PARALLEL (jobs at once, the server's default 2), BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

TILES=${BENCH_TILES:-250}
ORT_LIB=${QUARRY_ORT_LIB:-$PWD/third_party/onnxruntime/lib/libonnxruntime.so.1}
RESULTS=bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SUMMARY="$RESULTS/train-$STAMP.txt"

[ -x "$QUARRY" ] || { echo "bench: $QUARRY missing (run make build)" >&2; exit 1; }
for f in "$ORT_LIB" third_party/models/mobilenet-v2-140-224/onnx/model.onnx; do
	[ -e "$f" ] || { echo "bench: $f missing (run make setup)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench-train.XXXXXX")
trap bench_cleanup EXIT
mkdir -p "$RESULTS" "$WORK/data"

go build -o "$WORK/traintiles" ./bench/traintiles
"$WORK/traintiles" "$WORK/tiles" 5101 "$TILES"
TOKEN=$("$QUARRY" user create bench --data "$WORK/data" | tail -n 1)
"$QUARRY" import-base --models third_party/models --data "$WORK/data" >/dev/null
QUARRY_ORT_LIB=$ORT_LIB QUARRY_MAX_PARALLEL_JOBS=${BENCH_PARALLEL:-2} start_quarry "$WORK/data"

# descendants PID: the pids of PID's process tree below it.
descendants() {
	local c
	for c in $(pgrep -P "$1" || true); do
		echo "$c"
		descendants "$c"
	done
}

# tree_rss_kib PID: the summed RSS of PID and its descendants, in KiB.
tree_rss_kib() {
	local pid total=0 rss
	for pid in "$1" $(descendants "$1"); do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		total=$((total + ${rss:-0}))
	done
	echo "$total"
}

# sample_peak PID FILE: writes the peak tree RSS of PID to FILE until killed.
sample_peak() {
	local peak=0 cur
	while :; do
		cur=$(tree_rss_kib "$1")
		if [ "$cur" -gt "$peak" ]; then
			peak=$cur
			echo "$peak" >"$2"
		fi
		sleep 0.1
	done
}

# project NAME RUNNER: trains the 3-candidate project and prints its wall time and peak memory.
project() {
	local name=$1 runner=$2 start end peakfile="$WORK/peak-$1" sampler
	echo 0 >"$peakfile"
	hwm_reset "$QUARRY_PID" 2>/dev/null || true
	sample_peak "$QUARRY_PID" "$peakfile" &
	sampler=$!
	start=$(now)
	"$QUARRY" train --endpoint "$QUARRY_URL" --token "$TOKEN" --dataset bench/tiles --project "bench/$name" \
		--positive mine --runner "$runner" --wait --poll 200ms >"$WORK/train-$name.out" 2>"$WORK/train-$name.err"
	end=$(now)
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	echo "$runner runner: $((2 * TILES))-image 3-candidate project in $(elapsed "$start" "$end") s;" \
		"peak RSS server + jobs $(awk -v k="$(cat "$peakfile")" 'BEGIN { printf "%.0f", k / 1024 }') MiB" \
		"(server alone $(hwm_mib "$QUARRY_PID") MiB)"
	grep '^  #' "$WORK/train-$name.out" | sed 's/^/    /'
}

{
	echo "Quarry training benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg), $((2 * TILES)) synthetic tiles"
	start=$(now)
	"$QUARRY" dataset upload --endpoint "$QUARRY_URL" --token "$TOKEN" --dataset bench/tiles --synthetic \
		"$WORK/tiles" >/dev/null 2>&1
	echo "dataset upload (quarry dataset upload, $((2 * TILES)) PNGs): $(elapsed "$start" "$(now)") s"
	project amber process
	if [ "${BENCH_PODMAN:-0}" = 1 ]; then
		bash scripts/podman-image.sh --binary "$QUARRY" >/dev/null
		stop_pid "$QUARRY_PID" # restart: the server offers podman when the image exists at start
		QUARRY_ORT_LIB=$ORT_LIB QUARRY_MAX_PARALLEL_JOBS=${BENCH_PARALLEL:-2} start_quarry "$WORK/data"
		project amber-podman podman
	fi
	ratio=$(go test -run '^$' -bench BenchmarkFeaturesThroughput -benchtime 1x ./train/pipeline 2>/dev/null |
		awk '/BenchmarkFeaturesThroughput/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "ratio") r = $i;
			if ($(i+1) == "pipeline-img/s") p = $i; if ($(i+1) == "raw-img/s") w = $i } }
			END { printf "%s (pipeline %s img/s, raw ONNX Runtime %s img/s)", r, p, w }')
	echo "feature extraction throughput, pipeline / raw ONNX Runtime: $ratio"
} | tee "$SUMMARY"

cp "$SUMMARY" "$RESULTS/train-latest.txt"
