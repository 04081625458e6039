#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what is missing, build, and run every test. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
make -j"$(nproc)" tests-build fuzz-build
# The same sources instrumented (tests/run.sh runs them after the plain build).
make -j"$(nproc)" SANITIZE=address,undefined tests-build
make -j"$(nproc)" SANITIZE=thread tests-build
# The image's tests (tests/e2e/image_*.sh) read build/wattlet-image*.tar: a failed image build
# shows there, as their failure with this log, rather than stopping every other test here.
# On amd64 the arm64 image is cross-built too.
if { make image && { [ "$(dpkg --print-architecture)" != amd64 ] || make image IMAGE_ARCH=arm64; }; } \
	>build/image.log 2>&1; then
	grep '^image: ' build/image.log || true
else
	echo "test: make image failed (build/image.log)" >&2
fi
exec tests/run.sh
