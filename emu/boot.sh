#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot a kernel and an initramfs in an emulator, follow its serial console
# with emu/console.py (progress, panics, timeouts) and unpack the framed
# results its init sends (emu/init.sh) into a new directory, with
# environment.json describing the boot. Used by emu/run_env.sh (the exit
# tests) and ./boot_profile.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	cat <<USAGE
usage: $0 --env bochs|qemu-tcg|qemu-kvm --kernel BZIMAGE --initrd INITRD --out DIR
          [--append 'KERNEL ARGS'] [--timeout S] [--memory MIB] [--smp N]
          [--cpu-model MODEL] [--dry-run] [-- RECORDED-ARGS...]

  --env       bochs: Intel VMX (Bochs, corei7_skylake_x with EPT), TSC counting
              emulated instructions; qemu-tcg: AMD SVM (QEMU TCG, EPYC with NPT);
              qemu-kvm: QEMU -enable-kvm -cpu host on a host with nested VMX/SVM
  --kernel    the bzImage to boot
  --initrd    its initramfs (gzip'd cpio whose /init speaks emu/init.sh's frames)
  --out       new directory for the files sent back (must not exist)
  --append    more kernel command line
  --timeout   seconds the whole run may take (default: bochs 7200,
              qemu-tcg 1200, qemu-kvm 600)
  --memory    guest memory in MiB (default 1024)
  --smp       CPUs of the emulated machine, 1 to $max_smp (default 1); QEMU TCG
              and Bochs interleave them on one host thread (QEMU: thread=single,
              see docs/emulators.md)
  --cpu-model the emulated CPU: bochs, one of 'bochs --help cpu' (default
              corei7_skylake_x; tigerlake adds IA32_SPEC_CTRL and
              IA32_PRED_CMD, docs/emulators.md); qemu-tcg, a model of
              'qemu-system-x86_64 -cpu help' (default EPYC), to which
              +svm,+npt are added. Not for qemu-kvm (always -cpu host)
  --dry-run   only check the arguments and that the emulator is installed
              (--initrd and --kernel may be omitted)
RECORDED-ARGS are only written into environment.json (the test options).

A hang is found by silence too: no console output for $silence_boot_bochs s (bochs) or
$silence_boot_qemu s (QEMU) before the first line, or for $silence_bochs s (bochs) or
$silence_qemu s (QEMU) between two lines after it, ends the run (emu/console.py).
EMU_SILENCE_S=S sets the bound between lines instead (for a job whose one
step is known to print nothing for longer, as bench/kut_compare.sh's).
Exit status: 0 results received, 2 usage, 3 the boot failed.
USAGE
}

hint() {
	echo "usage: boot.sh --env ENV --kernel BZIMAGE --initrd INITRD --out DIR [options]; 'boot.sh --help' for more"
}
die_usage() {
	echo "boot.sh: $1" >&2
	hint >&2
	exit 2
}
die() {
	echo "boot.sh: $*" >&2
	exit 3
}
# check_file OPT PATH: an existing, readable regular file, or a usage error.
check_file() {
	if [ ! -e "$2" ]; then
		die_usage "$1 $2: no such file${3:+ ($3)}"
	elif [ -d "$2" ]; then
		die_usage "$1 $2: is a directory; name the file itself${3:+ ($3)}"
	elif [ ! -f "$2" ] || [ ! -r "$2" ]; then
		die_usage "$1 $2: not a readable file"
	fi
}
# check_new_dir OPT PATH: PATH does not exist and can be made.
check_new_dir() {
	local d
	[ ! -e "$2" ] || die_usage "$1 $2: already exists; results are never overwritten: name a new directory"
	d=$(dirname -- "$2")
	while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done
	[ -d "$d" ] || die_usage "$1 $2: $d is not a directory"
	if [ ! -w "$d" ] || [ ! -x "$d" ]; then
		die_usage "$1 $2: cannot create directories in $d (permission denied or read-only)"
	fi
}

# Silence bounds, seconds (emu/console.py): before the first console line
# (firmware, boot loader, kernel start) and between two lines after it. The
# longest silences measured: see docs/emulators.md.
silence_boot_bochs=600 silence_bochs=300 silence_boot_qemu=300 silence_qemu=180
if [ -n "${EMU_SILENCE_S:-}" ]; then
	[[ $EMU_SILENCE_S =~ ^[1-9][0-9]*$ ]] ||
		{ echo "boot.sh: EMU_SILENCE_S=$EMU_SILENCE_S: want a number of seconds above 0" >&2; exit 2; }
	silence_bochs=$EMU_SILENCE_S silence_qemu=$EMU_SILENCE_S
fi
# CPUs of the emulated machine: a few are enough for concurrency, more
# only slow the emulator down (this project's hosts have 2 cores).
max_smp=8
env='' kernel='' initrd='' out='' append='' timeout='' memory=1024 smp=1 cpu_model='' check_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--dry-run) check_only=1; shift ;;
	--env | --kernel | --initrd | --out | --append | --timeout | --memory | --smp | --cpu-model)
		[ $# -ge 2 ] || die_usage "$1 needs a value"
		v=$2
		case "$1" in
		--env) env=$v ;; --kernel) kernel=$v ;; --initrd) initrd=$v ;; --out) out=$v ;;
		--append) append=$v ;; --timeout) timeout=$v ;; --memory) memory=$v ;; --smp) smp=$v ;;
		--cpu-model) cpu_model=$v; [ -n "$v" ] || die_usage "--cpu-model needs a model name" ;;
		esac
		shift 2 ;;
	--) shift; break ;;
	*) die_usage "unknown argument '$1'" ;;
	esac
done
test_opts=("$@")

case "$env" in
bochs | qemu-tcg | qemu-kvm) ;;
"") die_usage "--env is required" ;;
*) die_usage "unknown --env '$env' (bochs, qemu-tcg or qemu-kvm)" ;;
esac
if [ -n "$kernel" ]; then
	check_file --kernel "$kernel" "build one with 'make kernel'"
elif [ "$check_only" -eq 0 ]; then
	die_usage "--kernel is required"
fi
if [ -n "$initrd" ]; then
	check_file --initrd "$initrd"
elif [ "$check_only" -eq 0 ]; then
	die_usage "--initrd is required"
fi
[ -n "$out" ] || die_usage "--out is required"
check_new_dir --out "$out"
if ! [[ $memory =~ ^[0-9]+$ ]] || [ "$memory" -lt 256 ]; then
	die_usage "--memory wants MiB, at least 256 (got '$memory')"
fi
if ! [[ $smp =~ ^[0-9]+$ ]] || [ "$smp" -lt 1 ] || [ "$smp" -gt "$max_smp" ]; then
	die_usage "--smp wants a number of CPUs from 1 to $max_smp (got '$smp')"
fi
if [ -z "$timeout" ]; then
	case "$env" in bochs) timeout=7200 ;; qemu-tcg) timeout=1200 ;; qemu-kvm) timeout=600 ;; esac
fi
if ! [[ $timeout =~ ^[0-9]+$ ]] || [ "$timeout" -eq 0 ]; then
	die_usage "--timeout wants seconds (got '$timeout')"
fi
if [[ $append == *[\'\"\\]* ]]; then
	die_usage "--append may not hold quotes or backslashes"
fi

need_cmd() {
	command -v "$1" >/dev/null || die "$1 is missing: run ./setup.sh (Debian package $2)"
}
need_cmd python3 python3
case "$env" in
qemu-*) need_cmd qemu-system-x86_64 qemu-system-x86 ;;
bochs)
	need_cmd bochs bochs
	need_cmd xorriso xorriso
	for f in /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
		/usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin; do
		[ -r "$f" ] || die "$f is missing: run ./setup.sh (packages isolinux, syslinux-common, bochsbios, vgabios)"
	done
	dpkg-query -W -f='${Status}' bochs-term 2>/dev/null | grep -q "install ok installed" ||
		die "Bochs' term display is missing: run ./setup.sh (package bochs-term)"
	;;
esac
# --cpu-model: a model the emulator has, checked against its own list.
if [ -n "$cpu_model" ]; then
	case "$env" in
	bochs)
		models=$(bochs --help cpu 2>&1 | awk '/^Supported CPU models:/ { on = 1; next } on && !NF && n { exit } on && NF { print; n++ }')
		[ -n "$models" ] || die "could not read the CPU models of this Bochs ('bochs --help cpu')"
		grep -qxF -- "$cpu_model" <<<"$models" ||
			die_usage "--cpu-model $cpu_model: not a CPU model of this Bochs; it has: $(echo "$models" | tr "\n" " ")" ;;
	qemu-tcg)
		[[ $cpu_model =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
			die_usage "--cpu-model '$cpu_model': want a QEMU CPU model name such as EPYC-Rome (+svm,+npt are added; no feature list)"
		qemu-system-x86_64 -cpu help 2>/dev/null | awk '$1 == "x86" { print $2 }' | grep -qxF -- "$cpu_model" ||
			die_usage "--cpu-model $cpu_model: not a CPU model of this QEMU ('qemu-system-x86_64 -cpu help' lists them)" ;;
	qemu-kvm) die_usage "--cpu-model is for bochs and qemu-tcg; qemu-kvm always uses -cpu host" ;;
	esac
fi
if [ "$env" = qemu-kvm ]; then
	# Refuse early, with the reason, where nested KVM cannot work.
	[ -w /dev/kvm ] || die "--env qemu-kvm needs /dev/kvm (read-write): this host has none; use --env bochs or qemu-tcg"
	grep -qwE 'vmx|svm' /proc/cpuinfo ||
		die "--env qemu-kvm needs a host whose KVM is hardware VMX or SVM with nested virtualization (kvm_intel nested=1 or kvm_amd nested=1); this host's CPU flags have neither (its KVM modules: $(cd /sys/module && echo kvm_*)), so the kernel under test could not run KVM guests: use --env bochs or qemu-tcg"
	nested=$(cat /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested 2>/dev/null | head -n 1)
	case "$nested" in Y | 1) ;; *) die "--env qemu-kvm: nested virtualization is off (kvm_intel/kvm_amd parameter nested='$nested'): modprobe the module with nested=1" ;; esac
fi

[ "$check_only" -eq 0 ] || exit 0

work=$(mktemp -d "${TMPDIR:-/tmp}/exitbench-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT

cmdline="console=ttyS0 panic=-1 quiet${append:+ $append}"
# Under Bochs the guest's clock runs about 50 times slower than the host's
# while busy: the jobs' heartbeat (emu/init.sh) every guest second, not 10.
[ "$env" != bochs ] || cmdline="$cmdline exitbench.heartbeat_s=1"
serial=$work/serial.log
case "$env" in
qemu-tcg)
	emu_version=$(qemu-system-x86_64 --version | head -n 1)
	cpu="${cpu_model:-EPYC},+svm,+npt"
	accel=tcg
	# Several CPUs in one host thread, taking turns: with a thread each
	# (thread=multi, QEMU 7.2) a CPU ran code that another had just patched
	# (a static key) in its old form: "Oops: int3" in __schedule(), 2 of 39
	# boots (docs/emulators.md).
	[ "$smp" -eq 1 ] || accel=tcg,thread=single
	cmd=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp "$smp" -m "$memory" -display none
		-monitor none -no-reboot -serial "file:$serial"
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline") ;;
qemu-kvm)
	emu_version=$(qemu-system-x86_64 --version | head -n 1)
	cpu=host
	cmd=(qemu-system-x86_64 -enable-kvm -cpu host -smp "$smp" -m "$memory" -display none
		-monitor none -no-reboot -serial "file:$serial"
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline") ;;
bochs)
	emu_version=$(dpkg-query -W -f='bochs ${Version}' bochs 2>/dev/null || echo bochs)
	cpu=${cpu_model:-corei7_skylake_x}
	mkdir -p "$work/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$work/iso/isolinux/"
	cp "$kernel" "$work/iso/bzImage"
	cp "$initrd" "$work/iso/initrd.gz"
	printf 'DEFAULT linux\nLABEL linux\n  KERNEL /bzImage\n  APPEND initrd=/initrd.gz %s\n' \
		"$cmdline" >"$work/iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$work/iso" 2>"$work/xorriso.log" ||
		die "xorriso could not make the boot ISO: $(tail -n 3 "$work/xorriso.log")"
	# clock sync=none: the TSC counts emulated instructions (near-deterministic
	# figures). The debugger Debian builds in waits at a prompt: -rc continues.
	cat >"$work/bochsrc" <<BOCHSRC
megs: $memory
cpu: model=$cpu, count=$smp, ips=100000000, reset_on_triple_fault=0
clock: sync=none, time0=946684800
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$serial
display_library: term
log: $work/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
BOCHSRC
	echo c >"$work/bochs.rc"
	echo quit >>"$work/bochs.rc"
	cmd=(bochs -q -f "$work/bochsrc" -rc "$work/bochs.rc") ;;
esac

start=$(date +%s)
export TERM=${TERM:-dumb}
if [ "$env" = bochs ]; then
	silence=(--silence-boot "$silence_boot_bochs" --silence "$silence_bochs")
else
	silence=(--silence-boot "$silence_boot_qemu" --silence "$silence_qemu")
fi
python3 "$here/console.py" run --serial "$serial" --out "$out" --timeout "$timeout" \
	"${silence[@]}" --label "$env" -- "${cmd[@]}" || {
	[ ! -f "$work/bochs.log" ] || cp "$work/bochs.log" "$out/" 2>/dev/null || true
	exit 3
}
wall=$(($(date +%s) - start))

python3 - "$out/environment.json" "$env" "$emu_version" "$cpu" "$smp" "$memory" "$(realpath "$kernel")" \
	"$(sha256sum <"$kernel" | cut -d' ' -f1)" "$cmdline" "$wall" "$(uname -r)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" "${test_opts[@]}" <<'PY'
import json, sys
keys = ["env", "emulator", "emulated_cpu", "emulated_cpus", "memory_mib", "kernel_image", "kernel_image_sha256",
        "kernel_cmdline", "wall_seconds", "host_kernel", "host_cpu"]
vals = sys.argv[2:2 + len(keys)]
env = dict(zip(keys, vals), test_options=sys.argv[2 + len(keys):])
env["memory_mib"] = int(env["memory_mib"])
env["emulated_cpus"] = int(env["emulated_cpus"])
env["wall_seconds"] = int(env["wall_seconds"])
env["units"] = {"memory_mib": "MiB", "wall_seconds": "s"}
with open(sys.argv[1], "x") as f:
    json.dump(env, f, indent=1)
    f.write("\n")
PY
