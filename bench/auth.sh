#!/usr/bin/env bash
# Cost of authorization (issue #3, Performance): GET /api/models/{id} of a public repo under
#   wrk -t2 -c64 -d10s --latency
# without credentials and with "Authorization: Bearer <read token>", against the same server.
# The two runs alternate for BENCH_ROUNDS rounds (default 3) after a warm-up, so that load from
# other processes on the machine hits both alike; the closing line gives the median ratios, and
# also the ratio of the server's CPU time per request. A last, paired run has both clients load
# the server at the same time, so that such load hits both alike within the run.
# Goal: the token adds under 5% to the latency (ratio < 1.05).
# Knobs: BENCH_ROUNDS (3), WRK_DURATION (10s), WRK_CONNECTIONS (64), BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ROUNDS=${BENCH_ROUNDS:-3}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
RESULTS=bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SUMMARY="$RESULTS/auth-$STAMP.txt"

for tool in curl wrk awk sort; do
	command -v "$tool" >/dev/null || { echo "bench: $tool missing (run make setup)" >&2; exit 1; }
done
[ -x "$QUARRY" ] || { echo "bench: $QUARRY missing (run make build)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench-auth.XXXXXX")
trap bench_cleanup EXIT
mkdir -p "$RESULTS" "$WORK/data"

say() { echo "$*" | tee -a "$SUMMARY"; }

# The write token creates the repo; the benchmark uses a read token, as a downloading client would.
TOKEN=$("$QUARRY" user create bench --data "$WORK/data" | tail -n 1)
READ_TOKEN=$("$QUARRY" token create bench --role read --label wrk --data "$WORK/data" | tail -n 1)
start_quarry "$WORK/data"
api POST /api/repos/create -H 'Content-Type: application/json' -d '{"name":"pub","type":"model"}' >/dev/null
URL="$QUARRY_URL/api/models/bench/pub"
curl -fsS -o /dev/null "$URL"
curl -fsS -o /dev/null -H "Authorization: Bearer $READ_TOKEN" "$URL"

# cpu_ticks prints the server's user + system CPU time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$QUARRY_PID/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# run_wrk NAME [WRK ARGS...]: prints "req/s p50_us p99_us avg_us non2xx cpu_us_per_request";
# raw output kept. The server's CPU time per request does not count time spent waiting for the
# cores, so it is less sensitive than latency to other load on the machine.
run_wrk() {
	local name=$1 out="$WORK/wrk.txt" c0 c1
	shift
	c0=$(cpu_ticks)
	wrk -t2 -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$@" "$URL" >"$out"
	c1=$(cpu_ticks)
	cat "$out" >>"$RESULTS/wrk-auth-$name-$STAMP.txt"
	awk -v ticks=$((c1 - c0)) -v tick="$TICK_US" 'function us(v) {
			if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000
			if (v ~ /m$/) return v * 60e6; if (v ~ /s$/) return v * 1e6; return v
		}
		$1 == "Latency" && avg == "" { avg = us($2) }
		$1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) }
		/^Requests\/sec:/ { rps = $2 } /Non-2xx/ { bad = $NF } / requests in / { n = $1 }
		END { printf "%s %.0f %.0f %.0f %d %.1f\n", rps, p50, p99, avg, bad + 0, ticks * tick / n }' "$out"
}

# ratio3 A B prints A/B with three decimals.
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# median reads numbers on stdin and prints their median.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

say "Authorization cost, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "GET /api/models/bench/pub (public), wrk -t2 -c${WRK_CONNECTIONS} -d${WRK_DURATION} --latency, client and server on the same machine"
WRK_DURATION=3s run_wrk warmup >/dev/null
WRK_DURATION=3s run_wrk warmup -H "Authorization: Bearer $READ_TOKEN" >/dev/null

p50s=() avgs=() rpss=() cpus=()
for round in $(seq 1 "$ROUNDS"); do
	# Odd rounds run anonymous first, even rounds the token first, against drift.
	if ((round % 2)); then
		read -r a_rps a_p50 a_p99 a_avg a_bad a_cpu <<<"$(run_wrk anonymous)"
		read -r t_rps t_p50 t_p99 t_avg t_bad t_cpu <<<"$(run_wrk token -H "Authorization: Bearer $READ_TOKEN")"
	else
		read -r t_rps t_p50 t_p99 t_avg t_bad t_cpu <<<"$(run_wrk token -H "Authorization: Bearer $READ_TOKEN")"
		read -r a_rps a_p50 a_p99 a_avg a_bad a_cpu <<<"$(run_wrk anonymous)"
	fi
	if [ "$a_bad" -ne 0 ] || [ "$t_bad" -ne 0 ]; then
		echo "bench: non-2xx responses (anonymous $a_bad, token $t_bad)" >&2
		exit 1
	fi
	say "  round $round  anonymous: ${a_rps} req/s, p50 ${a_p50} us, p99 ${a_p99} us, avg ${a_avg} us, server CPU ${a_cpu} us/req"
	say "  round $round  token:     ${t_rps} req/s, p50 ${t_p50} us, p99 ${t_p99} us, avg ${t_avg} us, server CPU ${t_cpu} us/req"
	p50s+=("$(ratio3 "$t_p50" "$a_p50")") avgs+=("$(ratio3 "$t_avg" "$a_avg")")
	rpss+=("$(ratio3 "$a_rps" "$t_rps")") cpus+=("$(ratio3 "$t_cpu" "$a_cpu")")
	say "  round $round  token/anonymous: p50 ${p50s[-1]}, avg ${avgs[-1]}, 1/throughput ${rpss[-1]}, CPU ${cpus[-1]}"
done
say "median ratio token/anonymous over $ROUNDS rounds: latency p50 $(printf '%s\n' "${p50s[@]}" | median)," \
	"avg $(printf '%s\n' "${avgs[@]}" | median); 1/throughput $(printf '%s\n' "${rpss[@]}" | median);" \
	"server CPU/request $(printf '%s\n' "${cpus[@]}" | median) (goal: latency < 1.05)"

# Paired run: both clients at once (wrk -t1 -c32 each, 64 connections in all), so that load from
# other processes on the machine hits both alike within the run.
run_wrk_pair() {
	local a_out="$WORK/wrk-a.txt" t_out="$WORK/wrk-t.txt"
	wrk -t1 -c$((WRK_CONNECTIONS / 2)) -d"$WRK_DURATION" --latency "$URL" >"$a_out" &
	wrk -t1 -c$((WRK_CONNECTIONS / 2)) -d"$WRK_DURATION" --latency -H "Authorization: Bearer $READ_TOKEN" "$URL" >"$t_out"
	wait $!
	cat "$a_out" >>"$RESULTS/wrk-auth-pair-anonymous-$STAMP.txt"
	cat "$t_out" >>"$RESULTS/wrk-auth-pair-token-$STAMP.txt"
	for f in "$a_out" "$t_out"; do
		awk 'function us(v) {
				if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000
				if (v ~ /m$/) return v * 60e6; if (v ~ /s$/) return v * 1e6; return v
			}
			$1 == "Latency" && avg == "" { avg = us($2) }
			$1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) } /^Requests\/sec:/ { rps = $2 }
			END { printf "%s %.0f %.0f %.0f\n", rps, p50, p99, avg }' "$f"
	done
}
{ read -r a_rps a_p50 a_p99 a_avg; read -r t_rps t_p50 t_p99 t_avg; } < <(run_wrk_pair)
say "  paired (both at once, -t1 -c$((WRK_CONNECTIONS / 2)) each): anonymous ${a_rps} req/s, p50 ${a_p50} us," \
	"p99 ${a_p99} us; token ${t_rps} req/s, p50 ${t_p50} us, p99 ${t_p99} us"
say "  paired token/anonymous: p50 $(ratio3 "$t_p50" "$a_p50"), avg $(ratio3 "$t_avg" "$a_avg")," \
	"1/throughput $(ratio3 "$a_rps" "$t_rps")"
say "raw wrk output: $RESULTS/wrk-auth-*-$STAMP.txt"
