#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The ELF files of an unpacked image root, read with binutils' readelf, for images that
cannot run here (tests/e2e/image_contents.sh):

  image_elf.py ROOT ARCH     ARCH: amd64 or arm64

Prints each ELF file as "PATH TYPE MACHINE", then checks that every one is built for ARCH,
that each executable's interpreter is in the image, and that every DT_NEEDED library of every
file resolves inside the image, to a file for the same machine, the way glibc's loader
searches when there is no ld.so.cache: /lib/TRIPLET, /usr/lib/TRIPLET, /lib, /usr/lib.
Symlinks are followed inside ROOT, never out to the host. Exit 1 on a problem, 2 on usage."""
import os
import re
import subprocess
import sys

ARCHES = {
    "amd64": ("Advanced Micro Devices X86-64", "x86_64-linux-gnu"),
    "arm64": ("AArch64", "aarch64-linux-gnu"),
}


def inside(root, path, depth=0):
    """PATH resolved inside ROOT (absolute links are ROOT-relative); None when it leads nowhere."""
    if depth > 40:
        return None
    parts = [p for p in path.split("/") if p]
    cur = "/"
    for i, part in enumerate(parts):
        nxt = os.path.join(cur, part)
        full = root + nxt
        if os.path.islink(full):
            target = os.readlink(full)
            base = target if target.startswith("/") else os.path.normpath(os.path.join(cur, target))
            return inside(root, "/".join([base] + parts[i + 1:]), depth + 1)
        if not os.path.lexists(full):
            return None
        cur = nxt
    return cur


def readelf(args, path):
    r = subprocess.run(["readelf", "-W", *args, path], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def elf_info(path):
    header = readelf(["-h"], path)
    if header is None:
        return None
    kind = re.search(r"Type:\s+(\S+)", header).group(1)
    machine = re.search(r"Machine:\s+(.+)", header).group(1).strip()
    dyn = readelf(["-d"], path) or ""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dyn)
    prog = readelf(["-l"], path) or ""
    interp = re.search(r"Requesting program interpreter: (.+?)\]", prog)
    return kind, machine, needed, interp.group(1) if interp else None


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def main(argv):
    if len(argv) != 3 or argv[2] not in ARCHES or not os.path.isdir(argv[1]):
        sys.exit(__doc__)
    root, arch = argv[1].rstrip("/"), argv[2]
    machine, triplet = ARCHES[arch]
    search = [f"/lib/{triplet}", f"/usr/lib/{triplet}", "/lib", "/usr/lib"]
    bad = 0
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            full = os.path.join(dirpath, name)
            path = full[len(root):]
            if os.path.islink(full) or not is_elf(full):
                continue
            kind, mach, needed, interp = elf_info(full)
            print(path, kind, mach)
            if mach != machine:
                print(f"  {path}: machine {mach}, want {machine}")
                bad += 1
            if interp and inside(root, interp) is None:
                print(f"  {path}: interpreter {interp} is not in the image")
                bad += 1
            for lib in needed:
                found = next((inside(root, f"{d}/{lib}") for d in search if inside(root, f"{d}/{lib}")), None)
                if found is None:
                    print(f"  {path}: needs {lib}, which is not in the image")
                    bad += 1
                elif elf_info(root + found)[1] != machine:
                    print(f"  {path}: {lib} resolves to {found}, not a {machine} file")
                    bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv)
