#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetch one kernel of the matrix (tests/vm/kernels.txt) into the cache and print its directory:
# the kernel image, the modules a guest needs for 9p over virtio (decompressed, in load order,
# listed in modules.list) and a static busybox of the kernel's architecture.
#
# The packages are Debian's own, fetched with apt-get download through a private apt
# configuration (its own sources list, lists and status) from the mirror the host's apt uses.
# Nothing is installed on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${WATTLET_VM_CACHE:-/var/cache/wattlet-vm}
LISTS_MAX_AGE_MIN=1440
MODULES=(virtio_pci 9pnet_virtio 9p)

usage() {
	echo "usage: $0 NAME (one of: $(awk '!/^#/ && NF {printf "%s ", $1}' "$here/kernels.txt"))" >&2
	exit 2
}
[ $# -eq 1 ] || usage
read -r name arch suite release_re packages < <(awk -v n="$1" '!/^#/ && $1 == n' "$here/kernels.txt") ||
	usage

apt_dir=$CACHE/apt
apt_opts=(-q -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::Status=$apt_dir/status"
	-o "Dir::Cache=$apt_dir/cache" -o Dir::Cache::pkgcache=pkgcache.bin
	-o Dir::Cache::srcpkgcache=srcpkgcache.bin -o APT::Architecture=amd64 -o APT::Architectures::=amd64
	-o APT::Architectures::=arm64 -o Acquire::Languages=none -o APT::Sandbox::User=root)

# The mirror the host's apt already uses, for the main archive and for security updates.
mirror() { # main|security
	local uri
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | sort -u |
		awk -v want="$1" '(want == "security") == ($2 ~ /-security$/) && $2 !~ /-(updates|backports)$/ {print $1; exit}')
	[ -n "$uri" ] || uri=http://deb.debian.org/debian$([ "$1" = security ] && echo -security)/
	echo "${uri%/}"
}

sources_list() {
	local main security key=/usr/share/keyrings/debian-archive-keyring.gpg s
	main=$(mirror main)
	security=$(mirror security)
	for s in $(awk '!/^#/ && NF {print $3}' "$here/kernels.txt" | sort -u) bookworm; do
		case $s in
		*-security) echo "deb [signed-by=$key] $security $s main" ;;
		*) echo "deb [signed-by=$key] $main $s main" ;;
		esac
	done | sort -u
}

# Refresh the private package lists when they are missing, a day old, or forced (a release
# was not found: the sources list may lack a suite that kernels.txt names now).
apt_update() {
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache"
	touch "$apt_dir/status"
	if [ "${1:-}" != force ] && [ -f "$apt_dir/sources.list" ] &&
		[ -n "$(find "$apt_dir/lists" -maxdepth 1 -name '*Packages*' -mmin -$LISTS_MAX_AGE_MIN)" ]; then
		return
	fi
	sources_list >"$apt_dir/sources.list"
	apt-get "${apt_opts[@]}" update >&2
}

# The newest release of this line that the suite has.
newest_release() {
	local prefix=${packages%%,*}
	prefix=${prefix%R}
	apt-cache "${apt_opts[@]}" pkgnames "$prefix" | sed -n "s/^$prefix//p" |
		grep -E "^($release_re)\$" | sort -V | tail -n 1
}

download() { # dir package...
	local dir=$1
	shift
	(cd "$dir" && apt-get "${apt_opts[@]}" download "$@" >&2)
}

busybox() { # dest
	local bb=$CACHE/busybox-$arch tmp
	if [ ! -x "$bb" ]; then
		tmp=$(mktemp -d)
		download "$tmp" "busybox-static:$arch/bookworm"
		dpkg-deb --fsys-tarfile "$tmp"/busybox-static_*.deb | tar -x -C "$tmp" --wildcards '*bin/busybox'
		install -m 0755 "$(find "$tmp" -name busybox -type f | head -n 1)" "$bb"
		rm -rf "$tmp"
	fi
	cp "$bb" "$1"
}

# Image and 9p modules out of the packages, with modules.dep made by depmod -b
# (Debian's packages ship none) and the load order from modprobe --show-depends.
unpack() { # release dest
	local release=$1 dest=$2 work root base moddir p
	work=$(mktemp -d)
	root=$work/root
	mkdir -p "$root"
	IFS=, read -ra pkgs <<<"${packages//R/$release}"
	download "$work" "${pkgs[@]/%/:$arch}"
	for p in "$work"/*.deb; do
		dpkg-deb --fsys-tarfile "$p" | tar -x -C "$root" --wildcards --no-anchored \
			'vmlinuz*' modules.order modules.builtin modules.builtin.modinfo \
			'*/kernel/fs/9p/*' '*/kernel/net/9p/*' '*/kernel/fs/netfs/*' \
			'*/kernel/fs/fscache/*' '*/kernel/drivers/virtio/*' 2>/dev/null || true
	done
	moddir=$(find "$root" -type d -path "*/modules/$release" | head -n 1)
	[ -n "$moddir" ] || { echo "fetch: no modules for $release in ${pkgs[*]}" >&2; return 1; }
	base=${moddir%/lib/modules/*}
	find "$moddir" -name '*.ko.xz' -exec xz -d {} +
	depmod -b "$base" "$release"
	mkdir -p "$dest/modules"
	# a module with no file is built in (7.x packages ship no modules.builtin to say so)
	for p in "${MODULES[@]}"; do
		[ -z "$(find "$moddir" -name "$p.ko")" ] ||
			modprobe -d "$base" -S "$release" --show-depends "$p"
	done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' | while read -r p; do
		cp "$p" "$dest/modules/"
		basename "$p" >>"$dest/modules.list"
	done
	cp "$(find "$root" -name 'vmlinuz*' -type f | head -n 1)" "$dest/vmlinuz"
	echo "$release" >"$dest/release"
	rm -rf "$work"
}

main() {
	local release dir
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
	apt_update
	release=$(newest_release)
	[ -n "$release" ] || { apt_update force; release=$(newest_release); }
	[ -n "$release" ] || { echo "fetch: no package for $name in $suite" >&2; exit 1; }
	dir=$CACHE/kernels/$release
	if [ ! -f "$dir/.complete" ]; then
		echo "fetch: $name: downloading Debian's $release ($arch, $suite)" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		unpack "$release" "$dir"
		busybox "$dir/busybox"
		echo "$arch" >"$dir/arch"
		touch "$dir/.complete"
	fi
	echo "$dir"
}

main
