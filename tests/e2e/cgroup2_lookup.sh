#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The shell tests' one way to find a mount (tests/cgroup2.sh): the type is read after the
# " - " separator, so zero, one or two optional fields all give the same answer (the old
# '$9 == "cgroup2"' lookups read the mount source when there is no optional field, and the
# separator itself when there are two: nothing found), and on this machine it agrees with
# util-linux's findmnt.
set -u
fail=0
check() { # description, condition...
	local what=$1
	shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
. tests/cgroup2.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%s\n' \
	'24 1 0:22 / /sys rw - sysfs sysfs rw' \
	'31 24 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755' \
	'32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu' \
	'41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw' >"$tmp/none"
printf '%s\n' '25 20 0:22 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw' >"$tmp/one"
printf '%s\n' '30 25 0:26 / /host/my\040cgroups rw shared:1 master:2 - cgroup2 none rw' \
	>"$tmp/two"
printf '%s\n' '32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu' \
	'33 31 0:30 / /x rw - cgroup2fs x rw' >"$tmp/v1"

check "no optional field: $(mount_of cgroup2 "$tmp/none")" \
	[ "$(mount_of cgroup2 "$tmp/none")" = /sys/fs/cgroup/unified ]
check "one optional field: $(mount_of cgroup2 "$tmp/one")" \
	[ "$(mount_of cgroup2 "$tmp/one")" = /sys/fs/cgroup ]
check "two optional fields, escaped space: $(mount_of cgroup2 "$tmp/two")" \
	[ "$(mount_of cgroup2 "$tmp/two")" = "/host/my cgroups" ]
check "v1 only, and a type that merely starts with cgroup2: nothing" \
	[ -z "$(mount_of cgroup2 "$tmp/v1")" ]
check "a v1 hierarchy by its type: $(mount_of cgroup "$tmp/none")" \
	[ "$(mount_of cgroup "$tmp/none")" = /sys/fs/cgroup/cpu ]
want=$(findmnt -n -t cgroup2 -o TARGET | head -1)
check "this machine: $(cgroup2_root), findmnt says $want" [ "$(cgroup2_root)" = "$want" ]
exit $fail
