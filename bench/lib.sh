# Helpers shared by the benchmark scripts (sourced, not run). They start their
# own quarry server and nginx on free loopback ports inside $WORK and clean up
# through bench_cleanup (install it with: trap bench_cleanup EXIT).

QUARRY=${QUARRY:-bin/quarry}
PIDS=()

# free_port prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "no free port found" >&2
	return 1
}

# now prints the current time in seconds with nanoseconds.
now() { date +%s.%N; }

# elapsed START END prints END-START in seconds.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# mibps BYTES SECONDS prints the throughput in MiB/s.
mibps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / 1048576 / s }'; }

# ratio A B prints A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# start_quarry DATA: starts `quarry serve` on a free port, sets QUARRY_URL and
# QUARRY_PID, and waits for /healthz.
start_quarry() {
	local data=$1 port
	port=$(free_port)
	QUARRY_URL="http://127.0.0.1:$port"
	"$QUARRY" serve --addr "127.0.0.1:$port" --data "$data" >>"$WORK/quarry.log" 2>&1 &
	QUARRY_PID=$!
	PIDS+=("$QUARRY_PID")
	for _ in $(seq 1 300); do
		curl -fsS -o /dev/null "$QUARRY_URL/healthz" 2>/dev/null && return 0
		kill -0 "$QUARRY_PID" 2>/dev/null || { echo "quarry serve exited; see $WORK/quarry.log" >&2; return 1; }
		sleep 0.1
	done
	echo "quarry serve not healthy after 30s" >&2
	return 1
}

# stop_pid PID: terminates one process this script started and waits for it.
stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# start_nginx ROOT: serves ROOT on a free port with a temporary config; sets NGINX_URL.
start_nginx() {
	local root=$1 port dir="$WORK/nginx"
	port=$(free_port)
	mkdir -p "$dir/tmp"
	cat >"$dir/nginx.conf" <<-EOF
		worker_processes auto;
		daemon off;
		pid $dir/nginx.pid;
		error_log $dir/error.log;
		events { worker_connections 1024; }
		http {
		    access_log off;
		    sendfile on;
		    tcp_nopush on;
		    client_body_temp_path $dir/tmp/body;
		    proxy_temp_path $dir/tmp/proxy;
		    fastcgi_temp_path $dir/tmp/fastcgi;
		    uwsgi_temp_path $dir/tmp/uwsgi;
		    scgi_temp_path $dir/tmp/scgi;
		    server {
		        listen 127.0.0.1:$port;
		        root $root;
		    }
		}
	EOF
	nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" &
	PIDS+=("$!")
	NGINX_URL="http://127.0.0.1:$port"
	for _ in $(seq 1 100); do
		curl -sS -o /dev/null "$NGINX_URL/" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nginx did not start; see $dir/error.log" >&2
	return 1
}

# bench_cleanup stops every process started here and removes $WORK (unless BENCH_KEEP=1).
bench_cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	if [ "${BENCH_KEEP:-0}" != 1 ] && [ -n "${WORK:-}" ]; then
		rm -rf "$WORK"
	fi
}

# hwm_reset PID: resets the peak RSS (VmHWM) of PID; fails if the kernel refuses.
hwm_reset() { echo 5 >"/proc/$1/clear_refs"; }

# hwm_mib PID prints the peak RSS (VmHWM) of PID in MiB.
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# rss_mib PID prints the current RSS (VmRSS) of PID in MiB.
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# api METHOD PATH [CURL ARGS...]: an authenticated API call that fails on HTTP errors.
api() {
	local method=$1 path=$2
	shift 2
	curl -fsS -X "$method" -H "Authorization: Bearer $TOKEN" "$@" "$QUARRY_URL$path"
}
