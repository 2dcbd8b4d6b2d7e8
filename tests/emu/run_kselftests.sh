#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The 6.12 tree's own x86_64 KVM selftests (kernel/kselftests.sh) on the stock
# and the patched kernel inside an emulator: every test that passes on stock
# passes on the patched kernel, and the stock results match the record in
# tests/emu/kselftests-ENV.txt (so the record cannot rot unseen). Ends with
# "N passed, N failed"; exit status 1 if anything failed, 2 on bad usage.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--env qemu-tcg|bochs] [--tests NAME,...] [--timeout S] [--slow-timeout S]
          [--record FILE | --write-record FILE]

  --env           the emulator (default qemu-tcg: AMD SVM; bochs: Intel VMX)
  --tests         run only these tests of the tree (comma-separated names),
                  e.g. a subset that fits a slow emulator's time; each must be
                  a test of the tree and, unless --write-record, in the record
                  (default: every test; bochs: the tests of its record)
  --timeout       seconds each test may take (default: qemu-tcg 120, bochs 240;
                  below the console silence bound of emu/boot.sh)
  --slow-timeout  seconds for a test the record says times out on stock
                  (default: qemu-tcg 10, bochs 120): it must still time out
  --record        compare with this record (default tests/emu/kselftests-ENV.txt)
  --write-record  also write the stock results to FILE (a new file) in the
                  record's format, to start or renew tests/emu/kselftests-ENV.txt
                  (copy the reasons of 'unreliable' lines by hand)

The record: one line per test, "NAME RESULT [REASON]", RESULT being the stock
kernel's pass, fail, skip or timeout, or "unreliable REASON" for a test whose
result in that emulator is not repeatable (it is run, shown, not compared).
A test whose results disagree (stock against the record, or a stock pass
that the patched kernel does not pass) is run once more on both kernels in
new boots; only a disagreement that repeats fails.
Environment: KSFT_SERIAL=1 boots the two kernels one after the other
(default: at the same time, one emulator each).
EOF
}

env=qemu-tcg timeout='' slow_timeout='' write_record='' only='' record=''
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--env | --timeout | --slow-timeout | --write-record | --tests | --record)
		[ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; usage >&2; exit 2; }
		case "$1" in
		--env) env=$2 ;; --timeout) timeout=$2 ;; --slow-timeout) slow_timeout=$2 ;;
		--tests) only=$2 ;; --record) record=$2 ;; *) write_record=$2 ;;
		esac
		shift 2 ;;
	*) echo "$0: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
case "$env" in
qemu-tcg) : "${timeout:=120}" "${slow_timeout:=10}" ;;
bochs) : "${timeout:=240}" "${slow_timeout:=120}" ;;
*) echo "$0: --env $env: want qemu-tcg or bochs" >&2; exit 2 ;;
esac
for v in "--timeout $timeout" "--slow-timeout $slow_timeout"; do
	if ! [[ ${v#* } =~ ^[0-9]+$ ]] || [ "${v#* }" -eq 0 ]; then
		echo "$0: ${v% *} wants seconds (got '${v#* }')" >&2
		exit 2
	fi
done
if [ -n "$write_record" ] && [ -n "$record" ]; then
	echo "$0: --record and --write-record: give one (a record is compared with, or written)" >&2
	exit 2
fi
if [ -n "$write_record" ] && [ -e "$write_record" ]; then
	echo "$0: --write-record $write_record exists (results are never overwritten)" >&2
	exit 2
fi

if [ -n "$only" ] && ! [[ $only =~ ^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$ ]]; then
	echo "$0: --tests $only: want test names separated by commas (e.g. cpuid_test,kvm_binary_stats_test)" >&2
	exit 2
fi
if [ -n "$record" ] && [ ! -f "$record" ]; then
	echo "$0: --record $record: no such file" >&2
	exit 2
fi
[ -z "$record" ] || record=$(realpath "$record")
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
: "${record:=tests/emu/kselftests-$env.txt}"
[ -n "$write_record" ] || [ -f "$record" ] ||
	{ echo "$0: no record $record (make one with --write-record)" >&2; exit 2; }
declare -A rec=() why=()
if [ -f "$record" ]; then
	while read -r t r reason; do
		case "$t" in '' | '#'*) continue ;; esac
		rec[$t]=$r
		why[$t]=$reason
	done <"$record"
fi
# Bochs runs the tests its record lists unless told (the record says why not
# all of them).
if [ -z "$only" ] && [ "$env" = bochs ] && [ -z "$write_record" ]; then
	only=$(awk '!/^#/ && NF { printf "%s%s", sep, $1; sep = "," }' "$record")
	echo "# bochs: the $(echo "${only//,/ }" | wc -w) tests of $record"
fi
if [ -n "$only" ] && [ -z "$write_record" ]; then
	for t in ${only//,/ }; do
		[ -n "${rec[$t]:-}" ] || { echo "$0: --tests: $t is not in $record (add it with --write-record)" >&2; exit 2; }
	done
fi
tmp=$(mktemp -d /tmp/exitbench-kselftests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
t0=$(date +%s)
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
elapsed() { echo "$(($(date +%s) - t0)) s"; }
finish() {
	echo "# the KVM selftests ($env) took $(elapsed)"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# One copy per emulator: the two streams of make check-emu may build at once.
bins=build/kselftests-$env
if ! kernel/kselftests.sh "$bins" >"$tmp/make.log" 2>&1; then
	tail -n 20 "$tmp/make.log"
	not_ok "building the KVM selftests of the patched tree (kernel/kselftests.sh)"
	finish
fi
# The tests of this run: the tree's, or those of --tests (each one of the tree's).
if [ -n "$only" ]; then
	: >"$tmp/selected"
	for t in ${only//,/ }; do
		grep -qx "$t" "$bins/tests.list" || { not_ok "--tests: $t is not a test of the tree (kernel/kselftests.sh lists $(wc -l <"$bins/tests.list"))"; finish; }
		grep -qx "$t" "$tmp/selected" || echo "$t" >>"$tmp/selected"
	done
else
	cp "$bins/tests.list" "$tmp/selected"
fi
declare -A kernel=()
for flavor in stock patched; do
	if ! kernel[$flavor]=$(STOCK=$([ $flavor = stock ] && echo 1 || echo 0) kernel/build.sh 2>"$tmp/build-$flavor.log" | tail -n 1) ||
		[ ! -f "${kernel[$flavor]}" ]; then
		tail -n 20 "$tmp/build-$flavor.log"
		not_ok "$flavor kernel did not build"
		finish
	fi
done
# Each test's timeout: the record's known time-outs get the short one (unless
# a new record is being written), so they cost little and still must time out.
declare -A limit=()
while read -r t; do
	limit[$t]=$timeout
	[ -n "$write_record" ] || [ "${rec[$t]:-}" != timeout ] || limit[$t]=$slow_timeout
done <"$tmp/selected"
echo "# $(wc -l <"$tmp/selected") tests${only:+ (--tests)}, $timeout s each at most ($slow_timeout s for recorded time-outs) ($(elapsed))"

# round DIR LIST: boot both kernels (at once unless KSFT_SERIAL=1) with the
# tests of LIST, each kernel's results into DIR/FLAVOR.results ("NAME EXIT
# SECONDS" lines, from the results file, or from the console if the boot died
# half-way). The whole boot may take every test's timeout, plus the boot
# itself.
round() {
	local dir=$1 list=$2 t f sp pp boot_timeout=600
	local args=()
	mkdir -p "$dir"
	: >"$dir/tests.timeouts"
	while read -r t; do
		echo "$t ${limit[$t]}" >>"$dir/tests.timeouts"
		boot_timeout=$((boot_timeout + limit[$t]))
		args+=("file:exitbench/ksft/$t=$bins/$t:0755")
	done <"$list"
	: >"$dir/run.conf"
	# shellcheck disable=SC2054 # the commas are part of the cdev entry
	python3 emu/mkinitramfs.py "$dir/initrd.gz" dir:bin dir:dev dir:proc dir:sys dir:tmp dir:exitbench \
		dir:exitbench/ksft cdev:dev/console=5,1 file:bin/busybox=/bin/busybox:0755 file:init=emu/init.sh:0755 \
		file:exitbench/run.conf="$dir/run.conf":0644 file:exitbench/job.sh=emu/job_kvm_selftests.sh:0644 \
		file:exitbench/ksft/tests.list="$dir/tests.timeouts":0644 "${args[@]}"
	declare -A boot_ok=()
	if [ "${KSFT_SERIAL:-0}" = 1 ]; then
		for f in stock patched; do
			if boot "$dir" $f "$boot_timeout"; then boot_ok[$f]=1; else boot_ok[$f]=0; fi
		done
	else
		boot "$dir" stock "$boot_timeout" & sp=$!
		boot "$dir" patched "$boot_timeout" & pp=$!
		if wait $sp; then boot_ok[stock]=1; else boot_ok[stock]=0; fi
		if wait $pp; then boot_ok[patched]=1; else boot_ok[patched]=0; fi
	fi
	for f in stock patched; do
		if [ -f "$dir/$f/results.txt" ]; then
			cp "$dir/$f/results.txt" "$dir/$f.results"
		else
			sed -n 's/^@@EXB STAGE ksft result //p' "$dir/$f/console.log" 2>/dev/null | tr -d '\r' >"$dir/$f.results" || true
		fi
		if [ "${boot_ok[$f]}" = 1 ]; then
			ok "$env/$f: the boot ran $(wc -l <"$list") test(s) and sent the results back ($(elapsed))"
		else
			tail -n 25 "$dir/$f.boot.log"
			not_ok "$env/$f: the boot failed after $(wc -l <"$dir/$f.results") of $(wc -l <"$list") tests ($(elapsed))"
		fi
	done
}
boot() {
	local dir=$1 flavor=$2 secs=$3
	emu/boot.sh --env "$env" --kernel "${kernel[$flavor]}" --initrd "$dir/initrd.gz" --memory 2048 \
		--out "$dir/$flavor" --timeout "$secs" >"$dir/$flavor.boot.log" 2>&1
}
round "$tmp/1" "$tmp/selected"

# word EXIT SECONDS LIMIT: pass, skip (KSFT_SKIP), timeout or fail.
word() {
	if [ "$1" = 0 ]; then echo pass
	elif [ "$1" = 4 ]; then echo skip
	elif [ "$1" = 143 ] && [ "$2" -ge "$3" ]; then echo timeout
	else echo fail
	fi
}
declare -A res=() secs=() dirof=()
# read_results DIR: each kernel's results of the round in DIR.
read_results() {
	local f t rc s
	for f in stock patched; do
		while read -r t rc s; do
			res[$f:$t]=$(word "$rc" "$s" "${limit[$t]:-$timeout}")
			secs[$f:$t]=$s
			dirof[$f:$t]=$1/$f
		done <"$1/$f.results"
	done
}
# agrees T: T's results are what the record and stock say they must be: the
# recorded stock result (any, for an unreliable test), and a pass on the
# patched kernel wherever stock passes.
agrees() {
	local s=${res[stock:$1]:-missing} p=${res[patched:$1]:-missing} r=${rec[$1]:-}
	[ -n "$r" ] && { [ "$r" = unreliable ] || { [ "$s" = "$r" ] && { [ "$s" != pass ] || [ "$p" = pass ]; }; }; }
}
summary() {
	echo "stock ${res[stock:$1]:-missing} (${secs[stock:$1]:-?} s), patched ${res[patched:$1]:-missing} (${secs[patched:$1]:-?} s)"
}
# show FLAVOR T [LINES]: the end of T's output on FLAVOR, as TAP comments.
show() {
	grep -v '^$' "${dirof[$1:$2]:-/nonexistent}/$2.log" 2>/dev/null | tail -n "${3:-20}" | sed "s/^/#   $1: /"
}
read_results "$tmp/1"
if [ -n "$write_record" ]; then
	{
		echo "# SPDX-License-Identifier: GPL-2.0-only"
		echo "# The stock 6.12 kernel's results of the x86_64 KVM selftests under $env"
		echo "# (tests/emu/run_kselftests.sh, $timeout s per test${only:+, the tests --tests named}): NAME RESULT [REASON]."
		while read -r t; do
			echo "$t ${res[stock:$t]:-missing}"
		done <"$tmp/selected"
	} >"$write_record"
	echo "# wrote the stock results to $write_record"
fi

# A test whose results disagree is run once more on both kernels, in new
# boots: an emulator's rare slip (QEMU TCG gives state_test a #UD on a VEX
# instruction right after XSETBV in about 0.7% of runs, on either kernel:
# kernel/README.md) then shows as
# a first run that did not repeat, with its output, and fails nothing; a
# disagreement that repeats fails. Not when writing a record: that is one run.
declare -A first=()
: >"$tmp/again"
if [ -z "$write_record" ]; then
	while read -r t; do
		[ -z "${rec[$t]:-}" ] || agrees "$t" || echo "$t" >>"$tmp/again"
	done <"$tmp/selected"
fi
if [ -s "$tmp/again" ]; then
	echo "# $(wc -l <"$tmp/again") test(s) disagree with $record or with stock; running them once more on both kernels: $(tr '\n' ' ' <"$tmp/again")($(elapsed))"
	while read -r t; do
		first[$t]="$(summary "$t")"
		for f in stock patched; do
			if [ "${res[$f:$t]:-missing}" != pass ] && [ "${res[$f:$t]:-missing}" != skip ]; then
				show $f "$t" 15 | sed "s/^#   $f: /#   $f, first run: /"
			fi
			unset "res[$f:$t]" "secs[$f:$t]" "dirof[$f:$t]"
		done
	done <"$tmp/again"
	round "$tmp/2" "$tmp/again"
	read_results "$tmp/2"
fi

n_rec=0 n_stock_pass=0 n_patched_pass=0 n_unrel=0 n_slip=0
while read -r t; do
	s=${res[stock:$t]:-missing} p=${res[patched:$t]:-missing} r=${rec[$t]:-}
	st=$(summary "$t")
	[ "$s" != pass ] || n_stock_pass=$((n_stock_pass + 1))
	[ "$p" != pass ] || n_patched_pass=$((n_patched_pass + 1))
	if [ -z "$r" ]; then
		not_ok "$t: not in $record ($st)"
		continue
	fi
	n_rec=$((n_rec + 1))
	again=${first[$t]:+; the first run gave ${first[$t]}}
	if [ "$r" = unreliable ]; then
		n_unrel=$((n_unrel + 1))
		# Not compared, but what went wrong is kept for whoever finds out why.
		if [ "$p" != pass ] && [ "$p" != skip ]; then
			show patched "$t"
		fi
		ok "$t # SKIP not compared, unreliable in $env: ${why[$t]} ($st)"
	elif [ "$s" != "$r" ]; then
		show stock "$t" 15
		not_ok "$t: stock $s, but $record says $r: the record no longer matches stock ($st$again)"
	elif [ "$s" = pass ] && [ "$p" != pass ]; then
		show patched "$t"
		not_ok "$t: passes on stock, $p on the patched kernel ($st$again)"
	elif [ -n "$again" ]; then
		n_slip=$((n_slip + 1))
		ok "$t: $st, recorded $r, in the second run$again, which did not repeat (its output is above)"
	else
		ok "$t: $st, recorded $r"
	fi
done <"$tmp/selected"
for t in "${!rec[@]}"; do
	grep -qx "$t" "$bins/tests.list" || not_ok "$t: in $record but not a test of the tree"
done
echo "# $env: $n_rec tests recorded ($n_unrel unreliable); $n_stock_pass pass on stock, $n_patched_pass on the patched kernel; $n_slip first-run disagreement(s) that did not repeat"
finish
