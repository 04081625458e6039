#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Boot one matrix guest under qemu (TCG: KVM is not usable on the CI machines) and wait for
# it to power off. The checkout is shared read-write over 9p; on amd64 the host's / is shared
# read-only too, and the guest chroots into it. The guest writes its results to
# CHECKOUT/RESULTS (relative to the checkout); the console goes to RESULTS/console.log.
set -euo pipefail
GUEST_TIMEOUT=${WATTLET_VM_TIMEOUT:-900}
if [ $# -ne 4 ]; then
	echo "usage: $0 KERNEL_DIR INITRD BUILD RESULTS (BUILD, RESULTS relative to the checkout)" >&2
	exit 2
fi
kdir=$1 initrd=$2 build=$3 results=$4
checkout=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(cat "$kdir/arch")
ninep=security_model=none,multidevs=remap
# Single-threaded TCG: both vCPUs take turns on one host thread. With thread=multi a vCPU
# could run a stale translation of code the other had just patched (a tracepoint's int3):
# "Oops: int3" in ttwu_do_activate on 6.12 and 7.x, about one guest in five. Single costs
# about 20% (the five guests in 304 s against about 250 s). TCG_THREAD=multi to compare.
args=(-accel "tcg,thread=${TCG_THREAD:-single}" -smp 2 -m 2G -display none -monitor none -no-reboot
	-kernel "$kdir/vmlinuz" -initrd "$initrd"
	-virtfs "local,path=$checkout,mount_tag=checkout,$ninep")
append="panic=-1 loglevel=4 wattlet.checkout=$checkout wattlet.build=$build wattlet.results=$results"
case $arch in
amd64)
	qemu=qemu-system-x86_64
	args+=(-machine q35 -cpu max -virtfs "local,path=/,mount_tag=hostroot,readonly=on,$ninep")
	append="console=ttyS0 wattlet.root=host $append"
	;;
arm64)
	# pauth-impdef: plain -cpu max emulates pointer authentication, 5 times slower
	qemu=qemu-system-aarch64
	args+=(-machine virt -cpu max,pauth-impdef=on)
	append="console=ttyAMA0 wattlet.root=initrd $append"
	;;
*)
	echo "boot: unknown architecture $arch" >&2
	exit 1
	;;
esac
mkdir -p "$checkout/$results"
rm -f "$checkout/$results"/*
timeout "$GUEST_TIMEOUT" "$qemu" "${args[@]}" -serial "file:$checkout/$results/console.log" \
	-append "$append" </dev/null
