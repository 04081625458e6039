#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The image's SBOM: every path the image holds, as a CycloneDX 1.6 JSON document.

  deploy/sbom.py ROOT VERSION < PATHS > sbom.cdx.json

PATHS is what deploy/rootfs.sh printed: each path it placed under ROOT, one a line. Each
regular file is listed with its SHA-256, each symlink with its target, inside the component
that shipped it: wattlet itself for /usr/bin/wattlet and /usr/bin/wattctl, otherwise the
Debian package that dpkg says owns the path on this (the build) machine. Links to
directories (/lib -> usr/lib: Debian's merged /usr) belong to no package and are listed on
their own. The document holds no time and no random number: the same files, the same bytes."""
import hashlib
import json
import os
import subprocess
import sys
import uuid

OWN_FILES = {"/usr/bin/wattlet", "/usr/bin/wattctl"}
LICENSE = "LGPL-2.1 OR BSD-2-Clause"


def usage():
    sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
    sys.exit(2)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def aliases(path):
    """The names dpkg may know a path by: bookworm's merged /usr ships some files as /lib/..."""
    for top in ("/lib", "/lib64", "/bin", "/sbin"):
        if path.startswith("/usr" + top + "/"):
            return [path, path[len("/usr"):]]
        if path.startswith(top + "/"):
            return [path, "/usr" + path]
    return [path]


def owners(paths):
    """{path: ["name:arch", ...]} for every path dpkg knows, asked in one dpkg-query call."""
    query = sorted({a for p in paths for a in aliases(p)})
    out = subprocess.run(["dpkg-query", "-S", *query], capture_output=True, text=True).stdout
    by_alias = {}
    for line in out.splitlines():
        pkgs, _, path = line.partition(": ")
        if not path or pkgs.startswith("diversion "):
            continue
        by_alias[path] = pkgs.split(", ")
    found = {}
    for p in paths:
        for a in aliases(p):
            if a in by_alias:
                found[p] = by_alias[a]
                break
    return found


def package_component(pkg):
    name = pkg.partition(":")[0]
    fields = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}\t${Architecture}\t${source:Package}\t${Maintainer}", pkg],
        capture_output=True, text=True, check=True).stdout.split("\t")
    version, arch, source, maintainer = fields
    purl = f"pkg:deb/debian/{name}@{version.replace('+', '%2B').replace(':', '%3A')}?arch={arch}&distro=debian-{os_version()}"
    return {
        "type": "library",
        "bom-ref": purl,
        "supplier": {"name": "Debian"},
        "author": maintainer,
        "name": name,
        "version": version,
        "purl": purl,
        "properties": [{"name": "debian:source", "value": source}],
        "components": [],
    }


def os_version():
    with open("/etc/os-release") as f:
        info = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    return info.get("VERSION_ID", "").strip('"')


def file_component(root, path):
    full = root + path
    c = {"type": "file", "bom-ref": "file:" + path, "name": path}
    if os.path.islink(full):
        c["properties"] = [{"name": "symlink", "value": os.readlink(full)}]
    else:
        c["hashes"] = [{"alg": "SHA-256", "content": sha256(full)}]
    return c


def main(argv):
    if len(argv) != 3 or not os.path.isdir(argv[1]) or not argv[2]:
        usage()
    root, version = argv[1].rstrip("/"), argv[2]
    paths = [line.strip() for line in sys.stdin if line.strip()]
    missing = [p for p in paths if not os.path.lexists(root + p)]
    if missing:
        sys.exit(f"sbom: {root} has no {missing[0]}")
    own = {
        "type": "application",
        "bom-ref": "wattlet",
        "name": "wattlet",
        "version": version,
        "licenses": [{"expression": LICENSE}],
        "components": [],
    }
    layout = [p for p in paths if os.path.isdir(root + p)]
    owned = owners([p for p in paths if p not in OWN_FILES and p not in layout])
    for p in paths:
        if p not in OWN_FILES and p not in layout and len(owned.get(p, [])) != 1:
            sys.exit(f"sbom: {p} is owned by {len(owned.get(p, []))} Debian packages, not one")
    packages = {}
    for p in paths:
        if p in OWN_FILES:
            own["components"].append(file_component(root, p))
            continue
        if p in layout:
            continue
        pkg = owned[p][0]
        if pkg not in packages:
            packages[pkg] = package_component(pkg)
        packages[pkg]["components"].append(file_component(root, p))
    components = [own] + [packages[k] for k in sorted(packages)] + [file_component(root, p) for p in layout]
    # The image's architecture is its libraries': a cross build's are the target's.
    archs = {c["purl"].rpartition("arch=")[2].partition("&")[0] for c in packages.values()} - {"all"}
    if len(archs) != 1:
        sys.exit(f"sbom: the libraries are of {len(archs)} architectures: {sorted(archs)}")
    arch = archs.pop()
    digest = hashlib.sha256(json.dumps(components, sort_keys=True).encode()).hexdigest()
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "wattlet-image:" + digest)),
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "deploy/sbom.py"}]},
            "component": {
                "type": "container",
                "bom-ref": "image",
                "name": "wattlet",
                "version": version,
                "properties": [{"name": "architecture", "value": arch}],
            },
        },
        "components": components,
        "dependencies": [
            {"ref": "image", "dependsOn": [c["bom-ref"] for c in components]},
        ],
    }
    json.dump(bom, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
