#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the path of the kernel under test that 'make kernel' builds (the
# environment as kernel/build.sh reads it: STOCK=1, LINUX=6.1, ...), and
# build it first, with a progress line every 20 s, when none is built for
# these inputs: the first './run_all.sh --env ...' of a fresh clone needs no
# 'make kernel' first. With --dry-run, build nothing: print the path when it
# is built, else say on stderr that it would be.
# Exit status: 0 the path is on stdout (dry run: or it would be built),
# 2 usage, 3 the build failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
dry_run=0
case "${1:-}" in
-h | --help) sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
--dry-run) dry_run=1 ;;
"") ;;
*)
	echo "kernel_under_test.sh: unknown argument '$1'" >&2
	echo "usage: emu/kernel_under_test.sh [--dry-run]; 'emu/kernel_under_test.sh --help' for more" >&2
	exit 2 ;;
esac

flavor=patched
[ "${STOCK:-0}" != 1 ] || flavor=stock
if path=$("$top/kernel/build.sh" --print-path 2>/dev/null) && [ -f "$path" ]; then
	echo "$path"
	exit 0
fi
if [ "$dry_run" -eq 1 ]; then
	echo "kernel_under_test.sh: no $flavor kernel under test is built yet: it would be built first (kernel/build.sh)" >&2
	exit 0
fi
echo "kernel under test: no $flavor ${LINUX:-6.12} kernel built for these inputs yet: building it now" \
	"(kernel/build.sh: about 3 min on 2 idle cores, 10 or more under load; cached for the next runs)" >&2
rc=0
# About 1170 objects: tinyconfig and kernel/config/*.config, 6.12 (2026-12).
path=$("$top/lib/with_progress.sh" --count "${BUILD_DIR:-$top/build/kernel}" --of 1170 \
	"building the $flavor kernel under test" -- "$top/kernel/build.sh" | tail -n 1) || rc=$?
if [ "$rc" -ne 0 ] || [ ! -f "$path" ]; then
	echo "kernel_under_test.sh: the kernel build failed (kernel/build.sh exit $rc; its messages are above)" >&2
	exit 3
fi
echo "$path"
