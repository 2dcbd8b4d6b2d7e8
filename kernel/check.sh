#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check the patch series in kernel/patches/ (or, with LINUX=6.1,
# kernel/patches-6.1/): it applies to a fresh linux-source-6.12 (6.1) with
# no fuzz (patch and git apply), every patch is clean under
# checkpatch.pl --strict, and arch/x86/kvm builds with KVM_WERROR=y and
# W=1, both built in and as modules. Exits non-zero on the first problem.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--help]

Checks kernel/patches/*.patch against Debian's linux-source-6.12 (with
LINUX=6.1: kernel/patches-6.1/*.patch against linux-source-6.1):
  1. applies to a fresh tree with git apply --check and patch --fuzz=0
  2. scripts/checkpatch.pl --strict: no errors, no warnings (checks are
     listed but do not fail)
  3. built in (KVM=y): make W=1 arch/x86/kvm/ with CONFIG_KVM_WERROR=y
  4. as modules (KVM=m KVM_INTEL=m KVM_AMD=m): make W=1 modules with
     CONFIG_KVM_WERROR=y, which also links kvm.ko, kvm-intel.ko and
     kvm-amd.ko (catches missing exports)

A kernel-doc warning (W=1) in a file that the series does not touch is
listed but does not fail: it comes from the stock tree (6.1 has some).

Environment:
  LINUX=6.1      check the 6.1 series (default 6.12), in check-6.1/
  BUILD_DIR=DIR  work directory (default <repo>/build/kernel)
  JOBS=N         parallel jobs (default: nproc)
  QUICK=1        skip step 4's link: compile arch/x86/kvm/ only
EOF
}

die() {
	echo "$0: FAIL: $*" >&2
	exit 1
}

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
"") ;;
*)
	usage >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${BUILD_DIR:-$repo/build/kernel}
jobs=${JOBS:-$(nproc)}
linux=${LINUX:-6.12}
[[ $linux =~ ^[0-9]+\.[0-9]+$ ]] || die "LINUX=$linux: expected a version such as 6.12 or 6.1"
tarball=/usr/src/linux-source-$linux.tar.xz
[[ -r $tarball ]] || die "$tarball missing: apt-get install linux-source-$linux"
# 6.12 keeps its original names (kernel/patches/, check/).
if [[ $linux == 6.12 ]]; then
	series_dir=$here/patches
	tag=
else
	series_dir=$here/patches-$linux
	tag=-$linux
fi

shopt -s nullglob
patches=()
for p in "$series_dir"/*.patch; do
	[[ ${p##*/} == 0000-cover-letter.patch ]] || patches+=("$p")
done
fragments=("$here"/config/*.config)
shopt -u nullglob
((${#patches[@]})) || die "no patches in $series_dir"

# Files the series touches: kernel-doc warnings elsewhere are stock.
declare -A touched
while read -r f; do
	touched[$f]=1
done < <(sed -n 's|^+++ b/||p' "${patches[@]}")

work=$build_dir/check$tag
src=$work/linux-source-$linux
rm -rf "$work"
mkdir -p "$work"
echo "== extracting $tarball"
tar -xJf "$tarball" -C "$work"

echo "== 1. applying ${#patches[@]} patches with no fuzz"
for p in "${patches[@]}"; do
	# The ceiling keeps git from finding the repository around build/.
	(cd "$src" && GIT_CEILING_DIRECTORIES=$work git apply --check "$p") ||
		die "${p##*/}: git apply --check fails"
	out=$(patch -d "$src" -p1 --batch --forward --fuzz=0 <"$p") ||
		die "${p##*/} does not apply:"$'\n'"$out"
	if grep -Eq 'fuzz|offset' <<<"$out"; then
		die "${p##*/} applies only with fuzz or offset:"$'\n'"$out"
	fi
	echo "   ok ${p##*/}"
done

echo "== 2. checkpatch.pl --strict"
for p in "${patches[@]}"; do
	res=$(cd "$src" && perl scripts/checkpatch.pl --strict --no-summary --terse \
		--show-types "$p" 2>&1) || true
	if grep -Eq '(ERROR|WARNING):' <<<"$res"; then
		die "${p##*/}:"$'\n'"$res"
	fi
	if [[ -n $res ]]; then
		echo "   ${p##*/}: checks only:"
		while IFS= read -r line; do
			echo "     $line"
		done <<<"$res"
	else
		echo "   ok ${p##*/}"
	fi
done

# configure OUT KVM_VALUE: tinyconfig + fragments, KVM as y or m, KVM_WERROR.
configure() {
	local out=$1 kvm=$2
	mkdir -p "$out"
	# 6.1's tinyconfig reports every option its fragments override: not ours.
	make -s -C "$src" O="$out" tinyconfig >/dev/null
	"$src"/scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" \
		"${fragments[@]}" >/dev/null
	if [[ $kvm == m ]]; then
		"$src"/scripts/config --file "$out/.config" -e MODULES
	fi
	"$src"/scripts/config --file "$out/.config" -e EXPERT -e KVM_WERROR \
		--set-val KVM "$kvm" --set-val KVM_INTEL "$kvm" --set-val KVM_AMD "$kvm"
	make -s -C "$src" O="$out" olddefconfig
	for opt in "CONFIG_KVM=$kvm" "CONFIG_KVM_INTEL=$kvm" "CONFIG_KVM_AMD=$kvm" \
		CONFIG_KVM_WERROR=y; do
		grep -qx "$opt" "$out/.config" || die "$opt not set in $out/.config"
	done
}

# build OUT LOG TARGET...: make W=1, fail on any warning in arch/x86/kvm
# except kernel-doc ones ("file:line: warning:", no column) in files that
# the series does not touch.
build() {
	local out=$1 log=$2 line file bad=0
	shift 2
	make -C "$src" O="$out" -j"$jobs" W=1 "$@" >"$log" 2>&1 ||
		die "make $* failed, see $log:"$'\n'"$(grep -E 'error|warning' "$log" | head -20)"
	while IFS= read -r line; do
		file=${line%%:*}
		file=${file#"$src"/}
		if [[ $line =~ ^[^:]+:[0-9]+:\ warning: && -z ${touched[$file]:-} ]]; then
			echo "   stock kernel-doc warning, ignored: ${line#"$src"/}"
		else
			echo "$line"
			bad=1
		fi
	done < <(grep -E '(arch/x86/kvm|virt/kvm|arch/x86/include/asm/kvm).*warning:' "$log" | sort -u)
	((bad == 0)) || die "warnings in KVM code, see $log"
}

echo "== 3. built in: KVM=y KVM_INTEL=y KVM_AMD=y KVM_WERROR=y W=1 arch/x86/kvm/"
configure "$work/out-builtin" y
build "$work/out-builtin" "$work/build-builtin.log" arch/x86/kvm/
echo "   ok"

echo "== 4. modules: KVM=m KVM_INTEL=m KVM_AMD=m KVM_WERROR=y W=1"
configure "$work/out-modules" m
if [[ ${QUICK:-0} == 1 ]]; then
	build "$work/out-modules" "$work/build-modules.log" arch/x86/kvm/
else
	build "$work/out-modules" "$work/build-modules.log" vmlinux modules
	for ko in kvm kvm-intel kvm-amd; do
		[[ -s $work/out-modules/arch/x86/kvm/$ko.ko ]] || die "$ko.ko not built"
	done
fi
echo "   ok"
echo "== all checks passed"
