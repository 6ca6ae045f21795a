# Shell functions shared by the scripts that build images FROM scratch with
# podman (podman-image.sh, lambda-image.sh). Sourced, not run; the sourcing
# script defines log().

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_podman installs podman and runc when missing and makes sure
# /etc/containers/containers.conf sets default_ulimits = [] (needed here).
ensure_podman() {
	if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
		log "installing podman and runc (apt)"
		export DEBIAN_FRONTEND=noninteractive
		as_root apt-get update -qq
		as_root apt-get install -y -qq --no-install-recommends podman runc >&2
	fi
	local conf=/etc/containers/containers.conf
	if ! grep -qs '^[[:space:]]*default_ulimits' "$conf"; then
		log "writing default_ulimits = [] to $conf"
		as_root mkdir -p /etc/containers
		if grep -qs '^\[containers\]' "$conf"; then
			as_root sed -i 's/^\[containers\]/[containers]\ndefault_ulimits = []/' "$conf"
		else
			printf '[containers]\ndefault_ulimits = []\n' | as_root tee -a "$conf" >/dev/null
		fi
	fi
}

# copy_libs FILE ROOT: copy the shared libraries FILE needs (ldd) into ROOT
# at the same paths, following symlinks.
copy_libs() {
	local file=$1 root=$2 lib
	for lib in $(ldd "$file" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -e "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
