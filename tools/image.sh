#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build wattlet's image from deploy/Containerfile with buildah and save it as a docker-archive
# (`make image` runs this; `docker load`, `podman load` and `ctr image import` read it).
#
#   tools/image.sh [ARCH]     ARCH: amd64 (default: the build machine's) or arm64
#
# Writes $OUTPUT/wattlet-image.tar for the build machine's architecture and
# $OUTPUT/wattlet-image-ARCH.tar for another, each tagged localhost/wattlet:VERSION, and the
# image's SBOM beside it (.cdx.json). Environment:
#   VERSION       what the binaries print and the labels say (default: make -s version)
#   IMAGE_SOURCE  the org.opencontainers.image.source label (default: git's origin URL, or
#                 this checkout as a file:// URL)
#   DEBIAN_IMAGE  the build stage's base, for a machine that reaches a registry
#                 (e.g. docker.io/library/debian:12-slim). Unset: Debian 12 from
#                 `debootstrap --variant=minbase`, built once and kept in buildah's store.
#   DEBIAN_MIRROR the mirror for that base (default: deb.debian.org)
set -euo pipefail
cd "$(dirname "$0")/.."

OUTPUT=${OUTPUT:-build}
BASE_TAG=localhost/wattlet-debian:bookworm-minbase
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOCK=/run/lock/wattlet-image.lock	# one build at a time shares buildah's store
HOST_ARCH=$(dpkg --print-architecture)

die() {
	echo "image: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 [amd64|arm64]" >&2
	exit 2
}

# Install the Debian packages named, once; apt waits for another apt instead of failing.
need_packages() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}: run as root or apt-get install them"
	echo "image: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
}

# Debian 12 minbase as an image in buildah's store, with the sources debian:12-slim has.
local_base() {
	local dir
	buildah inspect --type image "$BASE_TAG" >/dev/null 2>&1 && return 0
	need_packages debootstrap debian-archive-keyring
	dir=$(mktemp -d /var/tmp/wattlet-debootstrap.XXXXXX)
	echo "image: debootstrap --variant=minbase bookworm (once; kept as $BASE_TAG)" >&2
	if ! debootstrap --variant=minbase bookworm "$dir" "$DEBIAN_MIRROR" >"$dir.log" 2>&1; then
		tail -5 "$dir.log" >&2
		rm -rf "$dir" "$dir.log"
		die "debootstrap failed"
	fi
	rm -f "$dir/etc/apt/sources.list" "$dir.log"
	cat >"$dir/etc/apt/sources.list.d/debian.sources" <<-EOF
	Types: deb
	URIs: $DEBIAN_MIRROR
	Suites: bookworm bookworm-updates
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb
	URIs: ${DEBIAN_MIRROR%/debian}/debian-security
	Suites: bookworm-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
	local ctr
	ctr=$(buildah from scratch)
	buildah add --quiet "$ctr" "$dir" / >/dev/null &&
		buildah config --cmd /bin/bash "$ctr" &&
		buildah commit --quiet --rm "$ctr" "$BASE_TAG" >/dev/null
	rm -rf "$dir"
}

# The archive's name: the build machine's architecture gets the plain one.
archive_for() {
	if [ "$1" = "$HOST_ARCH" ]; then
		echo "$OUTPUT/wattlet-image.tar"
	else
		echo "$OUTPUT/wattlet-image-$1.tar"
	fi
}

build() {
	local arch=$1 base=${DEBIAN_IMAGE:-$BASE_TAG} tag archive ctr mnt
	tag="localhost/wattlet:$VERSION"
	archive=$(archive_for "$arch")
	rm -f "$archive" "${archive%.tar}.cdx.json"
	# --network host: the build stage reaches Debian's mirror without a bridge or NAT rule.
	# The build platform is named: buildah 1.28 sets TARGET* from --platform but no BUILD*.
	buildah build --quiet --layers --network host --platform "linux/$arch" \
		--timestamp "$(git log -1 --format=%ct 2>/dev/null || date +%s)" \
		--build-arg BUILDPLATFORM="linux/$HOST_ARCH" --build-arg BUILDARCH="$HOST_ARCH" \
		--build-arg DEBIAN_IMAGE="$base" --build-arg VERSION="$VERSION" \
		--build-arg REVISION="$REVISION" --build-arg SOURCE="$IMAGE_SOURCE" \
		-f deploy/Containerfile -t "$tag" . >/dev/null
	buildah push --quiet "$tag" "docker-archive:$archive.tmp:$tag"
	mv "$archive.tmp" "$archive"
	ctr=$(buildah from --quiet --arch "$arch" "$tag")
	mnt=$(buildah mount "$ctr")
	cp "$mnt/usr/share/doc/wattlet/sbom.cdx.json" "${archive%.tar}.cdx.json"
	buildah umount "$ctr" >/dev/null
	buildah rm "$ctr" >/dev/null
	echo "image: $archive: $tag, linux/$arch, $(du -m "$archive" | cut -f1) MB"
}

main() {
	local arch=${1:-$HOST_ARCH} t0=$SECONDS
	[ $# -le 1 ] || usage
	case $arch in amd64 | arm64) ;; *) usage ;; esac
	need_packages buildah runc	# runc runs the build stage (buildah only recommends it)
	VERSION=${VERSION:-$(make -s version)}
	REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
	IMAGE_SOURCE=${IMAGE_SOURCE:-$(git config --get remote.origin.url || echo "file://$PWD")}
	mkdir -p "$OUTPUT"
	exec 9>"$LOCK"
	flock 9
	[ -n "${DEBIAN_IMAGE:-}" ] || local_base
	build "$arch"
	echo "image: built in $((SECONDS - t0)) s"
}

main "$@"
