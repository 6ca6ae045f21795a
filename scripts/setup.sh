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
has chromium chromium || missing+=(chromium)
has make make || missing+=(make)
has podman podman || missing+=(podman) # the podman job runner (make podman-image builds its image)
has runc runc || missing+=(runc)
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

# Podman needs `default_ulimits = []` here: the default ulimits cannot be set
# in this sandbox (scripts/podman-image.sh checks the same).
conf=/etc/containers/containers.conf
if ! grep -qs '^[[:space:]]*default_ulimits' "$conf"; then
	echo "setup: writing default_ulimits = [] to $conf"
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" mkdir -p /etc/containers
	if grep -qs '^\[containers\]' "$conf"; then
		"${sudo[@]}" sed -i 's/^\[containers\]/[containers]\ndefault_ulimits = []/' "$conf"
	else
		printf '[containers]\ndefault_ulimits = []\n' | "${sudo[@]}" tee -a "$conf" >/dev/null
	fi
fi

# npm_ci DIR: npm ci in DIR when node_modules is missing or its lock file changed. onnxruntime-node
# (a dependency of transformers.js) would download CUDA files in its postinstall: skip that, the
# CPU binding is inside the npm package.
npm_ci() {
	local dir=$1 lock_sum marker
	lock_sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
	marker="$dir/node_modules/.quarry-lock-sha256"
	if [ ! -d "$dir/node_modules" ] || [ "$(cat "$marker" 2>/dev/null)" != "$lock_sum" ]; then
		echo "setup: npm ci in $dir/"
		(cd "$dir" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
		echo "$lock_sum" >"$marker"
	fi
}

# Node test clients: @huggingface/hub and transformers.js (e2e), @gradio/client (demo),
# playwright-core driving Debian's chromium (web).
npm_ci e2e
npm_ci demo/testdata/node
npm_ci web/browsertest

bash scripts/setup-ml.sh
echo "setup: ok"
