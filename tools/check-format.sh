#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Check that every tracked C file is laid out as .clang-format says. The
# format is that of Debian 12's clang-format 14.0.6 (package clang-format):
# other major versions lay the same code out differently, so they are refused
# rather than trusted. Exit 0 when every file matches; otherwise print each
# file that differs with the start of its diff and exit 1. To reformat:
#   git ls-files -z -- '*.c' '*.h' | xargs -0 clang-format -i
# Usage: tools/check-format.sh   (CLANG_FORMAT: the binary, default clang-format)
set -u
cd "$(dirname "$0")/.." || exit 1
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
WANT_MAJOR=14
DIFF_LINES=20	# of each differing file's diff

if ! command -v "$CLANG_FORMAT" >/dev/null; then
	echo "check-format: $CLANG_FORMAT not found: install Debian 12's clang-format (tools/install-deps.sh)"
	exit 1
fi
version=$("$CLANG_FORMAT" --version | sed -n 's/.*clang-format version \([0-9][0-9.]*\).*/\1/p')
if [ "${version%%.*}" != "$WANT_MAJOR" ]; then
	echo "check-format: $CLANG_FORMAT is version ${version:-unknown}; the format is clang-format $WANT_MAJOR's (Debian 12)"
	exit 1
fi
if [ ! -f .clang-format ]; then
	echo "check-format: no .clang-format at the top of the tree"
	exit 1
fi
# Sources generated at build time (vmlinux.h, skeletons) are never tracked.
if ! files=$(git ls-files -- '*.c' '*.h' 2>/dev/null) || [ -z "$files" ]; then
	echo "check-format: no tracked C files: run it in a git checkout of wattlet"
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
checked=0 differ=0
while read -r f; do
	checked=$((checked + 1))
	if ! "$CLANG_FORMAT" --style=file "$f" >"$tmp/out" 2>"$tmp/err"; then
		echo "$f: clang-format failed: $(head -n 1 "$tmp/err")"
		differ=$((differ + 1))
	elif ! diff -u --label "$f" --label "$f (clang-format)" "$f" "$tmp/out" >"$tmp/diff"; then
		echo "$f: not laid out as .clang-format says:"
		head -n "$DIFF_LINES" "$tmp/diff" | sed 's/^/    /'
		[ "$(wc -l <"$tmp/diff")" -gt "$DIFF_LINES" ] && echo "    ..."
		differ=$((differ + 1))
	fi
done <<<"$files"

echo "check-format: $checked files, $differ not formatted (clang-format $version)"
[ "$differ" -eq 0 ]
