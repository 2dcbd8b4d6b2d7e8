# SPDX-License-Identifier: GPL-2.0-only
#
# kvm-exitbench: one binary per exit test, built on the KVM selftest library
# of a Linux source tree (KSRC, default Debian's linux-source-6.12 under build/).

# One line per exit test: selftests/exit_NAME.c becomes ./exit_NAME.
TESTS += cpuid
TESTS += hlt
TESTS += msr_read
TESTS += msr_write
TESTS += io_user
TESTS += io_kernel
TESTS += ept_violation
TESTS += mmio
TESTS += vmcall
TESTS += exception
TESTS += external_interrupt
TESTS += triple_fault
TESTS += xsetbv
TESTS += wbinvd
TESTS += invd
TESTS += cr_access

CC ?= cc
B := build
# Resolved once per make run; prepare_ksrc.sh extracts/installs when needed.
KSRC_DIR := $(shell lib/prepare_ksrc.sh $(KSRC) || echo PREPARE_FAILED)
ifeq ($(KSRC_DIR),PREPARE_FAILED)
$(error could not prepare the kernel source tree (see the message above))
endif
ST := $(KSRC_DIR)/tools/testing/selftests/kvm

INCLUDES := -I$(KSRC_DIR)/tools/include -I$(KSRC_DIR)/tools/arch/x86/include \
	-isystem $(KSRC_DIR)/usr/include -I$(ST)/include -I$(ST)/include/x86_64 \
	-I$(KSRC_DIR)/tools/testing/selftests
# The selftest library's own flags (tools/testing/selftests/kvm/Makefile).
ST_CFLAGS := -DQUIET -Wall -Wstrict-prototypes -Wuninitialized -O2 -g -std=gnu99 \
	-MD -MP -DCONFIG_64BIT -U_FORTIFY_SOURCE \
	-fno-builtin-memcmp -fno-builtin-memcpy -fno-builtin-memset \
	-fno-builtin-strnlen -fno-stack-protector -fno-PIE -fno-strict-aliasing \
	-march=x86-64-v2 -D_GNU_SOURCE= $(INCLUDES)
# Our own files: the same, plus -Wextra, warning-free.
# Kernel headers as system headers (same order): their warnings are not ours.
OUR_CFLAGS := $(filter-out -I% -isystem $(KSRC_DIR)/usr/include,$(ST_CFLAGS)) \
	-Wextra -Ilib -Iguest_code $(subst -I,-isystem ,$(INCLUDES))
LDFLAGS_DYN := -pthread -no-pie
# Binaries with the selftest library: every ioctl() goes through
# lib/compat_ioctl.c, so that they also run on kernels before 6.8.
KVM_LDFLAGS := $(LDFLAGS_DYN) -Wl,--wrap=ioctl
COMPAT_OBJ := $(B)/obj/lib/compat_ioctl.o
LDLIBS := -ldl -lm

LIBKVM_C := assert.c elf.c guest_modes.c io.c kvm_util.c memstress.c \
	guest_sprintf.c rbtree.c sparsebit.c test_util.c ucall_common.c \
	userfaultfd_util.c x86_64/apic.c x86_64/hyperv.c x86_64/memstress.c \
	x86_64/pmu.c x86_64/processor.c x86_64/sev.c x86_64/svm.c \
	x86_64/ucall.c x86_64/vmx.c
LIBKVM_OBJS := $(patsubst %.c,$(B)/libkvm/%.o,$(LIBKVM_C)) \
	$(B)/libkvm/x86_64/handlers.o $(B)/libkvm/string_override.o

# Host-side harness and guest-side driver shared by every test.
HARNESS_SRC := $(wildcard lib/*.c) $(wildcard guest_code/*.c)
HARNESS_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(HARNESS_SRC))
EXITLIB := $(filter-out $(B)/obj/lib/exitbench_info.o,$(HARNESS_OBJS))
# exitbench_info has its own main() and no exit test.
INFOLIB := $(filter-out $(B)/obj/lib/runner.o $(B)/obj/guest_code/%,$(EXITLIB))

BINS := $(addprefix exit_,$(TESTS))
# The kernel's own KVM selftests that run inside a kernel under test too.
KSELFTESTS := kvm_binary_stats_test
STATIC_BINS := $(addprefix $(B)/static/,$(BINS) exitbench_info $(KSELFTESTS)) $(B)/static/exit_top \
	$(B)/static/profile_helper $(B)/static/profile_l2init

.PHONY: all static check check-native check-kernel check-emu clean kernel help
# Keep objects of pattern-built binaries (no needless rebuilds).
.SECONDARY:
all: $(BINS) exitbench_info exit_top

help:
	@echo "make [KSRC=/path/to/linux]   build ./exit_*, ./exitbench_info and ./exit_top"
	@echo "make static                  statically linked copies in $(B)/static/"
	@echo "make check                   check-native, check-kernel, check-emu (what CI runs)"
	@echo "make check-native            unit tests, real runs on /dev/kvm, bad input"
	@echo "make check-kernel            the 6.12 series: applies, checkpatch, KVM_WERROR=y W=1 (QUICK=1)"
	@echo "make check-emu               the suite in stock and patched kernels under QEMU TCG and Bochs"
	@echo "make kernel [STOCK=1]        build the (patched or stock) kernel under test"
	@echo "make kernel-6.1 [STOCK=1]    the same with Debian's linux-source-6.1"
	@echo "make clean                   remove build products (keeps the kernel source)"

static: $(STATIC_BINS)

# The kernel under test (kernel/README.md); STOCK=1 for the unpatched one.
kernel:
	kernel/build.sh

# Debian's linux-source-6.1 with kernel/patches-6.1/; STOCK=1 works too.
.PHONY: kernel-6.1
kernel-6.1:
	LINUX=6.1 kernel/build.sh

$(LIBKVM_OBJS) $(HARNESS_OBJS): Makefile

$(B)/libkvm/%.o: $(ST)/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) -I$(ST)/lib -c $< -o $@
$(B)/libkvm/%.o: $(ST)/lib/%.S
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) -c $< -o $@
# Freestanding, as upstream does, so memcmp() is not compiled into itself.
$(B)/libkvm/string_override.o: $(ST)/lib/string_override.c
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) -ffreestanding -c $< -o $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(OUR_CFLAGS) -c $< -o $@

exit_%: $(B)/obj/selftests/exit_%.o $(EXITLIB) $(LIBKVM_OBJS)
	$(CC) $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@
exitbench_info: $(B)/obj/lib/exitbench_info.o $(INFOLIB) $(LIBKVM_OBJS)
	$(CC) $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@

$(B)/static/exit_%: $(B)/obj/selftests/exit_%.o $(EXITLIB) $(LIBKVM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -static $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@
$(B)/static/exitbench_info: $(B)/obj/lib/exitbench_info.o $(INFOLIB) $(LIBKVM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -static $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@

# exit_top: live view of the global exit counters; no selftest library.
TOP_OBJS := $(B)/obj/tools/exit_top.o $(B)/obj/lib/debugfs_table.o $(B)/obj/lib/reasons.o
$(B)/obj/tools/exit_top.o: Makefile
exit_top: $(TOP_OBJS)
	$(CC) $(LDFLAGS_DYN) $^ -o $@
$(B)/static/exit_top: $(TOP_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -static $(LDFLAGS_DYN) $^ -o $@

$(B)/static/kvm_%: $(ST)/x86_64/kvm_%.c $(LIBKVM_OBJS) $(COMPAT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) -static $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@
$(B)/static/kvm_%: $(ST)/kvm_%.c $(LIBKVM_OBJS) $(COMPAT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) -static $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@

UNIT_OBJS := $(addprefix $(B)/obj/lib/,stats.o json.o cli.o reasons.o counters.o \
	counter_statsfd.o counter_tracepoint.o counter_vmm.o kvm_stats.o \
	counter_patched.o counter_debugfs.o counter_cpuid.o counter_dmesg.o debugfs_table.o \
	compat_ioctl.o)
$(B)/tests/unit_tests: $(B)/obj/tests/unit/unit_tests.o $(UNIT_OBJS) $(LIBKVM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(KVM_LDFLAGS) $^ -ldl -lm -o $@
$(B)/tests/watchdog_test: $(B)/obj/tests/unit/watchdog_test.o $(B)/obj/lib/watchdog.o $(COMPAT_OBJ) $(LIBKVM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(KVM_LDFLAGS) $^ -ldl -lm -o $@
$(B)/tests/raw_guest: tests/bench/raw_guest.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra $< -o $@
# The boot profiler's helpers (./boot_profile): the L1 side and the tiny
# L2 /init, which has no libc at all.
$(B)/static/profile_helper: emu/profile_helper.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra $< -o $@
$(B)/static/profile_l2init: emu/profile_l2init.c
	@mkdir -p $(dir $@)
	$(CC) -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -O2 -s \
		-Wall -Wextra $< -o $@
$(B)/static/raw_guest: tests/bench/raw_guest.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra $< -o $@

check: check-native check-kernel check-emu
# The patch series (kernel/check.sh): applies with no fuzz, checkpatch clean,
# arch/x86/kvm builds with KVM_WERROR=y W=1 built in and as modules. The full
# module link (kernel/check.sh without QUICK) takes ~8 minutes more.
check-kernel:
	QUICK=1 kernel/check.sh
check-native: all $(B)/tests/unit_tests $(B)/tests/watchdog_test $(B)/tests/raw_guest
	tests/run_tests.sh
check-emu: all static
	tests/emu/run_emu_tests.sh

-include $(shell find $(B)/obj $(B)/libkvm -name '*.d' 2>/dev/null)

clean:
	rm -rf $(B)/obj $(B)/libkvm $(B)/static $(B)/tests $(BINS) exitbench_info exit_top
