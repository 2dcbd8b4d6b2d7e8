#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build a kernel under test: Debian's linux-source-6.12 (or, with LINUX=6.1,
# linux-source-6.1) with the patch series in kernel/patches/
# (kernel/patches-6.1/), without it (STOCK=1), or with another series
# (SERIES=DIR, e.g. a test fixture), configured from tinyconfig plus
# kernel/config/*.config (and EXTRA_CONFIG). Prints the path of the bzImage.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--print-path] [--help]

Build a bzImage of Debian's linux-source-\$LINUX (default 6.12), patched
with kernel/patches/*.patch (6.12) or kernel/patches-\$LINUX/*.patch,
unpatched with STOCK=1, or patched with SERIES=DIR/*.patch; configured
from tinyconfig + kernel/config/*.config + EXTRA_CONFIG. The last line
printed is the path of the bzImage. --print-path prints the path of an
already built image for the same inputs and builds nothing (exit 1 when
there is none).

Environment:
  LINUX=6.1          build linux-source-6.1 with kernel/patches-6.1/
                     (default 6.12); trees and outputs are separate
  STOCK=1            build the unpatched kernel
  SERIES=DIR         apply DIR/*.patch (in name order, a 0000-cover-letter
                     skipped) instead of the project's series
  EXTRA_CONFIG=FILES more config fragments (space-separated paths), e.g.
                     kernel/config/debug/debug.config; a tree of its own
  KERNEL_CACHE=DIR   cache of finished bzImages, one per key
                     (default /var/cache/kvm-exitbench/kernels)
  BUILD_DIR=DIR      work directory (default <repo>/build/kernel)
  JOBS=N             parallel jobs (default: nproc)

The cache key is the sha256 of the kernel version, the patch files, the
config fragments, the source package version and this script: a cached
bzImage is printed at once, without building.

One source tree and one output directory serve every series with the same
config fragments: switching series reverse-applies the one in the tree and
applies the new one, so only the files the two touch are rebuilt (stock
first, then the patched kernel or a fixture, costs one full build and two
small ones). The tree is re-extracted only when a reverse-apply fails or
the source package changes.
EOF
}

die() {
	echo "$0: error: $*" >&2
	exit 1
}

print_only=0
case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
--print-path) print_only=1 ;;
"") ;;
*)
	echo "$0: unknown argument '$1' (--print-path or --help)" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${BUILD_DIR:-$repo/build/kernel}
cache_root=${KERNEL_CACHE:-/var/cache/kvm-exitbench/kernels}
jobs=${JOBS:-$(nproc)}
linux=${LINUX:-6.12}
[[ $linux =~ ^[0-9]+\.[0-9]+$ ]] || die "LINUX=$linux: expected a version such as 6.12 or 6.1"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "JOBS=$jobs: expected a positive number"
tarball=/usr/src/linux-source-$linux.tar.xz
pkg=linux-source-$linux
if [[ $linux == 6.12 ]]; then
	series_dir=$here/patches
	tag=
else
	series_dir=$here/patches-$linux
	tag=-$linux
fi

shopt -s nullglob
fragments=("$here"/config/*.config)
shopt -u nullglob
((${#fragments[@]})) || die "no config fragments in $here/config"
cfg_name=base
if [[ -n ${EXTRA_CONFIG:-} ]]; then
	read -r -a extra <<<"$EXTRA_CONFIG"
	names=()
	for f in "${extra[@]}"; do
		[[ -f $f && -r $f ]] || die "EXTRA_CONFIG: $f: no such readable file"
		fragments+=("$(realpath "$f")")
		n=${f##*/}
		names+=("${n%.config}")
	done
	cfg_name=$(
		IFS=+
		echo "${names[*]}"
	)
	[[ $cfg_name =~ ^[A-Za-z0-9_.+-]+$ ]] || die "EXTRA_CONFIG: fragment names must be plain file names (got '$cfg_name')"
fi

if [[ ${STOCK:-0} == 1 ]]; then
	[[ -z ${SERIES:-} ]] || die "STOCK=1 and SERIES=$SERIES: choose one"
	flavor=stock
	patches=()
else
	if [[ -n ${SERIES:-} ]]; then
		[[ -d $SERIES ]] || die "SERIES=$SERIES: not a directory of *.patch files"
		series_dir=$(realpath "$SERIES")
		flavor=${series_dir##*/}
	else
		flavor=patched
	fi
	patches=()
	shopt -s nullglob
	for p in "$series_dir"/*.patch; do
		[[ ${p##*/} == 0000-cover-letter.patch ]] || patches+=("$p")
	done
	shopt -u nullglob
	((${#patches[@]})) || die "no patches in $series_dir (use STOCK=1 for the stock kernel)"
fi
[[ $cfg_name == base ]] || flavor+="+$cfg_name"

# The source package: only needed to build, and to key the cache.
if [[ ! -r $tarball ]]; then
	((print_only == 0)) || die "$tarball missing: nothing can have been built ('make kernel' installs it)"
	echo "$0: $tarball missing, installing $pkg" >&2
	[[ $(id -u) -eq 0 ]] || die "$tarball missing and not root: apt-get install $pkg"
	apt-get install -y "$pkg" >&2 || die "apt-get install $pkg failed"
	[[ -r $tarball ]] || die "$pkg installed but $tarball is still missing"
fi
src_version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
	src_version=$(sha256sum "$tarball" | cut -d' ' -f1)

# Identity of the series and of the whole build.
series_hash=$({
	for p in "${patches[@]}"; do
		sha256sum <"$p"
	done
} | sha256sum | cut -d' ' -f1)
key=$({
	echo "linux-$linux $flavor $src_version $series_hash"
	for f in "${fragments[@]}"; do
		echo "${f##*/}"
		sha256sum <"$f"
	done
	sha256sum <"${BASH_SOURCE[0]}"
} | sha256sum | cut -d' ' -f1)

cached=$cache_root/$key/bzImage
local_copy=$build_dir/images/$key/bzImage
for image in "$cached" "$local_copy"; do
	if [[ -s $image ]]; then
		echo "$0: using cached $flavor $linux kernel (key $key)" >&2
		echo "$image"
		exit 0
	fi
done
if ((print_only)); then
	hint="make kernel$tag"
	[[ ${STOCK:-0} != 1 ]] || hint+=" STOCK=1"
	echo "$0: no $flavor $linux kernel built for these inputs (key $key): run '$hint'" >&2
	exit 1
fi

src_parent=$build_dir/src$tag-$cfg_name
src=$src_parent/linux-source-$linux
out=$build_dir/out$tag-$cfg_name
applied=$src_parent/.applied	# copies of the patches now in the tree, in order
mkdir -p "$build_dir"
# One build per tree at a time (two runs would switch series under each other).
exec 9>"$build_dir/.lock$tag-$cfg_name"
flock 9

extract() {
	echo "$0: extracting $tarball into $src_parent" >&2
	rm -rf "$src_parent" "$out"
	mkdir -p "$src_parent"
	tar -xJf "$tarball" -C "$src_parent"
	[[ -f $src/Makefile ]] || die "unexpected tarball layout: no $src/Makefile"
	mkdir "$applied"
	echo "$src_version" >"$src_parent/.source-version"
}

# Take the series now in the tree back out; 1 if it does not reverse cleanly.
unapply() {
	local p list
	[[ -d $applied ]] || return 1
	mapfile -t list < <(find "$applied" -name '*.patch' | sort -r)
	for p in "${list[@]}"; do
		echo "$0: reverting ${p##*/}" >&2
		patch -d "$src" -p1 -R -E --batch --fuzz=0 --quiet <"$p" >&2 || return 1
		rm -f "$p"
	done
}

if [[ ! -f $src_parent/.source-version || $(<"$src_parent/.source-version") != "$src_version" ]]; then
	extract
fi
want=$(for p in "${patches[@]}"; do sha256sum <"$p"; done | sha256sum | cut -d' ' -f1)
have=$(find "$applied" -name '*.patch' 2>/dev/null | sort | while read -r p; do sha256sum <"$p"; done |
	sha256sum | cut -d' ' -f1)
if [[ $want != "$have" ]]; then
	unapply || { echo "$0: the tree's series does not revert cleanly: extracting afresh" >&2 && extract; }
	i=0
	for p in "${patches[@]}"; do
		echo "$0: applying ${p##*/}" >&2
		patch -d "$src" -p1 --batch --forward --fuzz=0 --quiet <"$p" ||
			die "${p##*/} does not apply cleanly (the tree is left as it is; the next build extracts it afresh)"
		i=$((i + 1))
		cp "$p" "$applied/$(printf '%04d' "$i")-${p##*/}"
	done
fi

mkdir -p "$out"
# Regenerate .config whenever a fragment or this script is newer.
config_key=$(cat "${fragments[@]}" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [[ ! -f $out/.config || ! -f $out/.config-key || $(<"$out/.config-key") != "$config_key" ]]; then
	echo "$0: configuring (tinyconfig + ${#fragments[@]} fragments)" >&2
	make -s -C "$src" O="$out" tinyconfig >&2
	"$src"/scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" \
		"${fragments[@]}" >/dev/null
	make -s -C "$src" O="$out" olddefconfig >&2
	# merge_config.sh only warns when Kconfig drops an option: fail instead.
	missing=$(grep -h '^CONFIG_.*=' "${fragments[@]}" | while read -r line; do
		grep -qxF "$line" "$out/.config" || echo "$line"
	done)
	[[ -z $missing ]] || die "options not set in the final .config:"$'\n'"$missing"
	echo "$config_key" >"$out/.config-key"
fi

echo "$0: building $flavor $linux bzImage with $jobs jobs in $out" >&2
start=$(date +%s)
make -s -C "$src" O="$out" -j"$jobs" bzImage >&2 || die "kernel build failed"
echo "$0: built in $(($(date +%s) - start)) s" >&2

image=$out/arch/x86/boot/bzImage
[[ -s $image ]] || die "build produced no $image"
# The output directory serves every series: keep this image under its key.
if mkdir -p "$cache_root/$key" 2>/dev/null &&
	cp "$image" "$cached.tmp.$$" 2>/dev/null; then
	mv "$cached.tmp.$$" "$cached"
	echo "$cached"
else
	echo "$0: warning: cannot write the cache $cache_root: keeping the image in $build_dir/images" >&2
	mkdir -p "${local_copy%/*}"
	cp "$image" "$local_copy.tmp.$$"
	mv "$local_copy.tmp.$$" "$local_copy"
	echo "$local_copy"
fi
