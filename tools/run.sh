#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what is missing, build, and start the agent with its defaults
# (extra arguments go to wattlet). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --build
make -j"$(nproc)" >&2
exec build/wattlet "$@"
