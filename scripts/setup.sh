#!/usr/bin/env bash
# Idempotent set-up of what git does not carry: the Debian packages the tests and
# benchmarks use, and the Node test clients (e2e/node_modules, from package-lock.json).
# Safe to run again: it only installs what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

# has PACKAGE COMMAND: the Debian package is installed, or its command is on PATH.
has() {
	dpkg -s "$1" >/dev/null 2>&1 && return 0
	command -v "$2" >/dev/null 2>&1 || [ -x "/usr/sbin/$2" ]
}

missing=()
has git-lfs git-lfs || missing+=(git-lfs)
has nginx-light nginx || missing+=(nginx-light)
has wrk wrk || missing+=(wrk)
has curl curl || missing+=(curl)
has jq jq || missing+=(jq)
has make make || missing+=(make)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
	echo "setup: installing Debian packages: ${missing[*]}"
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node clients for e2e/hub.test.mjs: npm ci when node_modules is missing or the lock file changed.
lock_sum="$(sha256sum e2e/package-lock.json | cut -d' ' -f1)"
marker=e2e/node_modules/.quarry-lock-sha256
if [ ! -d e2e/node_modules ] || [ "$(cat "$marker" 2>/dev/null)" != "$lock_sum" ]; then
	echo "setup: npm ci in e2e/"
	(cd e2e && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
	echo "$lock_sum" >"$marker"
fi
bash scripts/setup-ml.sh
echo "setup: ok"
