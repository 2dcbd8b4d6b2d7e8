# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# A job for emu/init.sh (tests/emu/run_emu_tests.sh boots it): exit_top in a
# kernel under test. Two samplers log while one exit test runs: the debugfs
# table (patched kernels) and the kvm:kvm_exit tracepoint; then --once
# without a source, to show what it says and falls back to.

exitbench_info --json /results/metadata.json 2>/results/exitbench_info.stderr
say "STAGE exit_top samplers around exit_cpuid"
exit_top --source debugfs --csv -d 100ms >/results/top-debugfs.csv 2>/results/top-debugfs.stderr &
db=$!
exit_top --source tracepoint --csv -d 100ms >/results/top-tracepoint.csv 2>/results/top-tracepoint.stderr &
tp=$!
sleep 1
# The selftest library reads its own ELF through argv[0]: a full path.
/exitbench/exit_cpuid -n 20000 -t 1 --counters stats-fd >/results/exit_cpuid.tap 2>&1
echo $? >/results/exit_cpuid.status
sleep 1
kill -TERM $db $tp 2>/dev/null
wait $db
echo $? >/results/top-debugfs.status
wait $tp
echo $? >/results/top-tracepoint.status
say "STAGE exit_top --once"
exit_top --once >/results/top-once.txt 2>&1
echo $? >/results/top-once.status
