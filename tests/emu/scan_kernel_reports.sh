#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scan kernel logs (dmesg.txt or console.log of a boot) for the reports of
# the debug kernel's checkers: KASAN, UBSAN, KFENCE, lockdep, might_sleep,
# BUG and WARNING. Prints every report with the lines that follow it (the
# splat) and exits 1 if there is one; 0 if none; 2 on bad usage. A report
# line matching an --allow regex is printed as allowed and not counted (a
# known warning of an emulator's own making, named by the caller).
set -euo pipefail

usage() {
	echo "Usage: $0 [--context N] [--allow ERE]... LOG..."
	echo "  --context N  lines shown after each report line (default 40)"
	echo "  --allow ERE  a report line matching ERE is shown as allowed, not counted"
	echo "Exit status: 0 no report, 1 reports found (printed), 2 usage."
}
context=40
allow=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--context)
		[[ ${2:-} =~ ^[0-9]+$ ]] || { echo "$0: --context wants a number of lines" >&2; exit 2; }
		context=$2; shift 2 ;;
	--allow)
		[ -n "${2:-}" ] || { echo "$0: --allow wants an extended regex" >&2; exit 2; }
		rc=0
		grep -qE -- "$2" /dev/null 2>/dev/null || rc=$?
		[ "$rc" -ne 2 ] || { echo "$0: --allow '$2': not an extended regex" >&2; exit 2; }
		allow+=("$2"); shift 2 ;;
	--) shift; break ;;
	-*) echo "$0: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
for f in "$@"; do
	if [ ! -f "$f" ] || [ ! -r "$f" ]; then
		echo "$0: $f: no such readable file" >&2
		exit 2
	fi
done

# The first line of each kind of report (mm/kasan/report.c, lib/ubsan.c,
# mm/kfence/report.c, kernel/locking/lockdep.c, kernel/sched/core.c,
# include/asm-generic/bug.h's "WARNING:" and "BUG:" lines).
re='KASAN:|UBSAN:|KFENCE:|BUG:|WARNING:|possible circular locking|possible recursive locking|inconsistent lock state|sleeping function called from invalid context|suspicious RCU usage|Kernel panic'
found=0
for f in "$@"; do
	for a in ${allow[@]+"${allow[@]}"}; do
		grep -n -E "$re" "$f" | grep -E -- "$a" | awk -v p="# $f: allowed (--allow '$a'): " '{ print p $0 }' || true
	done
	lines=$(grep -n -E "$re" "$f" || true)
	for a in ${allow[@]+"${allow[@]}"}; do
		lines=$(grep -v -E -- "$a" <<<"$lines" || true)
	done
	[ -n "$lines" ] || continue
	n=$(wc -l <<<"$lines")
	found=$((found + n))
	echo "# $f: $n report line(s):"
	while IFS=: read -r ln _; do
		sed -n "${ln},$((ln + context))p" "$f" | awk -v n="$ln" '{ printf "#   %d%s%s\n", n + NR - 1, NR == 1 ? ":" : "-", $0 }'
	done <<<"$lines"
done
[ "$found" -eq 0 ]
