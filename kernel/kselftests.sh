#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build every x86_64 KVM selftest of the 6.12 tree (tools/testing/selftests/kvm,
# TEST_GEN_PROGS_x86_64 of its Makefile) as a static binary, from the tree
# kernel/selftest.sh keeps (linux-source-6.12 patched with kernel/patches/, so
# the series' own exit_stats_test is one of them), and copy them, stripped,
# into OUTDIR with OUTDIR/tests.list (one name a line).
# tests/emu/run_kselftests.sh runs them inside the kernels under test.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 OUTDIR

Writes the statically linked, stripped x86_64 KVM selftests of the patched
6.12 tree to OUTDIR (created or emptied; tests/emu/run_kselftests.sh gives
build/kselftests-ENV) and their names, one a line, to OUTDIR/tests.list.
make rebuilds only what changed in the tree under \$BUILD_DIR/selftest/
(kernel/selftest.sh).

Environment:
  BUILD_DIR=DIR  work directory (default <repo>/build/kernel)
EOF
}

die() {
	echo "$0: error: $*" >&2
	exit 1
}

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
"" | -*)
	usage >&2
	exit 2
	;;
esac
[[ $# -eq 1 ]] || { usage >&2; exit 2; }
outdir=$1
[[ ! -e $outdir || -d $outdir ]] || { echo "$0: $outdir exists and is not a directory" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${BUILD_DIR:-$(dirname "$here")/build/kernel}
# selftest.sh extracts and patches the tree when needed, runs make headers
# and builds the selftest library (with exit_stats_test).
tmp=$(mktemp -d /tmp/exitbench-kselftests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
BUILD_DIR=$build_dir "$here/selftest.sh" "$tmp/exit_stats_test" >/dev/null
kvm=$build_dir/selftest/linux-source-6.12/tools/testing/selftests/kvm
[[ -f $kvm/Makefile ]] || die "no $kvm/Makefile after kernel/selftest.sh"

exec 9>"$build_dir/.lock-selftest"
flock 9
echo "$0: building the x86_64 KVM selftests (static)" >&2
make -s -C "$kvm" OUTPUT="$kvm" EXTRA_CFLAGS=-static -j"$(nproc)" >&2 ||
	die "building the KVM selftests failed"
# The tree's own list (x86_64: TEST_GEN_PROGS), not a guess from the files.
# shellcheck disable=SC2016 # $(TEST_GEN_PROGS) is make's, not the shell's
progs=$(make -s -C "$kvm" OUTPUT="$kvm" --no-print-directory \
	--eval 'exitbench-print-progs: ; @echo $(TEST_GEN_PROGS)' exitbench-print-progs)
[[ -n $progs ]] || die "the selftests Makefile lists no TEST_GEN_PROGS"

mkdir -p "$outdir"
rm -f "$outdir"/*
: >"$outdir/tests.list.tmp"
for p in $progs; do
	name=${p##*/}
	[[ -x $p ]] || die "$p was not built"
	[[ ! -e $outdir/$name ]] || die "two tests named $name"
	strip -o "$outdir/$name" "$p"
	echo "$name" >>"$outdir/tests.list.tmp"
done
mv "$outdir/tests.list.tmp" "$outdir/tests.list"
echo "$0: $(wc -l <"$outdir/tests.list") tests in $outdir" >&2
