#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what is missing, build, and run every test. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
make -j"$(nproc)" tests-build fuzz-build
exec tests/run.sh
