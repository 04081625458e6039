# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by tests/e2e/deploy_*.sh: sourced, not run. Expects cwd = repo root.

DEPLOY_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fails=0
passes=0

ok() {
	passes=$((passes + 1))
	echo "ok: $*"
}

not_ok() {
	fails=$((fails + 1))
	echo "FAIL: $*"
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds, its output shown on failure.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$out" | sed 's/^/    /' | tail -40
	fi
}

finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $1 needs root"
		exit 77
	fi
}

apt_install() {
	[ "$(id -u)" -eq 0 ] || { echo "need $*: install it (apt-get install $*)" >&2; return 1; }
	echo "installing $* with apt-get" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# kubectl: Debian 12 ships it as kubernetes-client. Not in tools/packages.txt because it
# clashes with the kubectl package of other repositories (both own /usr/bin/kubectl).
need_kubectl() {
	command -v kubectl >/dev/null || apt_install kubernetes-client
}

# node and npm for the checks in tests/deploy. Debian's npm conflicts with NodeSource's
# nodejs (which bundles npm), so npm is installed only where it is missing.
need_node_modules() {
	command -v node >/dev/null || apt_install nodejs || return 1
	command -v npm >/dev/null || apt_install npm || return 1
	if [ ! -d "$DEPLOY_TOOLS/node_modules" ] ||
		[ "$DEPLOY_TOOLS/package-lock.json" -nt "$DEPLOY_TOOLS/node_modules/.package-lock.json" ]; then
		# One npm ci at a time when several deploy checks start together.
		(flock 9 && cd "$DEPLOY_TOOLS" && npm ci --no-audit --no-fund --loglevel=error \
			9>&-) 9>/tmp/wattlet-deploy-npm.lock >&2 || return 1
	fi
	export NODE_PATH="$DEPLOY_TOOLS/node_modules"
}

# The base, rendered the way kubectl apply -k will.
render_base() {
	kubectl kustomize deploy/kubernetes
}
