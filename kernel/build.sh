#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the kernel under test: Debian's linux-source-6.12 (or, with
# LINUX=6.1, linux-source-6.1) with the patch series in kernel/patches/
# (kernel/patches-6.1/), or without it (STOCK=1), configured from
# tinyconfig plus kernel/config/*.config. Prints the path of the bzImage.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--print-path] [--help]

Build a bzImage of Debian's linux-source-\$LINUX (default 6.12), patched
with kernel/patches/*.patch (6.12) or kernel/patches-\$LINUX/*.patch, or
unpatched with STOCK=1, configured from tinyconfig +
kernel/config/*.config. The last line printed is the path of the
bzImage. --print-path prints the path of an already built image for the
same inputs and builds nothing (exit 1 when there is none).

Environment:
  LINUX=6.1        build linux-source-6.1 with kernel/patches-6.1/
                   (default 6.12); trees and outputs are separate
  STOCK=1          build the unpatched kernel (separate tree and output)
  KERNEL_CACHE=DIR cache of finished bzImages, one per key
                   (default /var/cache/kvm-exitbench/kernels)
  BUILD_DIR=DIR    work directory (default <repo>/build/kernel)
  JOBS=N           parallel jobs (default: nproc)

The cache key is the sha256 of the kernel version, the patch files (none
for STOCK=1), the config fragments, the source package version and this
script. A cached bzImage is reused without building. The source tree is
re-extracted and re-patched only when the series changes; otherwise make
runs incrementally.
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
	usage >&2
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
tarball=/usr/src/linux-source-$linux.tar.xz
pkg=linux-source-$linux
# 6.12 keeps its original names (kernel/patches/, src-patched/, make kernel).
if [[ $linux == 6.12 ]]; then
	series_dir=$here/patches
	tag=
else
	series_dir=$here/patches-$linux
	tag=-$linux
fi

if [[ ! -r $tarball ]]; then
	echo "$0: $tarball missing, installing $pkg" >&2
	[[ $(id -u) -eq 0 ]] || die "$tarball missing and not root: apt-get install $pkg"
	apt-get install -y "$pkg" >&2 || die "apt-get install $pkg failed"
	[[ -r $tarball ]] || die "$pkg installed but $tarball is still missing"
fi
src_version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
	src_version=$(sha256sum "$tarball" | cut -d' ' -f1)

shopt -s nullglob
fragments=("$here"/config/*.config)
patches=()
for p in "$series_dir"/*.patch; do
	[[ ${p##*/} == 0000-cover-letter.patch ]] || patches+=("$p")
done
shopt -u nullglob
((${#fragments[@]})) || die "no config fragments in $here/config"

if [[ ${STOCK:-0} == 1 ]]; then
	flavor=stock
	patches=()
else
	flavor=patched
	((${#patches[@]})) || die "no patches in $series_dir (use STOCK=1 for the stock kernel)"
fi

# Identity of the source tree (tarball + series) and of the whole build.
series_hash=$({
	echo "$src_version"
	for p in "${patches[@]}"; do
		sha256sum <"$p"
	done
} | sha256sum | cut -d' ' -f1)
key=$({
	echo "linux-$linux $flavor $series_hash"
	for f in "${fragments[@]}"; do
		echo "${f##*/}"
		sha256sum <"$f"
	done
	sha256sum <"${BASH_SOURCE[0]}"
} | sha256sum | cut -d' ' -f1)

cached=$cache_root/$key/bzImage
if [[ -s $cached ]]; then
	echo "$0: using cached $flavor $linux kernel (key $key)" >&2
	echo "$cached"
	exit 0
fi
if ((print_only)); then
	echo "$0: no $flavor $linux kernel built for these inputs (key $key): run 'make kernel$tag${STOCK:+ STOCK=$STOCK}'" >&2
	exit 1
fi

src_parent=$build_dir/src$tag-$flavor
src=$src_parent/linux-source-$linux
out=$build_dir/out$tag-$flavor
stamp=$src_parent/.series-sha256

if [[ ! -f $stamp || $(<"$stamp") != "$series_hash" ]]; then
	echo "$0: extracting $tarball into $src_parent" >&2
	rm -rf "$src_parent" "$out"
	mkdir -p "$src_parent"
	tar -xJf "$tarball" -C "$src_parent"
	[[ -f $src/Makefile ]] || die "unexpected tarball layout: no $src/Makefile"
	for p in "${patches[@]}"; do
		echo "$0: applying ${p##*/}" >&2
		patch -d "$src" -p1 --batch --forward --fuzz=0 --quiet <"$p" ||
			die "${p##*/} does not apply cleanly"
	done
	echo "$series_hash" >"$stamp"
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
make -s -C "$src" O="$out" -j"$jobs" bzImage >&2 || die "kernel build failed"

image=$out/arch/x86/boot/bzImage
[[ -s $image ]] || die "build produced no $image"
if mkdir -p "$cache_root/$key" 2>/dev/null &&
	cp "$image" "$cached.tmp.$$" 2>/dev/null; then
	mv "$cached.tmp.$$" "$cached"
	echo "$cached"
else
	echo "$0: warning: cannot write cache $cache_root, not cached" >&2
	echo "$image"
fi
