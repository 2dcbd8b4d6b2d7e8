#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run a long command with a progress line on stderr every so often, so that
# a wait is never silent: "WHAT: 1:40 elapsed (312 files written so far)".
# Its stdout and stderr pass through; its exit status is ours. A command
# done before the first progress line leaves no line at all.
#
# usage: lib/with_progress.sh [--every S] [--count DIR [--of N]] WHAT -- COMMAND...
#   --every S    seconds between progress lines (default 20)
#   --count DIR  also say how many *.o files under DIR were written since
#                the start (a kernel or selftest build's progress)
#   --of N       ... of about N in all
set -euo pipefail

usage() {
	echo "usage: $0 [--every S] [--count DIR [--of N]] WHAT -- COMMAND...; '$0 --help' for more"
}
every=20 count='' of='' what=''
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--every)
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
			echo "with_progress.sh: --every wants whole seconds" >&2; usage >&2; exit 2
		fi
		every=$2; shift 2 ;;
	--count) [ $# -ge 2 ] || { echo "with_progress.sh: --count needs a directory" >&2; usage >&2; exit 2; }
		count=$2; shift 2 ;;
	--of)
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
			echo "with_progress.sh: --of wants a whole number" >&2; usage >&2; exit 2
		fi
		of=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "with_progress.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	*) [ -z "$what" ] || { echo "with_progress.sh: one WHAT only, then -- COMMAND" >&2; usage >&2; exit 2; }
		what=$1; shift ;;
	esac
done
if [ -z "$what" ] || [ $# -eq 0 ]; then
	echo "with_progress.sh: give WHAT -- COMMAND..." >&2; usage >&2; exit 2
fi

mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
stamp=$(mktemp "${TMPDIR:-/tmp}/exitbench-progress.XXXXXX")
start=$(date +%s)
"$@" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$stamp"' EXIT
trap 'exit 130' INT TERM
said=0
while kill -0 "$pid" 2>/dev/null; do
	for ((i = 0; i < every * 4; i++)); do
		kill -0 "$pid" 2>/dev/null || break 2
		sleep 0.25
	done
	extra=''
	if [ -n "$count" ] && [ -d "$count" ]; then
		extra=" ($(find "$count" -name '*.o' -newer "$stamp" 2>/dev/null | wc -l)${of:+ of about $of} objects compiled so far)"
	fi
	echo "$what: $(mmss $(($(date +%s) - start))) elapsed$extra" >&2
	said=1
done
rc=0
wait "$pid" || rc=$?
trap - EXIT
rm -f "$stamp"
if [ "$rc" -eq 0 ] && [ "$said" -eq 1 ]; then
	echo "$what: done in $(mmss $(($(date +%s) - start)))" >&2
fi
exit "$rc"
