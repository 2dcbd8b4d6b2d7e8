#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check the patch series in kernel/patches/ (or, with LINUX=6.1,
# kernel/patches-6.1/): it applies to a fresh linux-source-6.12 (6.1) with
# no fuzz (patch and git apply), every patch is clean under
# checkpatch.pl --strict, arch/x86/kvm builds with KVM_WERROR=y and W=1,
# both built in and as modules, the build rejects a stats descriptor that
# breaks the binary stats ABI, the documentation the series touches is
# clean under docutils and kernel-doc, and its selftest builds without a
# warning. Exits non-zero on the first problem.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--help]

Checks kernel/patches/*.patch against Debian's linux-source-6.12 (with
LINUX=6.1: kernel/patches-6.1/*.patch against linux-source-6.1):
  1. applies to a fresh tree with git apply --check and patch --fuzz=0
  2. scripts/checkpatch.pl --strict: no errors, no warnings (checks are
     listed but do not fail). The one warning that asks a question,
     FILE_PATH_CHANGES ("does MAINTAINERS need updating?"), is answered:
     it passes when scripts/get_maintainer.pl finds the KVM list for
     every file the patch adds
  3. built in (KVM=y): make W=1 arch/x86/kvm/ with CONFIG_KVM_WERROR=y
  4. the stats descriptor rule of api.rst (only histograms have more than
     one element): a descriptor of a CUMULATIVE stat of size 4 must not
     build, the same of size 1 must
  5. documentation: every .rst file the series touches parses under
     docutils (kernel/rstcheck.py) with no message that the stock file
     does not have, scripts/kernel-doc -Wall reports nothing new in
     the .c and .h files it touches, and every module parameter the
     series adds has an entry in admin-guide/kernel-parameters.txt and
     in exit-stats.rst
  6. as modules (KVM=m KVM_INTEL=m KVM_AMD=m): make W=1 modules with
     CONFIG_KVM_WERROR=y, which also links kvm.ko, kvm-intel.ko and
     kvm-amd.ko (catches missing exports)
  7. the series' selftest (tools/testing/selftests/kvm/x86_64/exit_stats_test)
     builds with -Werror

A kernel-doc warning (W=1) in a file that the series does not touch is
listed but does not fail: it comes from the stock tree (6.1 has some).

Environment:
  LINUX=6.1      check the 6.1 series (default 6.12), in check-6.1/
  BUILD_DIR=DIR  work directory (default <repo>/build/kernel)
  JOBS=N         parallel jobs (default: nproc)
  QUICK=1        skip step 6's link: compile arch/x86/kvm/ only
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

# The stock versions of the files the series touches, for step 5.
stock=$work/stock
for f in "${!touched[@]}"; do
	if [[ -f $src/$f ]]; then
		mkdir -p "$stock/$(dirname "$f")"
		cp "$src/$f" "$stock/$f"
	fi
done

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

# The files a patch adds, one a line.
added_files() {
	awk '/^--- \/dev\/null/ { getline; sub(/^\+\+\+ b\//, ""); print }' "$1"
}

echo "== 2. checkpatch.pl --strict"
if ! /usr/bin/python3 -c 'import ply' 2>/dev/null; then
	die "checkpatch's SPDX check needs python3-ply for /usr/bin/python3: apt-get install python3-ply"
fi
for p in "${patches[@]}"; do
	# spdxcheck.py runs "python3": the system one, which has ply.
	res=$(cd "$src" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --no-summary --terse \
		--show-types "$p" 2>&1) || true
	if grep -q 'WARNING:FILE_PATH_CHANGES:' <<<"$res"; then
		while read -r f; do
			(cd "$src" && perl scripts/get_maintainer.pl --no-git --no-rolestats -f "$f" 2>/dev/null) |
				grep -q 'kvm@vger.kernel.org' ||
				die "${p##*/} adds $f, which no MAINTAINERS entry of KVM covers"
		done < <(added_files "$p")
		echo "   ${p##*/}: new files covered by MAINTAINERS (KVM): $(added_files "$p" | tr '\n' ' ')"
		res=$(grep -v 'WARNING:FILE_PATH_CHANGES:' <<<"$res") || true
	fi
	if grep -Eq '(ERROR|WARNING):|Traceback' <<<"$res"; then
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

echo "== 4. the stats descriptor rule: only histograms have more than one element"
# stats_rule SIZE: build a one-descriptor file whose CUMULATIVE stat has SIZE elements.
stats_rule() {
	local f=$src/arch/x86/kvm/exitbench_stats_rule.c type=kvm_stats_desc open= close=
	# 6.1's descriptors wrap the uapi struct, whose name is a flexible array.
	if grep -q 'struct _kvm_stats_desc {' "$src/include/linux/kvm_host.h"; then
		type=_kvm_stats_desc open='{ ' close=' }'
	fi
	cat >"$f" <<EOC
// SPDX-License-Identifier: GPL-2.0-only
#include <linux/kvm_host.h>

const struct $type exitbench_stats_rule[] = {
	{ ${open}STATS_DESC_COMMON(KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_NONE,
			    KVM_STATS_BASE_POW10, 0, $1, 0)${close}, .name = "counts" },
};
EOC
	make -C "$src" O="$work/out-builtin" arch/x86/kvm/exitbench_stats_rule.o >"$work/stats-rule-$1.log" 2>&1
	local rc=$?
	rm -f "$f" "$work/out-builtin/arch/x86/kvm/exitbench_stats_rule.o"
	return $rc
}
stats_rule 1 || die "a CUMULATIVE stat of size 1 does not build, see $work/stats-rule-1.log"
if stats_rule 4; then
	die "a CUMULATIVE stat of size 4 builds: the series does not enforce the binary stats ABI"
fi
grep -q 'STATS_DESC_CHECK_SIZE\|BUILD_BUG_ON_ZERO' "$work/stats-rule-4.log" ||
	die "a CUMULATIVE stat of size 4 fails to build, but not by the stats rule, see $work/stats-rule-4.log"
echo "   ok (size 1 builds, size 4 is rejected by STATS_DESC_CHECK_SIZE)"

echo "== 5. documentation: docutils on the .rst files, kernel-doc on the sources"
mapfile -t docs < <(printf '%s\n' "${!touched[@]}" | grep '\.rst$' | sort)
mapfile -t sources < <(printf '%s\n' "${!touched[@]}" | grep -E '^(arch|virt|include)/.*\.[ch]$' | sort)
# new_messages CMD FILE: messages CMD prints for the series' FILE that it
# does not print for the stock one (line numbers dropped to compare).
new_messages() {
	local cmd=$1 f=$2
	comm -13 <(if [[ -f $stock/$f ]]; then (cd "$stock" && $cmd "$f" 2>&1); fi |
			sed -E 's/:[0-9]+:/:/' | sort -u) \
		<( (cd "$src" && $cmd "$f" 2>&1) | sed -E 's/:[0-9]+:/:/' | sort -u)
}
for f in "${docs[@]}"; do
	msgs=$(new_messages "$here/rstcheck.py" "$f")
	[[ -z $msgs ]] || die "docutils on $f:"$'\n'"$msgs"
	echo "   ok $f (docutils)"
done
# 6.1's kernel-doc has no -Wall: its default warnings there.
kdoc_w=-Wall
perl "$src/scripts/kernel-doc" -h 2>&1 | grep -- -Wall >/dev/null || kdoc_w=
for f in "${sources[@]}"; do
	msgs=$(new_messages "perl $src/scripts/kernel-doc -none $kdoc_w" "$f")
	[[ -z $msgs ]] || die "kernel-doc on $f:"$'\n'"$msgs"
done
echo "   ok ${#sources[@]} source files (kernel-doc ${kdoc_w:-default warnings})"
# Every module parameter the series adds is in kernel-parameters.txt (as
# MODULE.NAME=, the module from the file's directory) and exit-stats.rst.
params=$(awk '/^\+\+\+ b\// { f = substr($2, 3) }
	/^\+module_param(_cb)?\(/ { n = $0; sub(/^[^(]*\(/, "", n); sub(/[, ].*/, "", n)
		m = f ~ /^arch\/x86\/kvm\/vmx\// ? "kvm-intel" : f ~ /^arch\/x86\/kvm\/svm\// ? "kvm-amd" : "kvm"
		print m "." n }' "${patches[@]}" | sort -u)
[[ -n $params ]] || die "no module parameters found in the series (the parameter check reads '+module_param(NAME,' lines)"
kparams=$src/Documentation/admin-guide/kernel-parameters.txt
for mp in $params; do
	grep -Eq "^[[:space:]]+${mp//./\\.}=" "$kparams" ||
		die "module parameter $mp has no '$mp=' entry in Documentation/admin-guide/kernel-parameters.txt"
	grep -Fq "\`\`${mp#*.}\`\`" "$src/Documentation/virt/kvm/x86/exit-stats.rst" ||
		die "module parameter $mp is not in Documentation/virt/kvm/x86/exit-stats.rst"
done
echo "   ok $(wc -w <<<"$params") module parameters documented ($(echo $params))"

echo "== 6. modules: KVM=m KVM_INTEL=m KVM_AMD=m KVM_WERROR=y W=1"
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
# Last: 'make headers' in the tree makes it unclean for O= builds.
echo "== 7. the series' selftest builds with -Werror"
kvm_st=$src/tools/testing/selftests/kvm
if [[ -f $kvm_st/x86_64/exit_stats_test.c ]]; then
	make -s -C "$src" headers >"$work/headers.log" 2>&1 || die "make headers failed, see $work/headers.log"
	make -C "$kvm_st" OUTPUT="$kvm_st" EXTRA_CFLAGS=-Werror "$kvm_st/x86_64/exit_stats_test" >"$work/selftest.log" 2>&1 ||
		die "exit_stats_test does not build with -Werror:"$'\n'"$(grep -E 'error|warning' "$work/selftest.log" | head -20)"
	echo "   ok"
else
	die "the series adds no tools/testing/selftests/kvm/x86_64/exit_stats_test.c"
fi

echo "== all checks passed"
