# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# The job of emu/init.sh for run_all.sh --env: every exit test in $TESTS with
# the options in "$@", then the kernel's own KVM selftests in $KSELFTESTS;
# each test's JSON, TAP, stderr and exit status go to /results. What a test
# says on stderr (its progress every few seconds, its errors) also goes to
# the console as "@@EXB PROGRESS" lines, and a kernel selftest, which says
# nothing while it runs, gets a heartbeat (emu/init.sh): the host tells a hang
# by silence (emu/console.py).

if [ ! -e /dev/kvm ]; then
	say "STAGE no /dev/kvm: $(dmesg | grep -i -E 'kvm|vmx|svm' | tail -n 3 | tr '\n' ' ')"
fi
exitbench_info --json /results/metadata.json 2>/results/exitbench_info.stderr

# Progress every guest second: under Bochs one guest second can take a
# minute of the host's.
export EXITBENCH_PROGRESS_S=1
n=0
total=$(echo "$TESTS $KSELFTESTS" | wc -w)
for t in $TESTS; do
	n=$((n + 1))
	say "STAGE test $n/$total $t"
	{
		"/exitbench/$t" --json "/results/$t.json" "$@" 2>&1 >"/results/$t.tap"
		echo $? >"/results/$t.status"
	} | tee "/results/$t.stderr" | while IFS= read -r line; do say "PROGRESS $line"; done
done
for t in $KSELFTESTS; do
	n=$((n + 1))
	say "STAGE test $n/$total $t"
	heartbeat "$t" &
	beat=$!
	"/exitbench/$t" >"/results/kselftest-$t.tap" 2>&1
	echo $? >"/results/kselftest-$t.status"
	kill "$beat"
	wait "$beat" 2>/dev/null
done
