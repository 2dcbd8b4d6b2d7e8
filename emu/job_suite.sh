# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# The job of emu/init.sh for run_all.sh --env: every exit test in $TESTS with
# the options in "$@", then the kernel's own KVM selftests in $KSELFTESTS;
# each test's JSON, TAP, stderr and exit status go to /results.

if [ ! -e /dev/kvm ]; then
	say "STAGE no /dev/kvm: $(dmesg | grep -i -E 'kvm|vmx|svm' | tail -n 3 | tr '\n' ' ')"
fi
exitbench_info --json /results/metadata.json 2>/results/exitbench_info.stderr

n=0
total=$(echo "$TESTS $KSELFTESTS" | wc -w)
for t in $TESTS; do
	n=$((n + 1))
	say "STAGE test $n/$total $t"
	"/exitbench/$t" --json "/results/$t.json" "$@" >"/results/$t.tap" 2>"/results/$t.stderr"
	echo $? >"/results/$t.status"
done
for t in $KSELFTESTS; do
	n=$((n + 1))
	say "STAGE test $n/$total $t"
	"/exitbench/$t" >"/results/kselftest-$t.tap" 2>&1
	echo $? >"/results/kselftest-$t.status"
done
