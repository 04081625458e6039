# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Where a filesystem is mounted, for the shell tests. Source it; not a test.
# mountinfo's fields are "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE
# SOURCE SUPER": the type is the field after the " - " separator, never a fixed column,
# since the optional fields (shared:N, master:N, ...) vary in number.

# mount_of FSTYPE [MOUNTINFO]: the first mount point of that type (escapes such as \040
# decoded), from /proc/self/mountinfo unless another file is given.
mount_of() {
	awk -v type="$1" '{
		for (i = 7; i < NF; i++)
			if ($i == "-") {
				if ($(i + 1) == type) {
					print $5
					exit
				}
				break
			}
	}' "${2:-/proc/self/mountinfo}" | sed 's/\\040/ /g; s/\\011/\t/g; s/\\012/\n/g; s/\\134/\\/g'
}

# The cgroup v2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts.
cgroup2_root() {
	mount_of cgroup2
}
