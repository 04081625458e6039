#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What the built image holds (make image: $OUTPUT/wattlet-image.tar, and on amd64 also
# make image IMAGE_ARCH=arm64: wattlet-image-arm64.tar), read from the archives themselves,
# without running them (image_containerd.sh runs the host's):
#   - a docker-archive of one image tagged localhost/wattlet:VERSION, VERSION being what the
#     agent built from this checkout prints; OCI labels for version, revision and source;
#     the DaemonSet's entrypoint, user and port; at most 25 MB;
#   - only the agent: /usr/bin/wattlet and wattctl, the shared libraries they load, the SBOM;
#     no shell, no package manager; every ELF file built for the image's architecture, every
#     library it needs inside the image (binutils' readelf, not the image's own loader, so
#     that an arm64 image is checked on an amd64 machine);
#   - its SBOM: valid CycloneDX 1.6 by the CycloneDX schema, the same in the image as beside
#     the archive, naming every path of the image with its SHA-256 or link target, and each
#     library under the Debian package dpkg on this machine says ships it (with identical
#     bytes where this machine has that package at the same version).
set -uo pipefail
. tests/deploy/lib.sh

OUT=${OUTPUT:-build}	# where make image wrote the archives
MAX_BYTES=25000000	# the issue's limit: 25 MB, unpacked
SBOM=/usr/share/doc/wattlet/sbom.cdx.json
# The image's files other than libraries: each ELF executable in it must be one of these.
AGENT_FILES=(/usr/bin/wattlet /usr/bin/wattctl)
# Names a shell or a package manager would have, anywhere in the image.
FORBIDDEN='^(sh|bash|dash|ash|busybox|zsh|dpkg|dpkg-query|apt|apt-get|apt-cache|rpm|yum|dnf|apk|microdnf)$'

# Unpack archive $1 into $2: its manifest, config and the one layer.
unpack() {
	local archive=$1 dir=$2
	mkdir -p "$dir/archive" "$dir/root" &&
		tar -C "$dir/archive" -xf "$archive" &&
		python3 - "$dir" <<-'EOF'
		import json, os, sys, tarfile
		d = sys.argv[1]
		m = json.load(open(f"{d}/archive/manifest.json"))
		assert len(m) == 1, f"{len(m)} images in the archive"
		assert len(m[0]["Layers"]) == 1, f"{len(m[0]['Layers'])} layers"
		json.dump({"tags": m[0]["RepoTags"], "layer": m[0]["Layers"][0],
			"config": json.load(open(f"{d}/archive/{m[0]['Config']}"))}, open(f"{d}/image.json", "w"))
		EOF
	tar -C "$dir/root" -xf "$dir/archive/$(jq_ "$dir" 'print(i["layer"])')"
}

jq_() {
	python3 -c "import json; i = json.load(open('$1/image.json'))
$2"
}

tagged() {
	local got
	got=$(jq_ "$1" 'print(" ".join(i["tags"]))')
	[ "$got" = "localhost/wattlet:$VERSION" ] || { echo "tags: $got, want localhost/wattlet:$VERSION"; return 1; }
}

configured() {
	local dir=$1 arch=$2 port
	port=$(awk '/containerPort:/ { print $2; exit }' deploy/kubernetes/daemonset.yaml)
	jq_ "$dir" "
c, want = i['config'], {'os': 'linux', 'architecture': '$arch'}
got = {k: c.get(k) for k in want}
assert got == want, f'platform {got}, want {want}'
cfg = c['config']
assert cfg.get('Entrypoint') == ['/usr/bin/wattlet'], cfg.get('Entrypoint')
assert cfg.get('User') == '0:0', cfg.get('User')
assert list(cfg.get('ExposedPorts', {})) == ['$port/tcp'], cfg.get('ExposedPorts')
print('linux/$arch, entrypoint /usr/bin/wattlet, user 0:0, port $port')"
}

labelled() {
	jq_ "$1" "
l = i['config']['config'].get('Labels', {})
want = {'org.opencontainers.image.version': '$VERSION', 'org.opencontainers.image.revision': '$REVISION'}
for k, v in want.items():
    assert l.get(k) == v, f'{k}={l.get(k)!r}, want {v!r}'
src = l.get('org.opencontainers.image.source', '')
assert src, 'no org.opencontainers.image.source'
print(f'version {l[\"org.opencontainers.image.version\"]}, revision {l[\"org.opencontainers.image.revision\"][:12]}, source {src}')"
}

small() {
	local dir=$1 layer files
	layer=$(stat -c %s "$dir/archive/$(jq_ "$dir" 'print(i["layer"])')")
	files=$(find "$dir/root" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
	awk -v l="$layer" -v f="$files" -v max="$MAX_BYTES" -v a="$(stat -c %s "$3")" 'BEGIN {
		printf "layer %.1f MB (files %.1f MB), archive %.1f MB; limit %.0f MB\n", l / 1e6, f / 1e6, a / 1e6, max / 1e6
		exit !(l <= max) }'
}

# Every path is an agent file, the SBOM, a shared library (ELF with a soname), or a directory or
# a link on the way to one of those.
only_the_agent() {
	local root=$1 path rel bad=0
	while IFS= read -r path; do
		rel=${path#"$root"}
		if [ -L "$path" ] || [ -d "$path" ]; then
			continue
		elif printf '%s\n' "${AGENT_FILES[@]}" "$SBOM" | grep -qxF "$rel"; then
			continue
		elif readelf -d "$path" 2>/dev/null | grep -q '(SONAME)'; then
			continue
		fi
		echo "not the agent's: $rel ($(file -b "$path" | cut -c1-60))"
		bad=1
	done < <(find "$root" -mindepth 1)
	echo "$(find "$root" -type f | wc -l) files, $(find "$root" -type l | wc -l) links"
	return $bad
}

no_shell_no_package_manager() {
	local found
	found=$(find "$1" -mindepth 1 -printf '%f\n' | grep -E "$FORBIDDEN")
	[ -z "$found" ] || { echo "found: $found"; return 1; }
	[ ! -e "$1/var/lib/dpkg" ] && [ ! -e "$1/etc/apt" ] || { echo "a package database"; return 1; }
}

sbom_beside() {
	cmp "$1/root$SBOM" "${2%.tar}.cdx.json"
}

# The SBOM names every path of the image but itself: files with their SHA-256, links with their
# target, each once; its version and architecture are the image's.
sbom_matches() {
	python3 - "$1/root" "$SBOM" "$VERSION" "$2" <<-'EOF'
	import hashlib, json, os, sys
	root, sbom, version, arch = sys.argv[1:]
	bom = json.load(open(root + sbom))
	meta = bom["metadata"]["component"]
	props = {p["name"]: p["value"] for p in meta.get("properties", [])}
	assert meta["version"] == version, f"SBOM version {meta['version']}, want {version}"
	assert props.get("architecture") == arch, f"SBOM architecture {props.get('architecture')}, want {arch}"
	listed = {}
	def walk(cs):
	    for c in cs:
	        if c["type"] == "file":
	            assert c["name"] not in listed, f"{c['name']} listed twice"
	            listed[c["name"]] = c
	        walk(c.get("components", []))
	walk(bom["components"])
	present = set()
	for d, dirs, files in os.walk(root):
	    for n in dirs + files:
	        p = os.path.join(d, n)
	        if os.path.islink(p) or not os.path.isdir(p):
	            present.add(p[len(root):])
	present.discard(sbom)
	bad = [f"not in the SBOM: {p}" for p in sorted(present - set(listed))]
	bad += [f"not in the image: {p}" for p in sorted(set(listed) - present)]
	for p in sorted(present & set(listed)):
	    c, full = listed[p], root + p
	    if os.path.islink(full):
	        want = [{"name": "symlink", "value": os.readlink(full)}]
	        if c.get("properties") != want:
	            bad.append(f"{p}: SBOM says {c.get('properties')}, the image links to {os.readlink(full)}")
	    else:
	        h = hashlib.sha256(open(full, "rb").read()).hexdigest()
	        if c.get("hashes") != [{"alg": "SHA-256", "content": h}]:
	            bad.append(f"{p}: SBOM hash {c.get('hashes')}, the image's file {h}")
	print("\n".join(bad) or f"{len(listed)} paths, each with its hash or link target")
	sys.exit(1 if bad else 0)
	EOF
}

# Each library's package is the one dpkg on this machine says owns that path; where this
# machine has the same package, version and architecture, the bytes are the same too.
sbom_packages_true() {
	python3 - "$1/root" "$SBOM" <<-'EOF'
	import hashlib, json, os, subprocess, sys
	root, sbom = sys.argv[1:]
	bom = json.load(open(root + sbom))
	def dpkg(*args):
	    r = subprocess.run(["dpkg-query", *args], capture_output=True, text=True)
	    return r.stdout if r.returncode == 0 else ""
	bad, same, owners = [], 0, 0
	for pkg in bom["components"]:
	    if pkg["type"] != "library":
	        continue
	    arch = pkg["purl"].split("arch=")[1].split("&")[0]
	    have = dpkg("-W", "-f", "${Version}", f"{pkg['name']}:{arch}")
	    for f in pkg["components"]:
	        path = f["name"]
	        names = {path, path.removeprefix("/usr")} | ({"/usr" + path} if not path.startswith("/usr/") else set())
	        out = "".join(dpkg("-S", n) for n in names)
	        if out:
	            owners += 1
	            who = {l.split(": ")[0] for l in out.splitlines()}
	            if f"{pkg['name']}:{arch}" not in who:
	                bad.append(f"{path}: SBOM says {pkg['name']}:{arch}, dpkg here says {', '.join(who)}")
	        if have == pkg["version"] and "hashes" in f:
	            host = next((n for n in names if os.path.isfile(n) and not os.path.islink(n)), None)
	            if host:
	                h = hashlib.sha256(open(host, "rb").read()).hexdigest()
	                if h != f["hashes"][0]["content"]:
	                    bad.append(f"{path}: differs from {host} of {pkg['name']} {have}")
	                same += 1
	print("\n".join(bad) or f"{owners} paths owned as the SBOM says; {same} files byte-identical to this machine's same package version")
	sys.exit(1 if bad or owners == 0 else 0)
	EOF
}

check_archive() {
	local archive=$1 arch=$2 dir=$T/$2
	if ! [ -f "$archive" ]; then
		not_ok "$archive exists (make image${3:+ IMAGE_ARCH=$arch})"
		[ -f "$OUT/image.log" ] && tail -5 "$OUT/image.log"
		return
	fi
	if ! check "$archive unpacks: one image, one layer" unpack "$archive" "$dir"; then
		return
	fi
	check "$arch: tagged localhost/wattlet:$VERSION only" tagged "$dir"
	measure "$arch: platform, entrypoint, user and port" configured "$dir" "$arch"
	measure "$arch: OCI labels version, revision, source" labelled "$dir"
	measure "$arch: at most 25 MB" small "$dir" "$arch" "$archive"
	measure "$arch: only the agent's files, the libraries they load and the SBOM" only_the_agent "$dir/root"
	check "$arch: no shell and no package manager" no_shell_no_package_manager "$dir/root"
	check "$arch: every ELF file is $arch and finds its libraries in the image" \
		python3 "$DEPLOY_TOOLS/image_elf.py" "$dir/root" "$arch"
	check "$arch: the SBOM in the image is the one beside the archive" sbom_beside "$dir" "$archive"
	measure "$arch: the SBOM is valid CycloneDX 1.6 (CycloneDX's strict schema)" \
		node "$DEPLOY_TOOLS/check-sbom.js" "$dir/root$SBOM"
	measure "$arch: the SBOM names every path with its hash or link target" sbom_matches "$dir" "$arch"
	measure "$arch: the SBOM's packages are the ones dpkg says ship those files" sbom_packages_true "$dir"
}

# The schema check can fail: a hash algorithm CycloneDX does not name is refused.
schema_self_test() {
	sed 's/"SHA-256"/"SHA256"/' "$T/$HOST_ARCH/root$SBOM" >"$T/bad.cdx.json"
	! node "$DEPLOY_TOOLS/check-sbom.js" "$T/bad.cdx.json" >"$T/bad.out" 2>&1 &&
		grep -q 'hash-alg' "$T/bad.out"
}

main() {
	need_node_modules || { echo "FAIL: no node modules"; exit 1; }
	T=$(mktemp -d /tmp/wattlet-image-contents.XXXXXX)
	trap 'rm -rf "$T"' EXIT
	VERSION=$(make -s version)	# git describe: what the image must report
	REVISION=$(git rev-parse HEAD)
	HOST_ARCH=$(dpkg --print-architecture)
	check_archive "$OUT/wattlet-image.tar" "$HOST_ARCH"
	# The arm64 image, cross-built on amd64: checked here by its ELF headers, since it cannot run.
	[ "$HOST_ARCH" = amd64 ] && check_archive "$OUT/wattlet-image-arm64.tar" arm64 cross
	[ -d "$T/$HOST_ARCH/root" ] && check "the SBOM check refuses a document off the schema" schema_self_test
	finish
}

main "$@"
