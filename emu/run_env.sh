#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot a kernel under test in an emulator, run the exit tests inside it and
# bring their result files back (emu/init.sh inside, emu/console.py outside).
# run_all.sh --env calls this; it can also be used on its own.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	cat <<USAGE
usage: $0 --env bochs|qemu-tcg|qemu-kvm --kernel BZIMAGE --bin-dir DIR --out DIR
          [--tests 'exit_a exit_b ...'] [--append 'KERNEL ARGS'] [--timeout S]
          [--memory MB] [--smp N] [--cpu-model MODEL] [--dry-run] [-- TEST-OPTIONS...]

  --env       bochs: Intel VMX (Bochs, corei7_skylake_x, EPT), instruction-
              count TSC; qemu-tcg: AMD SVM (QEMU TCG, EPYC with NPT);
              qemu-kvm: QEMU with -enable-kvm -cpu host on a host whose KVM
              offers nested VMX or SVM
  --kernel    the bzImage to boot
  --bin-dir   statically linked exit tests ('make static': build/static)
  --out       new directory for the result files (must not exist)
  --tests     which binaries of --bin-dir to run (default: every exit_*)
  --append    more kernel command line, e.g. kvm.exit_cycles=1 or
              kvm.exit_stats_cpuid_order=B
  --timeout   seconds the whole run may take (default: bochs 7200,
              qemu-tcg 1200, qemu-kvm 600)
  --memory    guest memory in MiB (default 1024)
  --smp       CPUs of the emulated machine (default 1; emu/boot.sh --help)
  --cpu-model the emulated CPU model (emu/boot.sh --help)
  --dry-run   check the arguments and the emulator, start nothing
TEST-OPTIONS go to every exit test (-n, -t, --target-cycles, --counters, -v).
The kernel's own KVM selftests in --bin-dir (kvm_*) always run too.
Exit status: 0 results received (whatever they say), 2 usage, 3 the run failed.
USAGE
}

die_usage() {
	echo "run_env.sh: $1" >&2
	echo "usage: run_env.sh --env ENV --kernel BZIMAGE --bin-dir DIR --out DIR [options] [-- TEST-OPTIONS]; 'run_env.sh --help' for more" >&2
	exit 2
}
die() {
	echo "run_env.sh: $*" >&2
	exit 3
}

bin_dir='' tests='' boot_opts=() dry_run=0
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--dry-run) dry_run=1; shift ;;
	--bin-dir | --tests)
		[ $# -ge 2 ] || die_usage "$1 needs a value"
		if [ "$1" = --bin-dir ]; then bin_dir=$2; else tests=$2; fi
		shift 2 ;;
	--env | --kernel | --out | --append | --timeout | --memory | --smp | --cpu-model)
		[ $# -ge 2 ] || die_usage "$1 needs a value"
		boot_opts+=("$1" "$2")	# for boot.sh, which checks them
		shift 2 ;;
	--) shift; break ;;
	*) die_usage "unknown argument '$1'" ;;
	esac
done
test_opts=("$@")
# Bad arguments and missing emulators fail now, before the initramfs is made.
"$here/boot.sh" --dry-run "${boot_opts[@]}" || exit $?
if [ -z "$bin_dir" ] || [ ! -d "$bin_dir" ]; then
	die_usage "--bin-dir '$bin_dir' is not a directory (run 'make static')"
fi

# Executables of $bin_dir matching a glob (no build products such as *.d).
list_bins() {
	local f
	for f in "$bin_dir"/$1; do
		f=${f##*/}
		if [ -x "$bin_dir/$f" ] && [ "${f%.*}" = "$f" ]; then
			printf '%s ' "$f"
		fi
	done
}
if [ -z "$tests" ]; then
	# The exit tests: binaries built from selftests/exit_*.c (not exit_top).
	for src in "$here"/../selftests/exit_*.c; do
		t=${src##*/}
		tests+="${t%.c} "
	done
fi
[ -n "${tests// /}" ] || die "no exit_* binaries in $bin_dir: run 'make static'"
for t in $tests; do
	[ -x "$bin_dir/$t" ] || die "$bin_dir/$t: missing (run 'make static')"
done
kselftests=$(list_bins 'kvm_*')

need_cmd() {
	command -v "$1" >/dev/null || die "$1 is missing: run ./setup.sh (Debian package $2)"
}
need_cmd python3 python3
need_cmd strip binutils
[ -x /bin/busybox ] || die "/bin/busybox is missing: run ./setup.sh (Debian package busybox-static)"
[ "$dry_run" -eq 0 ] || exit 0

work=$(mktemp -d "${TMPDIR:-/tmp}/exitbench-emu.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The initramfs: busybox, our init, stripped test binaries, the run's options.
mkdir "$work/bin"
for t in $tests $kselftests exitbench_info; do
	[ -x "$bin_dir/$t" ] || die "$bin_dir/$t: missing (run 'make static')"
	strip -o "$work/bin/$t" "$bin_dir/$t"
done
{
	printf '# written by run_env.sh\n'
	printf 'TESTS=%q\n' "$tests"
	printf 'KSELFTESTS=%q\n' "$kselftests"
	printf 'set --'
	for o in "${test_opts[@]}"; do
		printf " '%s'" "${o//\'/\'\\\'\'}"
	done
	printf '\n'
} >"$work/run.conf"
# shellcheck disable=SC2054 # the commas are part of the cdev entry
entries=(dir:bin dir:dev dir:proc dir:sys dir:tmp dir:exitbench
	cdev:dev/console=5,1 file:bin/busybox=/bin/busybox:0755
	file:init="$here/init.sh":0755 file:exitbench/run.conf="$work/run.conf":0644
	file:exitbench/job.sh="$here/job_suite.sh":0644)
for f in "$work"/bin/*; do
	entries+=("file:exitbench/${f##*/}=$f:0755")
done
python3 "$here/mkinitramfs.py" "$work/initrd.gz" "${entries[@]}"

"$here/boot.sh" --initrd "$work/initrd.gz" "${boot_opts[@]}" -- "${test_opts[@]}"
