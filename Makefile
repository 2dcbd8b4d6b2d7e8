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
TESTS += self_ipi_sti_nop
TESTS += self_ipi_sti_hlt
TESTS += self_ipi_tpr
TESTS += self_ipi_tpr_sti_nop
TESTS += self_ipi_tpr_sti_hlt
TESTS += x2apic_self_ipi_sti_nop
TESTS += x2apic_self_ipi_sti_hlt
TESTS += x2apic_self_ipi_tpr
TESTS += x2apic_self_ipi_tpr_sti_nop
TESTS += x2apic_self_ipi_tpr_sti_hlt
TESTS += mov_from_cr8
TESTS += mov_to_cr8
TESTS += inl_from_pmtimer
TESTS += inl_from_qemu
TESTS += inl_from_kernel
TESTS += outl_to_kernel
TESTS += mov_dr
TESTS += wr_kernel_gs_base
TESTS += wr_tsc_adjust_msr
TESTS += toggle_cr0_wp
TESTS += toggle_cr4_pge
TESTS += wr_tsx_ctrl_msr
TESTS += wr_ibrs_msr
TESTS += wr_ibpb_msr
TESTS += tscdeadline_immed
TESTS += tscdeadline
TESTS += ipi
TESTS += ipi_halt
TESTS += ple_round_robin
TESTS += pci_mem
TESTS += pci_io
TESTS += pause
TESTS += rdpmc
TESTS += monitor_mwait
TESTS += interrupt_window
TESTS += nmi_window
TESTS += preemption_timer
TESTS += tpr_below_threshold
TESTS += rdtsc
TESTS += invlpg
# Nested: the guest runs an L2 guest (lib/nested.h).
TESTS += nested_cpuid
TESTS += nested_vmcall
TESTS += nested_io
TESTS += nested_hlt
TESTS += nested_msr_read
TESTS += nested_io_l0
TESTS += nested_msr_l0
TESTS += nested_l1_vm_insns

CC ?= cc
B := build
# Resolved once per make run; prepare_ksrc.sh extracts/installs when needed.
# Goals that build nothing of ours need no tree (make help on a fresh clone).
NO_KSRC_GOALS := help clean kernel kernel-6.1 check-kernel check-kselftests
ifneq ($(filter-out $(NO_KSRC_GOALS),$(or $(MAKECMDGOALS),all)),)
KSRC_DIR := $(shell lib/prepare_ksrc.sh -- '$(KSRC)' || echo PREPARE_FAILED)
ifeq ($(KSRC_DIR),PREPARE_FAILED)
$(error could not prepare the kernel source tree (see the message above))
endif
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
INFOLIB := $(filter-out $(B)/obj/lib/runner.o $(B)/obj/lib/nested.o $(B)/obj/guest_code/%,$(EXITLIB))

BINS := $(addprefix exit_,$(TESTS))
# The kernel's own KVM selftests that run inside a kernel under test too.
KSELFTESTS := kvm_binary_stats_test
STATIC_BINS := $(addprefix $(B)/static/,$(BINS) exitbench_info $(KSELFTESTS)) $(B)/static/exit_top \
	$(B)/static/profile_helper $(B)/static/profile_l2init $(B)/static/raw_guest

.PHONY: all static check check-native check-kernel check-emu check-kselftests check-debug clean kernel help install kselftest-tarball
# Keep objects of pattern-built binaries (no needless rebuilds).
.SECONDARY:
all: $(BINS) exitbench_info exit_top

help:
	@echo "make [KSRC=/path/to/linux]   build ./exit_*, ./exitbench_info and ./exit_top"
	@echo "make help                    this list (needs no kernel tree)"
	@echo "make static                  statically linked copies in $(B)/static/"
	@echo "make check                   check-native, check-kernel, check-emu (what CI runs)"
	@echo "make check-native            unit tests, real runs on /dev/kvm, bad input"
	@echo "make check-kernel            the 6.12 series: applies, checkpatch, KVM_WERROR=y W=1 (QUICK=1)"
	@echo "make check-emu               the suite in stock and patched kernels under QEMU TCG and Bochs"
	@echo "make check-kselftests        the 6.12 tree's KVM selftests, stock vs patched, QEMU TCG (KSFT_ENV=bochs)"
	@echo "make check-debug             the patched kernel with KASAN, UBSAN, lockdep, KFENCE: suite, no reports"
	@echo "make kernel [STOCK=1]        build the (patched or stock) kernel under test"
	@echo "make kernel-6.1 [STOCK=1]    the same with Debian's linux-source-6.1"
	@echo "make install INSTALL_PATH=DIR a kselftest collection in DIR (run DIR/run_kselftest.sh)"
	@echo "make kselftest-tarball       the same packed as $(KSFT_TARBALL) (KSFT_FORMAT=tar|targz|tarbz2|tarxz)"
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

# The patch series' own KVM selftest (x86_64/exit_stats_test), built with the
# selftest library of a tree patched with the series (kernel/selftest.sh);
# tests/emu/run_series_selftest.sh runs it. The 6.1 one from the 6.1 series.
$(B)/static/kvm_exit_stats_test: kernel/selftest.sh $(wildcard kernel/patches/*.patch)
	kernel/selftest.sh $@
$(B)/static-6.1/kvm_exit_stats_test: kernel/selftest.sh $(wildcard kernel/patches-6.1/*.patch)
	LINUX=6.1 kernel/selftest.sh $@

$(B)/static/kvm_%: $(ST)/x86_64/kvm_%.c $(LIBKVM_OBJS) $(COMPAT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) -static $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@
$(B)/static/kvm_%: $(ST)/kvm_%.c $(LIBKVM_OBJS) $(COMPAT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) -static $(KVM_LDFLAGS) $^ $(LDLIBS) -o $@

UNIT_OBJS := $(addprefix $(B)/obj/lib/,stats.o json.o cli.o reasons.o counters.o expect.o \
	counter_statsfd.o counter_tracepoint.o counter_vmm.o kvm_stats.o \
	counter_patched.o counter_debugfs.o counter_cpuid.o counter_dmesg.o debugfs_table.o \
	course_parse.o counter_file.o counter_course_cpuid.o counter_kmsg_dump.o \
	compat_ioctl.o result_claim.o)
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

# --- A kselftest collection, laid out as the kernel's
# 'make -C tools/testing/selftests install' lays out its own: run_kselftest.sh
# and the kselftest/ runner helpers (copied from the kernel tree we build
# against), kselftest-list.txt, and kvm-exitbench/ with the statically linked
# tests (they run on any x86-64 root filesystem, a busybox initramfs too),
# settings, config, and what run_all.sh needs for a native run.
KSFT_COLLECTION := kvm-exitbench
KSFT_SRC := $(KSRC_DIR)/tools/testing/selftests
KSFT_HELPERS = $(wildcard $(KSFT_SRC)/kselftest/*)
# Seconds per test for the runner (settings), as the kernel's kvm collection:
# the slowest test with default options took 30 s natively (exit_vmcall's
# loop watchdog), 3.0 s under QEMU TCG, 0.6 s of Bochs' emulated clock (the
# guest's clock is what the runner's timeout counts); README "Kernel CI labs".
KSFT_TIMEOUT_S := 120
# What the collection needs of the kernel under test (its 'config' file).
KSFT_CONFIG := CONFIG_KVM=y CONFIG_KVM_INTEL=y CONFIG_KVM_AMD=y CONFIG_DEBUG_FS=y \
	CONFIG_FTRACE=y CONFIG_PERF_EVENTS=y CONFIG_USERFAULTFD=y
KSFT_FILES := run_all.sh compare history
KSFT_TARBALL ?= $(B)/kselftest.tar$(KSFT_EXT_$(KSFT_FORMAT))
KSFT_FORMAT ?= targz
# As gen_kselftest_tar.sh: tar, targz (default), tarbz2, tarxz.
KSFT_EXT_tar :=
KSFT_EXT_targz := .gz
KSFT_EXT_tarbz2 := .bz2
KSFT_EXT_tarxz := .xz
KSFT_TAR_tar :=
KSFT_TAR_targz := -z
KSFT_TAR_tarbz2 := -j
KSFT_TAR_tarxz := -J

ifneq ($(filter install,$(MAKECMDGOALS)),)
ifndef INSTALL_PATH
$(error set INSTALL_PATH to use install: make install INSTALL_PATH=DIR)
endif
endif
install: $(addprefix $(B)/static/,$(BINS) exitbench_info)
	@test -f $(KSFT_SRC)/run_kselftest.sh || { echo "install: $(KSFT_SRC)/run_kselftest.sh is missing" >&2; exit 1; }
	mkdir -p $(INSTALL_PATH)/kselftest $(INSTALL_PATH)/$(KSFT_COLLECTION)/analysis
	install -m 744 $(KSFT_HELPERS) $(INSTALL_PATH)/kselftest/
	install -m 744 $(KSFT_SRC)/run_kselftest.sh $(INSTALL_PATH)/
	install -s -m 755 $^ $(INSTALL_PATH)/$(KSFT_COLLECTION)/
	install -m 755 $(KSFT_FILES) $(INSTALL_PATH)/$(KSFT_COLLECTION)/
	install -m 644 $(wildcard analysis/*.py) $(INSTALL_PATH)/$(KSFT_COLLECTION)/analysis/
	printf 'timeout=%s\n' $(KSFT_TIMEOUT_S) >$(INSTALL_PATH)/$(KSFT_COLLECTION)/settings
	printf '%s\n' $(KSFT_CONFIG) >$(INSTALL_PATH)/$(KSFT_COLLECTION)/config
	@# Our entries replace our old ones; another collection's (the kernel's own install) stay.
	{ grep -v '^$(KSFT_COLLECTION):' $(INSTALL_PATH)/kselftest-list.txt 2>/dev/null || true; \
	  printf '$(KSFT_COLLECTION):%s\n' $(BINS); } >$(INSTALL_PATH)/kselftest-list.txt.partial
	mv $(INSTALL_PATH)/kselftest-list.txt.partial $(INSTALL_PATH)/kselftest-list.txt

# kselftest/ at the top of the archive, as gen_kselftest_tar.sh packs it.
kselftest-tarball:
	@test -n "$(filter $(KSFT_FORMAT),tar targz tarbz2 tarxz)" || \
		{ echo "kselftest-tarball: KSFT_FORMAT=$(KSFT_FORMAT): one of tar, targz, tarbz2, tarxz" >&2; exit 2; }
	rm -rf $(B)/kselftest_install
	$(MAKE) --no-print-directory install INSTALL_PATH=$(abspath $(B)/kselftest_install/kselftest)
	tar -C $(B)/kselftest_install -c $(KSFT_TAR_$(KSFT_FORMAT)) --owner=0 --group=0 \
		-f $(KSFT_TARBALL).partial kselftest
	mv $(KSFT_TARBALL).partial $(KSFT_TARBALL)
	rm -rf $(B)/kselftest_install
	@echo "Kselftest archive $(KSFT_TARBALL) created"

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
# The 6.12 tree's own KVM selftests on the stock and the patched kernel
# (tests/emu/kselftests-ENV.txt is the record of the stock results).
KSFT_ENV ?= qemu-tcg
check-kselftests:
	tests/emu/run_kselftests.sh --env $(KSFT_ENV)
# The debug-kernel tier (kernel/config/debug/debug.config).
check-debug: all static
	tests/emu/run_debug_tier.sh

-include $(shell find $(B)/obj $(B)/libkvm -name '*.d' 2>/dev/null)

clean:
	rm -rf $(B)/obj $(B)/libkvm $(B)/static $(B)/static-6.1 $(B)/tests $(BINS) exitbench_info exit_top \
		$(B)/kselftest_install $(B)/kselftest.tar*
