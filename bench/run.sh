#!/usr/bin/env bash
# Performance figures of issue #2 (run with `make bench`; not part of `make test`):
#   1. download of a 1 GiB LFS file through /resolve vs nginx serving the same file from disk
#   2. upload of that file through LFS batch + PUT + commit vs `sha256sum FILE && cp FILE dst`
#   3. wrk -t2 -c64 -d10s on GET /api/models/{id} and on a 1,000-file recursive tree
#   4. peak RSS (VmHWM) of the server during the upload and during the download
# Everything runs on loopback with a temporary data directory; results go to bench/results/.
# Knobs: BENCH_SIZE_MIB (default 1024), WRK_DURATION (10s), WRK_CONNECTIONS (64), BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

SIZE_MIB=${BENCH_SIZE_MIB:-1024}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
RESULTS=bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SUMMARY="$RESULTS/summary-$STAMP.txt"

for tool in curl nginx wrk jq sha256sum awk; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "bench: $tool missing (run make setup)" >&2; exit 1; }
done
[ -x "$QUARRY" ] || { echo "bench: $QUARRY missing (run make build)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench.XXXXXX")
chmod 755 "$WORK" # nginx workers run unprivileged
trap bench_cleanup EXIT
mkdir -p "$RESULTS" "$WORK/www" "$WORK/data"

# say prints a summary line and appends it to the summary file.
say() { echo "$*" | tee -a "$SUMMARY"; }

FILE="$WORK/www/big.bin"
echo "bench: writing ${SIZE_MIB} MiB of random data to $FILE"
head -c "$((SIZE_MIB * 1048576))" /dev/urandom >"$FILE"
chmod 644 "$FILE"
BYTES=$(stat -c %s "$FILE")

TOKEN=$("$QUARRY" user create bench --data "$WORK/data" | tail -n 1)
start_quarry "$WORK/data"
nginx_path=$(command -v nginx || echo /usr/sbin/nginx)
start_nginx "$WORK/www"
api POST /api/repos/create -H 'Content-Type: application/json' -d '{"name":"big","type":"model"}' >/dev/null

say "Quarry benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, file ${SIZE_MIB} MiB, $("$nginx_path" -v 2>&1)"
say "quarry data dir on: $(df -h "$WORK" | awk 'NR==2 { print $1 " (" $6 ")" }')"
say ""

# --- 2. upload -----------------------------------------------------------------------------------
# upload_quarry: sha256 + LFS batch (basic) + PUT + NDJSON commit, as a client does it.
upload_quarry() {
	local oid batch href
	oid=$(sha256sum "$FILE" | cut -d' ' -f1)
	batch=$(api POST /bench/big.git/info/lfs/objects/batch \
		-H 'Accept: application/vnd.git-lfs+json' -H 'Content-Type: application/vnd.git-lfs+json' \
		-d "{\"operation\":\"upload\",\"transfers\":[\"basic\"],\"objects\":[{\"oid\":\"$oid\",\"size\":$BYTES}]}")
	href=$(jq -er '.objects[0].actions.upload.href' <<<"$batch")
	curl -fsS -X PUT -H 'Expect:' -T "$FILE" -o /dev/null "$href"
	printf '%s\n%s\n' '{"key":"header","value":{"summary":"bench upload"}}' \
		"{\"key\":\"lfsFile\",\"value\":{\"path\":\"big.bin\",\"algo\":\"sha256\",\"oid\":\"$oid\",\"size\":$BYTES}}" |
		api POST /api/models/bench/big/commit/main -H 'Content-Type: application/x-ndjson' --data-binary @- >/dev/null
}

t0=$(now)
sha256sum "$FILE" >/dev/null && cp "$FILE" "$WORK/copy.bin"
t1=$(now)
sync "$WORK/copy.bin"
t2=$(now)
rm -f "$WORK/copy.bin"
base_up=$(elapsed "$t0" "$t1")
base_up_sync=$(elapsed "$t0" "$t2")

hwm_reset "$QUARRY_PID"
rss_idle=$(rss_mib "$QUARRY_PID")
t0=$(now)
upload_quarry
t1=$(now)
hwm_up=$(hwm_mib "$QUARRY_PID")
quarry_up=$(elapsed "$t0" "$t1")

say "Upload of ${SIZE_MIB} MiB (sha256 + LFS batch + PUT + commit)"
say "  quarry:                       ${quarry_up} s  ($(mibps "$BYTES" "$quarry_up") MiB/s)"
say "  sha256sum && cp:              ${base_up} s  ($(mibps "$BYTES" "$base_up") MiB/s)"
say "  sha256sum && cp && sync dst:  ${base_up_sync} s  (the server fsyncs what it stores)"
say "  ratio quarry / (sha256sum && cp): $(ratio "$quarry_up" "$base_up")x  (goal: <= 2x)"
say ""

# --- 1. download ---------------------------------------------------------------------------------
# download URL: one GET to /dev/null (following redirects); prints "seconds bytes".
download() { curl -fsS -L -o /dev/null -w '%{time_total} %{size_download}' "$1"; }

hwm_reset "$QUARRY_PID"
res=$(download "$QUARRY_URL/bench/big/resolve/main/big.bin")
read -r quarry_down quarry_bytes <<<"$res"
hwm_down=$(hwm_mib "$QUARRY_PID")
res=$(download "$NGINX_URL/big.bin")
read -r nginx_down nginx_bytes <<<"$res"
for n in "$quarry_bytes" "$nginx_bytes"; do
	[ "$n" -eq "$BYTES" ] || { echo "bench: downloaded $n bytes, want $BYTES" >&2; exit 1; }
done
quarry_mibps=$(mibps "$BYTES" "$quarry_down")
nginx_mibps=$(mibps "$BYTES" "$nginx_down")

say "Download of ${SIZE_MIB} MiB on loopback (curl -o /dev/null, one run)"
say "  quarry /resolve:  ${quarry_down} s  (${quarry_mibps} MiB/s)"
say "  nginx from disk:  ${nginx_down} s  (${nginx_mibps} MiB/s)"
say "  ratio quarry / nginx throughput: $(ratio "$quarry_mibps" "$nginx_mibps")  (goal: >= 0.8)"
say ""

say "Server memory (VmHWM = peak RSS, reset before each transfer)"
say "  idle before upload (VmRSS): ${rss_idle} MiB"
say "  peak during ${SIZE_MIB} MiB upload:   ${hwm_up} MiB"
say "  peak during ${SIZE_MIB} MiB download: ${hwm_down} MiB"
say ""

# --- 3. wrk --------------------------------------------------------------------------------------
# tree_commit N: one NDJSON commit adding N small files in 10 folders. With N = 989 the recursive
# tree has exactly 1,000 entries (989 files, 10 folders, .gitattributes): one full page.
tree_commit() {
	local i
	echo '{"key":"header","value":{"summary":"1,000 files"}}'
	for ((i = 0; i < $1; i++)); do
		printf '{"key":"file","value":{"path":"d%d/file-%04d.txt","content":"file %d\\n","encoding":"utf-8"}}\n' \
			$((i % 10)) "$i" "$i"
	done
}
api POST /api/repos/create -H 'Content-Type: application/json' -d '{"name":"tree1000","type":"model"}' >/dev/null
tree_commit 989 | api POST /api/models/bench/tree1000/commit/main -H 'Content-Type: application/x-ndjson' --data-binary @- >/dev/null
tree_url="$QUARRY_URL/api/models/bench/tree1000/tree/main?recursive=true"
tree_entries=$(curl -fsS "$tree_url" | jq length)
tree_link=$(curl -fsS -D - -o /dev/null "$tree_url" | grep -ci '^link:' || true)

# run_wrk NAME URL: wrk with the issue's settings; prints "requests/s p99 non2xx".
run_wrk() {
	local out="$RESULTS/wrk-$1-$STAMP.txt"
	wrk -t2 -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$2" >"$out"
	awk '/^Requests\/sec:/ { rps = $2 } $1 == "99%" { p99 = $2 } /Non-2xx/ { bad = $NF }
		END { printf "%s %s %s\n", rps, p99, bad + 0 }' "$out"
}

res=$(run_wrk model-info "$QUARRY_URL/api/models/bench/big")
read -r info_rps info_p99 info_bad <<<"$res"
res=$(run_wrk tree-1000 "$tree_url")
read -r tree_rps tree_p99 tree_bad <<<"$res"

say "wrk -t2 -c${WRK_CONNECTIONS} -d${WRK_DURATION} --latency (client and server on the same $(nproc) cores)"
say "  GET /api/models/bench/big:             ${info_rps} req/s, p99 ${info_p99}, non-2xx ${info_bad}"
say "  GET tree/main?recursive=true (${tree_entries} entries, Link header: ${tree_link}): ${tree_rps} req/s, p99 ${tree_p99}, non-2xx ${tree_bad}"
say ""
say "raw wrk output: $RESULTS/wrk-*-$STAMP.txt; summary: $SUMMARY"
cp "$SUMMARY" "$RESULTS/latest.txt"
