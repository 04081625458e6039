#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Exec a command the way a container runtime would for the wattlet DaemonSet: chroot into
the image root, keep only the capabilities the pod spec adds (capabilities.drop: [ALL]),
set no_new_privs (allowPrivilegeEscalation: false) and replace the environment. The command
is killed when the script that started it dies.

  contain.py ROOT CAPS NAME=VALUE... -- COMMAND [ARG...]     CAPS: BPF,PERFMON or ""

Runs as uid 0, like the pod (runAsUser: 0): at exec a root process gets exactly the
bounding set, so dropping every other capability from it is what the runtime does."""
import ctypes
import os
import sys

CAPS = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
        "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
        "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
        "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
        "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
        "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SIGKILL = 9


def main(argv):
    if "--" not in argv or len(argv) < 4:
        sys.exit(__doc__)
    sep = argv.index("--")
    root, caps, pairs, cmd = argv[1], argv[2], argv[3:sep], argv[sep + 1:]
    keep = {c.strip().upper().removeprefix("CAP_") for c in caps.split(",") if c.strip()}
    unknown = keep - set(CAPS)
    if unknown:
        sys.exit(f"contain: unknown capabilities {sorted(unknown)}")
    env = dict(p.split("=", 1) for p in pairs)
    libc = ctypes.CDLL(None, use_errno=True)
    last = int(open("/proc/sys/kernel/cap_last_cap").read())

    os.chroot(root)
    os.chdir("/")
    for num in range(last + 1):
        name = CAPS[num] if num < len(CAPS) else str(num)
        if name not in keep and libc.prctl(PR_CAPBSET_DROP, num, 0, 0, 0):
            sys.exit(f"contain: cannot drop CAP_{name}: {os.strerror(ctypes.get_errno())}")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
        sys.exit("contain: cannot set no_new_privs")
    # A test harness, not a runtime: die with the script that started us, however it ends.
    libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)
    os.execve(cmd[0], cmd, env)


if __name__ == "__main__":
    main(sys.argv)
