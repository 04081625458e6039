#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The real-GPU check (tools/gpu-check.sh) where the machine has an NVIDIA GPU;
# elsewhere it says "no GPU: real-GPU check not run" and is skipped (exit 77).
exec "$(dirname "$0")/../../tools/gpu-check.sh"
