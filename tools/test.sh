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
exec tests/run.sh
