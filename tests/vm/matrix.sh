#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The kernel matrix: boot each kernel of tests/vm/kernels.txt under qemu and run the agent and
# the whole BPF ground-truth suite in it (tests/vm/guest.sh). Prints one line per kernel and
# test, writes the supported-kernels table to OUTPUT/test-logs/vm/kernels.md, checks that the
# README's table says the same, and ends with "N passed, N failed".
#
#     tests/vm/matrix.sh [NAME...]           every kernel, or those named
#     tests/vm/matrix.sh --update-readme     write the table into README.md instead of checking
#
# Kernels, initramfs images and package lists are cached in /var/cache/wattlet-vm
# ($WATTLET_VM_CACHE). Needs root (the guests run the suite as root; apt and the cache).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
OUT=${OUTPUT:-build}
OUT=${OUT#"$PWD"/}	# the guests find it relative to the checkout they share
case $OUT in /*)
	echo "FAIL: OUTPUT=$OUT: the kernel matrix needs the build inside the checkout"
	exit 1
	;;
esac
LOGS=$OUT/test-logs/vm
TABLE=$LOGS/kernels.md
README_BEGIN='<!-- kernels: written by tests/vm/matrix.sh --update-readme -->'
README_END='<!-- /kernels -->'
update_readme=false
passed=0 failed=0 skipped=0

if [ "${1:-}" = --update-readme ]; then
	update_readme=true
	shift
fi
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(awk '!/^#/ && NF {print $1}' "$here/kernels.txt")

line() { # PASS|FAIL|SKIP text
	echo "$1 $2"
	case $1 in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	esac
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the kernel matrix needs root (apt-get download, its cache, guests run as root)"
	exit 77
fi
for tool in qemu-system-x86_64 qemu-system-aarch64 depmod cpio; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool missing: run tools/install-deps.sh"; exit 1; }
done

# The amd64 guests run the checkout's own build from the host's root; the initramfs only
# loads modules and chroots, so it is cached with the kernel, rebuilt when init changes.
amd64_initrd() { # kernel_dir
	local img=$1/initrd.img sum
	sum=$(cat "$here/init" "$1/modules.list" | sha256sum | cut -c1-16)
	if [ ! -f "$img" ] || [ "$(cat "$img.sum" 2>/dev/null)" != "$sum" ]; then
		"$here/initramfs.sh" "$1" "$img" && echo "$sum" >"$img.sum"
	fi
	echo "$img"
}

# Cross guests carry their own build: cross-compile, gather it with its libraries.
cross_initrd() { # kernel_dir arch
	local kdir=$1 arch=$2 triplet build=$OUT/$2 stage img=$OUT/vm/initrd-$2.img
	case $arch in arm64) triplet=aarch64-linux-gnu ;; esac
	tools/install-deps.sh --cross "$arch" >&2 &&
		make -s -j"$(nproc)" OUTPUT="$build" CROSS_COMPILE="$triplet-" "$build/wattlet" \
			"$build/tests/bpf_accounting" >&2 || return 1
	stage=$(mktemp -d)
	mkdir -p "$OUT/vm"
	"$here/cross-root.sh" "$triplet" "$build" "$stage" &&
		"$here/initramfs.sh" "$kdir" "$img" "$stage" || { rm -rf "$stage"; return 1; }
	rm -rf "$stage"
	echo "$img"
}

# What the agent could not use on this kernel, from the variants it chose.
unavailable() { # variants
	local out=()
	case $1 in *attach=raw_tp*) out+=("tp_btf programs") ;; esac
	case $1 in *thread_state=thread_hash*) out+=("task-local storage in tracing programs") ;; esac
	case $1 in *cpu_times=proc_stat*) out+=("per-CPU offsets in kernel BTF (kcpustat from BPF)") ;; esac
	[ ${#out[@]} -gt 0 ] || out=("-")
	local IFS=';'
	echo "${out[*]}" | sed 's/;/; /g'
}

table_row() { # name arch suite release variants
	local attach thread cpu
	attach=$(echo "$5" | sed -n 's/.*attach=\([^ ]*\).*/\1/p')
	thread=$(echo "$5" | sed -n 's/.*thread_state=\([^ ]*\).*/\1/p')
	cpu=$(echo "$5" | sed -n 's/.*cpu_times=\([^ ]*\).*/\1/p')
	echo "| $1 | $2 | $3 | $4 | $attach | $thread | $cpu | $(unavailable "$5") |"
}

# The first line of a kernel's own death report in a guest's console, if it has one.
kernel_oops() { # console.log
	local first
	first=$(grep -m1 -oE '(Oops|BUG|Kernel panic)[^[]*' "$1" 2>/dev/null) || return 1
	echo "${first%"${first##*[! ]}"}"
}

run_guest() { # name
	local name=$1 arch suite kdir initrd build results release
	read -r _ arch suite _ < <(awk -v n="$name" '!/^#/ && $1 == n' "$here/kernels.txt")
	if [ -z "$arch" ]; then
		line FAIL "$name: not in tests/vm/kernels.txt"
		return
	fi
	if ! kdir=$("$here/fetch.sh" "$name"); then
		line FAIL "$name: could not fetch the kernel"
		return
	fi
	release=$(cat "$kdir/release")
	results=$LOGS/$name
	if [ "$arch" = amd64 ]; then
		initrd=$(amd64_initrd "$kdir") build=$OUT
	else
		initrd=$(cross_initrd "$kdir" "$arch") build=$OUT/$arch
	fi || { line FAIL "$name: could not build the initramfs"; return; }
	echo "== $name: Debian $release ($arch, $suite)"
	local t0=$SECONDS oops retried=
	"$here/boot.sh" "$kdir" "$initrd" "$build" "$results"
	echo "   guest ran $((SECONDS - t0)) s"
	if [ ! -f "$results/results.done" ] && oops=$(kernel_oops "$results/console.log"); then
		# An emulation flake (as multi-threaded TCG's stale translations were, boot.sh):
		# a guest killed by its own kernel runs once more, and each of its lines says so.
		cp "$results/console.log" "$LOGS/$name-first-console.log"
		retried=" (guest retried once: the first died with \"$oops\", $name-first-console.log)"
		echo "   the guest's kernel died ($oops): booting it once more"
		t0=$SECONDS
		"$here/boot.sh" "$kdir" "$initrd" "$build" "$results"
		echo "   guest ran $((SECONDS - t0)) s"
	fi
	if [ ! -f "$results/results.done" ]; then
		line FAIL "$name: the guest did not finish$retried; last console lines:"
		tail -n 15 "$results/console.log" 2>/dev/null | sed 's/^/    /'
		return
	fi
	while read -r verdict rest; do
		line "$verdict" "$name $rest$retried"
	done <"$results/results"
	table_row "$name" "$arch" "$suite" "$release" "$(cat "$results/variants" 2>/dev/null)" \
		>>"$TABLE.rows"
}

# The README's table, between its markers, against the one this run wrote. The tested
# release column is left out: it moves with Debian's kernel updates.
check_readme() {
	local readme_rows table_rows
	readme_rows=$(awk -v begin="$README_BEGIN" -v end="$README_END" \
		'$0 == begin {on = 1} $0 == end {on = 0} on' README.md | grep '^| [^-K]' |
		awk -F'|' -v OFS='|' '{$5 = ""; print}')
	table_rows=$(grep '^| [^-K]' "$TABLE" | awk -F'|' -v OFS='|' '{$5 = ""; print}')
	if [ "$readme_rows" = "$table_rows" ]; then
		line PASS "readme__supported_kernels__match_matrix"
	else
		line FAIL "readme__supported_kernels__match_matrix: README.md differs from $TABLE (tests/vm/matrix.sh --update-readme):"
		diff <(echo "$readme_rows") <(echo "$table_rows") | sed 's/^/    /'
	fi
}

write_readme() {
	local tmp
	tmp=$(mktemp)
	awk -v begin="$README_BEGIN" -v end="$README_END" -v table="$TABLE" '
		$0 == begin { print; while ((getline l < table) > 0) print l; skip = 1; next }
		$0 == end { skip = 0 }
		!skip' README.md >"$tmp" && cat "$tmp" >README.md
	rm -f "$tmp"
	echo "README.md: supported-kernels table rewritten from $TABLE"
}

mkdir -p "$LOGS"
rm -f "$TABLE.rows"
for name in "${names[@]}"; do
	run_guest "$name"
done
{
	echo "| Kernel | Arch | Debian suite | Tested release | Attach | Per-thread state | CPU times | Not available |"
	echo "|---|---|---|---|---|---|---|---|"
	cat "$TABLE.rows" 2>/dev/null
} >"$TABLE"
rm -f "$TABLE.rows"
all=$(awk '!/^#/ && NF' "$here/kernels.txt" | wc -l)
if [ "$(grep -c '^| [^-K]' "$TABLE")" -ne "$all" ]; then
	echo "(README table not checked: not every kernel ran)"
elif $update_readme; then
	write_readme
else
	check_readme
fi
[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
