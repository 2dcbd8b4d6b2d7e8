#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# exit_top on synthetic debugfs tables (--debugfs FILE): --once on VMX and SVM
# tables, interactive refreshes, --csv against a table that a background
# writer rewrites (atomic rename) with known increments, a table that
# disappears or turns malformed mid-run, bad options, and the stock-kernel
# messages of this machine. Prints ok / not ok lines; exit 1 on any failure.
# EXIT_TOP=path/to/exit_top tests another binary (e.g. build/static/exit_top).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${EXIT_TOP:-$top/exit_top}
[ -x "$bin" ] || { echo "not ok - $bin is missing: run make first"; exit 1; }
tmp=$(mktemp -d /tmp/exit_top-test.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# expect CODE REGEX CMD...: CMD exits CODE and its stdout+stderr match REGEX.
expect() {
	local code=$1 re=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" -eq "$code" ] && grep -qE -- "$re" "$tmp/out"; then
		ok "$* -> exit $code, /$re/"
	else
		not_ok "$* -> exit $rc (want $code, /$re/), output: $(head -c 600 "$tmp/out" | tr '\n' '|')"
	fi
}

# order_is "R1 R2 ... " WHAT: the reason column of the last screen in $tmp/once.
order_is() {
	local got
	got=$(awk '/^ *reason +name/ { n = 0; p = 1; next }
		   p && /^ *(-|[0-9]|0x)/ { r[++n] = $1 }
		   END { for (i = 1; i <= n; i++) printf "%s ", r[i] }' "$tmp/once")
	if [ "$got" = "$1" ]; then ok "$2: $1"; else not_ok "$2: order '$got', want '$1'; exit_top said: $(tail -n 4 "$tmp/once" | tr -s ' \n' ' ')"; fi
}

cat >"$tmp/vmx" <<'EOF'
# vendor vmx
# reason count cycles l2_count l2_cycles name
1 100 400000 0 0 EXTERNAL_INTERRUPT
10 600 300000 50 1000 CPUID
30 300 1300000 0 0 IO_INSTRUCTION
EOF
cat >"$tmp/svm" <<'EOF'
# vendor svm
# reason count cycles l2_count l2_cycles name
0x46 50 100000 0 0 UD excp
0x60 249 27142102 0 0 interrupt
0x72 100000 2541985132 0 0 cpuid
0x7b 2 3450902 0 0 io
0x400 13 5371314 0 0 npf
- 1 0 0 0 UNKNOWN
EOF
echo Y >"$tmp/cycles_on"
echo N >"$tmp/cycles_off"

echo "# --once on a VMX table"
expect 0 "total: 1000 exits, 2000000 cycles, 2000.0 cycles/exit" "$bin" --debugfs "$tmp/vmx" --once --cycles-param "$tmp/cycles_on"
"$bin" --debugfs "$tmp/vmx" --once --cycles-param "$tmp/cycles_on" >"$tmp/once" 2>&1
if grep -qE '^ +10  CPUID +600 +300000 +500.0 +60.0 +15.0 +50 +1000$' "$tmp/once" &&
	grep -qE '^ +30  IO_INSTRUCTION +300 +1300000 +4333.3 +30.0 +65.0 +0 +0$' "$tmp/once" &&
	grep -qE '^ +1  EXTERNAL_INTERRUPT +100 +400000 +4000.0 +10.0 +20.0 +0 +0$' "$tmp/once" &&
	grep -qE '^ +reason +name +exits +cycles +cycles/exit +exits_% +cycles_% +l2_exits +l2_cycles$' "$tmp/once" &&
	grep -qF 'levels: 50 exits of L2 (nested guests, 5.0%), 950 of L1; 1000 cycles of L2, 1999000 of L1' "$tmp/once" &&
	grep -q '^cycles: on (kvm.exit_cycles=Y)' "$tmp/once"; then
	ok "VMX rows: names, counts, cycles per exit, shares, L2 exits and cycles; header with units and levels"
else
	not_ok "VMX rows: $(tr '\n' '|' <"$tmp/once")"
fi
order_is "10 30 1 " "sorted by count"
"$bin" --debugfs "$tmp/vmx" --once -s cycles >"$tmp/once" 2>&1
order_is "30 1 10 " "-s cycles"
"$bin" --debugfs "$tmp/vmx" --once -s cycles --cycles-param "$tmp/cycles_off" >"$tmp/once" 2>&1
if grep -qE '^ +10  CPUID +600 +off +off +60.0 +off +50 +off$' "$tmp/once" && grep -q 'kvm.exit_cycles=N; turn on: echo 1 >' "$tmp/once" &&
	grep -qF 'levels: 50 exits of L2 (nested guests, 5.0%), 950 of L1' "$tmp/once" && ! grep -q 'cycles of L2' "$tmp/once" &&
	grep -q 'sorted by count (no cycles)' "$tmp/once"; then
	ok "kvm.exit_cycles=N: cycles columns say off"
else
	not_ok "cycles off: $(tr '\n' '|' <"$tmp/once")"
fi
order_is "10 30 1 " "kvm.exit_cycles=N: -s cycles sorts by count"

echo "# --once on an SVM table"
"$bin" --debugfs "$tmp/svm" --once --cycles-param "$tmp/cycles_on" >"$tmp/once" 2>&1
if grep -q 'vendor: svm' "$tmp/once" && grep -qE '^ +0x46  UD excp +50 +100000 +2000.0 +0.0 +0.0 +0 +0$' "$tmp/once" &&
	grep -qE '^ +0x400  npf +13 +5371314 +413178.0 +0.0 +0.2 +0 +0$' "$tmp/once" &&
	grep -qE '^ +0x72  cpuid +100000 +2541985132 +25419.9 +99.7 +98.6 +0 +0$' "$tmp/once" &&
	grep -qE '^ +-  UNKNOWN +1 +0 +0.0 +0.0 +0.0 +0 +0$' "$tmp/once" &&
	grep -qF 'levels: 0 exits of L2 (nested guests, 0.0%), 100315 of L1' "$tmp/once" &&
	grep -q '^total: 100315 exits, 2578049450 cycles' "$tmp/once"; then
	ok "SVM rows: hex codes, 'UD excp' (a name with a space), UNKNOWN, shares"
else
	not_ok "SVM rows: $(tr '\n' '|' <"$tmp/once")"
fi
order_is "0x72 0x60 0x46 0x400 0x7b - " "SVM sorted by count"
"$bin" --debugfs "$tmp/svm" --once -s cycles >"$tmp/once" 2>&1
order_is "0x72 0x60 0x400 0x7b 0x46 - " "SVM -s cycles"

echo "# a nested guest's exits (L2) on an SVM table"
cat >"$tmp/nested" <<'EOF'
# vendor svm
# reason count cycles l2_count l2_cycles name
0x72 300 30000 280 29000 cpuid
0x7b 900 90000 900 90000 io
0x80 2000 400000 0 0 vmrun
0x400 1200 240000 1100 230000 npf
EOF
"$bin" --debugfs "$tmp/nested" --once --cycles-param "$tmp/cycles_on" >"$tmp/once" 2>&1
if grep -qE '^ +0x80  vmrun +2000 +400000 +200.0 +45.5 +52.6 +0 +0$' "$tmp/once" &&
	grep -qE '^ +0x7b  io +900 +90000 +100.0 +20.5 +11.8 +900 +90000$' "$tmp/once" &&
	grep -qF 'levels: 2280 exits of L2 (nested guests, 51.8%), 2120 of L1; 349000 cycles of L2, 411000 of L1' "$tmp/once"; then
	ok "nested: VMRUN all L1's, IOIO all L2's, the levels' totals"
else
	not_ok "nested: $(tr '\n' '|' <"$tmp/once")"
fi
order_is "0x80 0x400 0x7b 0x72 " "nested: sorted by count"
"$bin" --debugfs "$tmp/nested" --once -s l2 >"$tmp/once" 2>&1
order_is "0x400 0x7b 0x72 0x80 " "nested: -s l2"
"$bin" --debugfs "$tmp/nested" --csv --samples 1 >"$tmp/once" 2>&1
if grep -qx '0,0.000000,0.000000,0x80,vmrun,2000,400000,0,0,0,0,0,0' "$tmp/once" &&
	grep -qx '0,0.000000,0.000000,0x400,npf,1200,240000,0,0,1100,230000,0,0' "$tmp/once"; then
	ok "nested: --csv l2_exits, l2_cycles and their deltas"
else
	not_ok "nested --csv: $(tr '\n' '|' <"$tmp/once")"
fi

# write_table FILE STEP MODE: the table after STEP steps, swapped in by rename.
# csv: CPUID +7 exits (100 cycles each; 3 of them L2's), IO +1 (3000), HLT
# appears at step 5 (+1, 1000). rate: CPUID stays, HLT +50 per step.
write_table() {
	local f=$1 k=$2 mode=$3
	{
		echo "# vendor vmx"
		echo "# reason count cycles l2_count l2_cycles name"
		if [ "$mode" = csv ]; then
			echo "10 $((1000 + 7 * k)) $((50000 + 700 * k)) $((500 + 3 * k)) $((20000 + 300 * k)) CPUID"
			if [ "$k" -ge 5 ]; then echo "12 $((k - 4)) $((1000 * (k - 4))) 0 0 HLT"; fi
			echo "30 $((10 + k)) $((20000 + 3000 * k)) 0 0 IO_INSTRUCTION"
		else
			echo "10 1000000 0 0 0 CPUID"
			echo "12 $((50 * k)) 0 0 0 HLT"
		fi
	} >"$f.new"
	mv -f "$f.new" "$f"
}

# writer FILE FROM TO MODE: steps FROM..TO, a few ms apart.
writer() {
	local k
	for ((k = $2; k <= $3; k++)); do
		write_table "$1" "$k" "$4"
		sleep 0.004
	done
}

# check_csv FILE STEPS: format, deltas, sums and the writer's increments.
check_csv() {
	awk -F, -v steps="$2" -v hdr="sample,time_s,interval_s,reason,name,exits,cycles,exits_delta,cycles_delta,l2_exits,l2_cycles,l2_exits_delta,l2_cycles_delta" '
	function err(m) { if (nerr++ < 5) print m; }
	BEGIN { cur = -1 }
	NR == 1 { if ($0 != hdr) err("bad header: " $0); next }
	NF != 13 { err("line " NR ": " NF " fields: " $0); next }
	$2 !~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ || $3 !~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ { err("line " NR ": times not in s with 6 decimals") }
	{
		if ($1 != cur) {
			if ($1 != cur + 1) err("line " NR ": sample " $1 " after " cur)
			if (cur >= 0 && rows != nseen) err("sample " cur ": " rows " rows, " nseen " reasons seen")
			if (cur >= 0 && ($2 - lastt - $3 > 2e-6 || $2 - lastt - $3 < -2e-6)) err("line " NR ": interval_s is not the time_s step")
			if (cur >= 0) { niv++; if ($3 <= 0) err("line " NR ": interval_s " $3); if ($3 >= 0.009 && $3 <= 0.05) good++ }
			cur = $1; rows = 0; lastt = $2; changed = 0
		}
		rows++
		r = $4
		if (!(r in first)) {
			nseen++
			first[r] = cur == 0 ? $6 : 0; prev[r] = first[r]
			firstc[r] = cur == 0 ? $7 : 0; prevc[r] = firstc[r]
			first2[r] = cur == 0 ? $10 : 0; prev2[r] = first2[r]
			first2c[r] = cur == 0 ? $11 : 0; prev2c[r] = first2c[r]
		}
		if ($10 - prev2[r] != $12 || $11 - prev2c[r] != $13) err("line " NR ": L2 deltas " $12 "," $13 " are not the growth " $10 - prev2[r] "," $11 - prev2c[r])
		if (cur == 0 && ($12 != 0 || $13 != 0)) err("line " NR ": sample 0 has non-zero L2 deltas")
		if (r == 10 && ($12 * 7 != $8 * 3 || $13 != 100 * $12)) err("line " NR ": CPUID L2 grew by " $12 "," $13 ", not 3 of each 7 exits at 100 cycles")
		if (r != 10 && ($10 != 0 || $11 != 0)) err("line " NR ": reason " r " has L2 exits")
		sum2[r] += $12; sum2c[r] += $13; prev2[r] = $10; prev2c[r] = $11
		if ($6 - prev[r] != $8 || $7 - prevc[r] != $9) err("line " NR ": deltas " $8 "," $9 " are not the growth " $6 - prev[r] "," $7 - prevc[r])
		if (cur == 0 && ($8 != 0 || $9 != 0)) err("line " NR ": sample 0 has non-zero deltas")
		if (r == 10 && ($8 % 7 || $9 != 100 * $8)) err("line " NR ": CPUID grew by " $8 "," $9 ", not 7k exits at 100 cycles")
		if (r == 12 && $9 != 1000 * $8) err("line " NR ": HLT cycles delta " $9)
		if (r == 30 && $9 != 3000 * $8) err("line " NR ": IO cycles delta " $9)
		if ($8 > 0 && cur > 0 && !seen_change[cur]++) nchanged++
		sum[r] += $8; sumc[r] += $9; prev[r] = $6; prevc[r] = $7
	}
	END {
		if (rows != nseen) err("last sample: " rows " rows, " nseen " reasons seen")
		for (r in sum)
			if (sum[r] != prev[r] - first[r] || sumc[r] != prevc[r] - firstc[r])
				err("reason " r ": sum of deltas " sum[r] "," sumc[r] " != final growth " prev[r] - first[r] "," prevc[r] - firstc[r])
		for (r in sum2)
			if (sum2[r] != prev2[r] - first2[r] || sum2c[r] != prev2c[r] - first2c[r])
				err("reason " r ": sum of L2 deltas " sum2[r] "," sum2c[r] " != final L2 growth " prev2[r] - first2[r] "," prev2c[r] - first2c[r])
		if (prev2[10] != 500 + 3 * steps) err("final L2 count of CPUID " prev2[10] " is not the writer step " steps)
		if (prev[10] != 1000 + 7 * steps || prev[12] != steps - 4 || prev[30] != 10 + steps)
			err("final counts " prev[10] " " prev[12] " " prev[30] " are not the writer step " steps)
		if (cur < 10) err("only " cur + 1 " samples")
		if (nchanged < 3) err("only " nchanged " samples saw the table change")
		mean = niv ? lastt / niv : 0
		if (mean < 0.0095 || mean > 0.05) err("mean interval " mean " s for -d 10ms")
		if (nerr) exit 1
		printf "%d samples (mean interval %.4f s, %d of %d within 9-50 ms), %d with changes, %d reasons; sums of deltas (both levels) = final growth", cur + 1, mean, good, niv, nchanged, nseen
	}' "$1"
}

# complete FILE: a header and whole lines only.
complete() {
	[ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] &&
		awk -F, 'NR == 1 && !/^sample,time_s,/ { exit 1 } NF != 13 { exit 1 }' "$1"
}

echo "# --csv against a table rewritten during the run"
steps=60
write_table "$tmp/live" 0 csv
"$bin" --csv -d 10ms --debugfs "$tmp/live" >"$tmp/live.csv" 2>"$tmp/live.err" &
tpid=$!
pids+=("$tpid")
sleep 0.05
writer "$tmp/live" 1 "$steps" csv
sleep 0.15
kill -TERM "$tpid"
rc=0
wait "$tpid" || rc=$?
if [ "$rc" -eq 0 ] && complete "$tmp/live.csv" && res=$(check_csv "$tmp/live.csv" "$steps"); then
	ok "--csv -d 10ms, SIGTERM: exit 0, $res"
else
	not_ok "--csv: exit $rc, ${res:-}; stderr: $(head -c 300 "$tmp/live.err")"
fi
"$bin" --csv -d 10ms --debugfs "$tmp/live" >"$tmp/int.csv" 2>&1 &
tpid=$!
pids+=("$tpid")
sleep 0.2
kill -INT "$tpid"
rc=0
wait "$tpid" || rc=$?
if [ "$rc" -eq 0 ] && complete "$tmp/int.csv"; then
	ok "--csv stops on SIGINT: exit 0, $(($(wc -l <"$tmp/int.csv") - 1)) whole rows"
else
	not_ok "--csv SIGINT: exit $rc, $(tail -n 2 "$tmp/int.csv" | tr '\n' '|')"
fi
expect 0 "^2,0\.[0-9]{6},0\.[0-9]{6},30,IO_INSTRUCTION,[0-9]+,[0-9]+,0,0,0,0,0,0$" "$bin" --csv --samples 3 -d 5ms --debugfs "$tmp/live"

# broken_run NAME REGEX ACTION: exit_top --csv until ACTION breaks its table.
broken_run() {
	local name=$1 re=$2 rc=0 i
	write_table "$tmp/$name" 3 csv
	"$bin" --csv -d 10ms --debugfs "$tmp/$name" >"$tmp/$name.csv" 2>"$tmp/$name.err" &
	tpid=$!
	pids+=("$tpid")
	sleep 0.1
	"$3" "$tmp/$name"
	for ((i = 0; i < 100; i++)); do kill -0 "$tpid" 2>/dev/null && sleep 0.02; done
	kill -TERM "$tpid" 2>/dev/null && rc=143
	wait "$tpid" || rc=$?
	if [ "$rc" -eq 3 ] && grep -qE -- "$re" "$tmp/$name.err" && complete "$tmp/$name.csv"; then
		ok "$name: exit 3, /$re/, CSV of $(($(wc -l <"$tmp/$name.csv") - 1)) whole rows"
	else
		not_ok "$name: exit $rc, stderr: $(head -c 300 "$tmp/$name.err"), CSV tail: $(tail -n 1 "$tmp/$name.csv")"
	fi
}
vanish() { rm -f "$1"; }
malform() { printf '# vendor vmx\n# reason count cycles l2_count l2_cycles name\n10 1021 CPUID\n' >"$1.new" && mv -f "$1.new" "$1"; }
go_back() { write_table "$1" 2 csv; }
l2_back() { write_table "$1" 3 csv && sed 's/^10 \([0-9]*\) \([0-9]*\) [0-9]* /10 \1 \2 1 /' "$1" >"$1.new" && mv -f "$1.new" "$1"; }
switch_vendor() { sed 's/vendor vmx/vendor svm/' "$1" >"$1.new" && mv -f "$1.new" "$1"; }
echo "# a table that disappears or goes bad mid-run"
broken_run vanish "cannot open .*/vanish: No such file or directory" vanish
broken_run malformed "malformed: line 3: expected 'reason count cycles l2_count l2_cycles name', got '10 1021 CPUID'" malform
broken_run back "the counters of 10 CPUID went down \(exits 1021 -> 1014" go_back
broken_run l2_back "the L2 counters of 10 CPUID went down \(l2_count 509 -> 1" l2_back
broken_run vendor "vendor changed from vmx to svm" switch_vendor

echo "# interactive view (not a terminal: no clear-screen, screens one after another)"
"$bin" --debugfs "$tmp/vmx" --samples 3 -d 20ms >"$tmp/screens" 2>&1
if [ "$(grep -c '^sample [0-9]' "$tmp/screens")" -eq 3 ] && grep -q '^sample 3 at 0.0[0-9]* s, interval 0.0[0-9]* s, sorted by count' "$tmp/screens" &&
	grep -qE '^ +reason +name +exits +exits/s +cycles +cycles/exit +exits_% +cycles_% +l2_exits +l2_cycles$' "$tmp/screens" &&
	grep -qE '^ +10  CPUID +600 +0.0 ' "$tmp/screens" && ! grep -q $'\033' "$tmp/screens"; then
	ok "--samples 3 -d 20ms: 3 screens with exits/s, no escape codes"
else
	not_ok "screens: $(head -c 600 "$tmp/screens" | tr '\n' '|')"
fi
write_table "$tmp/rate" 0 rate
# The writer grows HLT until exit_top is done, and the interval is 1 s: on a
# loaded machine the writer's steps (a fork and exec each) stalled for more
# than 200 ms, and HLT's rate in the last interval was 0, as CPUID's.
writer "$tmp/rate" 1 100000000 rate &
wpid=$!
pids+=("$wpid")
"$bin" --debugfs "$tmp/rate" --samples 3 -d 1s -s rate >"$tmp/once" 2>&1
kill "$wpid" 2>/dev/null || true
wait "$wpid" 2>/dev/null || true
order_is "12 10 " "-s rate: HLT (growing) above CPUID (larger, static)"
"$bin" --debugfs "$tmp/rate" --samples 2 -d 20ms -s count >"$tmp/once" 2>&1
order_is "10 12 " "-s count: CPUID above HLT"
"$bin" --debugfs "$tmp/vmx" -d 10ms >/dev/null 2>&1 &
tpid=$!
pids+=("$tpid")
sleep 0.1
kill -TERM "$tpid"
rc=0
wait "$tpid" || rc=$?
if [ "$rc" -eq 0 ]; then ok "interactive view stops on SIGTERM with exit 0"; else not_ok "interactive SIGTERM: exit $rc"; fi

echo "# bad options"
expect 2 "unknown option '--bogus'" "$bin" --bogus
expect 2 "^usage: exit_top \[-d INTERVAL\]" "$bin" --bogus
expect 2 "unknown option '-x'" "$bin" -x
expect 2 "-d wants a time from 1ms to 3600s" "$bin" -d 0
expect 2 "-d wants a time" "$bin" -d 5x
expect 2 "-d wants a time" "$bin" -d 0.5ms
expect 2 "-d wants a time" "$bin" -d -1
expect 2 "option '-d' needs a value" "$bin" -d
expect 2 "-s wants count, cycles, rate or l2" "$bin" -s foo
expect 2 "-s l2 needs the patched kernel's table: the tracepoint does not count the exits of nested guests \(L2\) apart" "$bin" -s l2 --source tracepoint
expect 2 "--samples wants a whole number" "$bin" --samples 0
expect 2 "--samples wants a whole number" "$bin" --samples 2x
expect 2 "the number of samples is --samples N \(in the exit tests, -n is --iterations\)" "$bin" -n 2
expect 2 "--source wants debugfs or tracepoint" "$bin" --source foo
expect 2 "--once and --samples exclude each other" "$bin" --once --samples 2
expect 2 "-s rate needs two samples" "$bin" --once -s rate
expect 2 "-s does not apply to --csv" "$bin" --csv -s count
expect 2 "--debugfs and --source tracepoint exclude" "$bin" --debugfs "$tmp/vmx" --source tracepoint
expect 2 "unexpected argument 'extra'" "$bin" extra
expect 2 "--bench wants a whole number" "$bin" --bench 0
expect 2 "EXITBENCH_VENDOR=intel: use vmx, svm or other" env EXITBENCH_VENDOR=intel "$bin" --source tracepoint --once
expect 0 "usage: exit_top.*" "$bin" -h
expect 0 "sample,time_s,interval_s,reason,name,exits,cycles,exits_delta,cycles_delta," "$bin" --help
expect 0 "l2_exits,l2_cycles,l2_exits_delta,l2_cycles_delta" "$bin" --help
expect 0 "L1 = exits - l2_exits" "$bin" --help
expect 3 "cannot open $tmp/nope: No such file or directory" "$bin" --debugfs "$tmp/nope" --once
printf '# vendor vmx\n# reason count cycles l2_count l2_cycles name\n10 1 1 0 0 CPUID\n10 2 2 0 0 CPUID\n' >"$tmp/dup"
expect 3 "dup: reason 10 CPUID is listed twice" "$bin" --debugfs "$tmp/dup" --once
expect 2 "-d wants a time" "$bin" -d 0x10
expect 0 "sample 2 at 0.0[0-9]* s, interval 0.0[0-9]* s" "$bin" --debugfs "$tmp/vmx" --samples 2 -d .05
printf '# vendor pvm\n' >"$tmp/pvm"
expect 3 "pvm: line 1: expected '# vendor vmx.svm'" "$bin" --debugfs "$tmp/pvm" --once

echo "# this machine's kernel: which interface is missing"
if [ "$(stat -f -c %T /sys/kernel/debug 2>/dev/null)" != debugfs ]; then
	expect 3 "debugfs table: no /sys/kernel/debug/kvm/exit_reasons: debugfs is not mounted on /sys/kernel/debug \(mount -t debugfs none /sys/kernel/debug\)" \
		env EXITBENCH_VENDOR=other "$bin" --once
elif [ ! -e /sys/kernel/debug/kvm/exit_reasons ]; then
	expect 3 "debugfs table: no /sys/kernel/debug/kvm/exit_reasons: (this kernel does not have the exit-stats patch series \(kernel/patches\)|KVM is not loaded)" \
		env EXITBENCH_VENDOR=other "$bin" --once
else
	echo "# skip: this kernel has /sys/kernel/debug/kvm/exit_reasons"
fi
if [ ! -e /sys/kernel/debug/kvm/exit_reasons ]; then
	expect 3 "tracepoint fallback: the kvm:kvm_exit tracepoint reports VMX or SVM exit codes, and this host's KVM is neither \(vendor other" \
		env EXITBENCH_VENDOR=other "$bin" --once
	expect 3 "^exit_top: no /sys/kernel/debug/kvm/exit_reasons: " env EXITBENCH_VENDOR=vmx "$bin" --source debugfs --once
	if grep -q tracepoint "$tmp/out"; then not_ok "--source debugfs mentions a fallback"; else ok "--source debugfs: no fallback"; fi
fi
expect 3 "^exit_top: the kvm:kvm_exit tracepoint reports VMX or SVM exit codes.*vendor other" \
	env EXITBENCH_VENDOR=other "$bin" --source tracepoint --once
# In a private mount namespace: debugfs mounted (stock kernel message), and
# tracefs too, so the tracepoint fallback opens its counters (they stay at
# 0 on a software hypervisor, but opening, filtering and reading run).
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	ns() { unshare -m sh -c 'mount -t debugfs none /sys/kernel/debug && mount -t tracefs nodev /sys/kernel/tracing && exec "$@"' sh "$@"; }
	if ns test ! -e /sys/kernel/debug/kvm/exit_reasons; then
		expect 3 "debugfs table: no /sys/kernel/debug/kvm/exit_reasons: (this kernel does not have the exit-stats patch series \(kernel/patches\)|KVM is not loaded)" \
			ns env EXITBENCH_VENDOR=other "$bin" --once
	fi
	if ns test -e /sys/kernel/tracing/events/kvm/kvm_exit/id; then
		for v in vmx svm; do
			expect 0 "source: kvm:kvm_exit tracepoint, [0-9]+ CPUs x [0-9]+ reasons  vendor: $v" \
				ns env EXITBENCH_VENDOR=$v "$bin" --once -d 50ms
		done
		expect 0 "cycles: n/a \(the tracepoint does not time exits" ns env EXITBENCH_VENDOR=svm "$bin" --source tracepoint --samples 2 -d 20ms
		expect 0 "^levels: not counted \(the tracepoint does not tell the exits of nested guests, L2, from L1's" \
			ns env EXITBENCH_VENDOR=svm "$bin" --source tracepoint --samples 2 -d 20ms
		if grep -q "l2_exits" "$tmp/out"; then not_ok "tracepoint: no L2 columns"; else ok "tracepoint: no L2 columns"; fi
		expect 0 "sorted by count \(no L2 counts\)" ns env EXITBENCH_VENDOR=vmx "$bin" --once -s l2 -d 50ms
		expect 0 "^sample,time_s,interval_s,reason,name,exits,cycles,exits_delta,cycles_delta,l2_exits,l2_cycles,l2_exits_delta,l2_cycles_delta$" \
			ns env EXITBENCH_VENDOR=vmx "$bin" --source tracepoint --csv --samples 3 -d 10ms
	else
		echo "# skip: no kvm:kvm_exit event in tracefs here"
	fi
else
	echo "# skip: mount-namespace cases need root and unshare -m"
fi

echo "# what one sample costs"
{
	echo "# vendor vmx"
	echo "# reason count cycles l2_count l2_cycles name"
	for r in 0 1 2 7 9 10 12 13 14 18 28 29 30 31 32 40 44 48 49 54; do
		echo "$r $((r * 123456789 + 1)) $((r * 98765432101 + 7)) 0 0 R$r"
	done
} >"$tmp/t20"
if "$bin" --debugfs "$tmp/t20" --bench 1000 >"$tmp/bench" 2>&1 && grep -qE '^read\+parse_us: median [0-9.]+ p10 [0-9.]+ p90 [0-9.]+ max [0-9.]+$' "$tmp/bench"; then
	ok "--bench 1000 on a 20-row table: $(sed -n 2,3p "$tmp/bench" | tr '\n' ';')"
else
	not_ok "--bench: $(cat "$tmp/bench")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
