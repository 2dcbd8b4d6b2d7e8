#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the patch series' own KVM selftest (x86_64/exit_stats_test, added by
# the series) as a static binary, from a tree of Debian's linux-source-6.12
# (LINUX=6.1: linux-source-6.1) patched with kernel/patches/ (patches-6.1/),
# with that tree's selftest library and uapi headers.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 OUTPUT

Writes the statically linked exit_stats_test of the patch series to OUTPUT
(e.g. build/static/kvm_exit_stats_test; 'make build/static/kvm_exit_stats_test'
runs this). The tree, under \$BUILD_DIR/selftest[-\$LINUX]/, holds only what
the selftest build needs; it is extracted and patched again when the series
or the source package changes, and make rebuilds only what changed.

Environment:
  LINUX=6.1      use linux-source-6.1 and kernel/patches-6.1/ (default 6.12)
  SERIES=DIR     apply DIR/*.patch instead of the project's series
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
output=$1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${BUILD_DIR:-$repo/build/kernel}
linux=${LINUX:-6.12}
[[ $linux =~ ^[0-9]+\.[0-9]+$ ]] || die "LINUX=$linux: expected a version such as 6.12 or 6.1"
tarball=/usr/src/linux-source-$linux.tar.xz
[[ -r $tarball ]] || die "$tarball missing: apt-get install linux-source-$linux"
if [[ $linux == 6.12 ]]; then
	series_dir=$here/patches
	tag=
else
	series_dir=$here/patches-$linux
	tag=-$linux
fi
[[ -z ${SERIES:-} ]] || series_dir=$(realpath "$SERIES")
shopt -s nullglob
patches=()
for p in "$series_dir"/*.patch; do
	[[ ${p##*/} == 0000-cover-letter.patch ]] || patches+=("$p")
done
shopt -u nullglob
((${#patches[@]})) || die "no patches in $series_dir"

work=$build_dir/selftest$tag
src=$work/linux-source-$linux
stamp=$work/.series-sha256
want=$({
	sha256sum <"$tarball"
	for p in "${patches[@]}"; do sha256sum <"$p"; done
} | sha256sum | cut -d' ' -f1)

mkdir -p "$build_dir"
exec 9>"$build_dir/.lock-selftest$tag"
flock 9
if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
	echo "$0: extracting the parts of $tarball that the selftest needs into $work" >&2
	rm -rf "$work"
	mkdir -p "$work"
	# The top-level files and directories that 'make headers', the selftest
	# build and the series' patches need.
	tar -xJf "$tarball" -C "$work" --wildcards \
		"linux-source-$linux/Makefile" "linux-source-$linux/Kbuild" "linux-source-$linux/Kconfig" \
		"linux-source-$linux/scripts" "linux-source-$linux/include" "linux-source-$linux/arch/x86" \
		"linux-source-$linux/tools" "linux-source-$linux/virt" "linux-source-$linux/Documentation/virt" \
		"linux-source-$linux/Documentation/admin-guide/kernel-parameters.txt" "linux-source-$linux/usr"
	[[ -f $src/Makefile ]] || die "unexpected tarball layout: no $src/Makefile"
	for p in "${patches[@]}"; do
		patch -d "$src" -p1 --batch --forward --fuzz=0 --quiet <"$p" ||
			die "${p##*/} does not apply cleanly"
	done
	echo "$0: make headers" >&2
	make -s -C "$src" headers >&2 || die "make headers failed"
	echo "$want" >"$stamp"
fi

kvm=$src/tools/testing/selftests/kvm
[[ -f $kvm/x86_64/exit_stats_test.c ]] || die "the series adds no tools/testing/selftests/kvm/x86_64/exit_stats_test.c"
echo "$0: building exit_stats_test (static)" >&2
make -s -C "$kvm" OUTPUT="$kvm" EXTRA_CFLAGS=-static "$kvm/x86_64/exit_stats_test" >&2 ||
	die "building exit_stats_test failed"
mkdir -p "$(dirname "$output")"
cp "$kvm/x86_64/exit_stats_test" "$output.tmp.$$"
mv "$output.tmp.$$" "$output"
echo "$output"
