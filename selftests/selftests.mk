# SPDX-License-Identifier: GPL-2.0
#
# Tests and the test VM. Included by the top Makefile, which exports KVER,
# KSERIES, KDIR and BUILD. Documentation/testing.rst describes all of it.
# The VM targets boot the kernel KSERIES (or KVER) names, 6.1 by default:
# "make vm-shell KSERIES=6.12". "make test" runs on every kernel.
#
#   make test            every test; the last line is "N passed, N failed"
#   make kselftests      selftests/kselftest/*.c -> build/selftests/*
#   make initramfs       the VM image layers in build/vm-$(KSERIES)/
#   make vm-run SCRIPT=path [VM_ARGS=...]   run a script in the VM
#   make vm-shell        interactive shell in the VM (on this terminal)
#   make vm-tests        only the VM stage of "make test", for one kernel
#   make demo            selftests/demo.sh in the VM
#   make bench           selftests/bench/bench.sh in the VM (release module,
#                        and the debug one for the cipher's ceiling)
#   make stress          selftests/stress/stress.sh in the VM (STRESS_SEED,
#                        STRESS_DURATION, STRESS_THREADS)
#   make stress-debug    the same on the debug-kernel lane's kernel
#   make check-style     checkpatch on kmod/ and uapi/, and a W=1 build for
#                        each kernel; TAP
#   make check-dkms      dkms add and build for each kernel, in a scratch
#                        DKMS tree; TAP
#   make check-debug     every VM test on a KASAN/UBSAN/kmemleak/lockdep
#                        kernel built from linux-source-6.12 (cached)

.PHONY: kselftests kselftests-bins initramfs vm-run vm-shell vm-tests test \
	demo bench stress stress-debug check-style check-dkms check-debug

VM_SH := selftests/vm

# Which module goes into the VM: "debug" (build/kmod-debug-$(KSERIES)/
# kmod/ockam.ko, with the in-module self-tests) or "release"
# (kmod/ockam.ko, built for KVER).
VM_VARIANT ?= debug
VM_KO_debug := $(MODULE_DEBUG_DIR)/kmod/ockam.ko
VM_KO_release := $(KMOD)/ockam.ko
VM_MODULE_TARGET_debug := module-debug
VM_MODULE_TARGET_release := module
# VM_DEBUG_KO=1: the image carries the debug build as well, as
# /opt/ockam/kmod/ockam-debug.ko, whatever VM_VARIANT is ("make bench":
# its cipher part reads the cipher's ceiling from that build).
VM_DEBUG_KO ?=
# Extra arguments for run-vm.sh, e.g. VM_ARGS='--timeout 1200 --tests netns/*'
VM_ARGS ?=

# KVER is fixed when make reads the Makefile, which may be before deps.sh
# installed the kernel. Targets that run deps.sh first continue in a
# sub-make that is told the kernel release found afterwards.
SELFTESTS_SUBMAKE = $(MAKE) --no-print-directory $(if $(KVER),,KVER="$$($(VM_SH)/kver.sh)" KDIR="/lib/modules/$$($(VM_SH)/kver.sh)/build")

# ------------------------------------------------------------ kselftests
#
# One program per selftests/kselftest/NAME.c; headers there are shared.
# -isystem keeps kselftest_harness.h's own unused parameters out of -Wextra.

KSFT_SRCS := $(wildcard selftests/kselftest/*.c)
KSFT_HDRS := $(wildcard selftests/kselftest/*.h)
KSFT_BINS := $(patsubst selftests/kselftest/%.c,$(BUILD)/selftests/%,$(KSFT_SRCS))
KSFT_NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null || echo -I/usr/include/libnl3)
KSFT_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-isystem $(BUILD)/ksft -I uapi -I kmod -I userspace/lib/include \
	$(KSFT_NL_CFLAGS)
KSFT_LDLIBS := $(BUILD)/lib/libockam.a -lnl-genl-3 -lnl-3 -lsodium -lpthread

# libockam.a must exist before the programs' rules are read, hence the
# sub-make after "userspace".
kselftests: userspace
	@$(MAKE) --no-print-directory kselftests-bins

# The benchmark program goes next to the CLI, so it is on PATH in the VM.
BENCH_BIN := $(BUILD)/bin/ockam-bench
BENCH_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I uapi -I kmod -I userspace/lib/include

$(BENCH_BIN): selftests/bench/ockam-bench.c uapi/linux/ockam.h \
		$(BUILD)/lib/libockam.a
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(BENCH_CFLAGS) -o $@ $< $(KSFT_LDLIBS)

# Kernel memory per secure channel and per socket; speaks generic netlink.
BENCH_MEM_BIN := $(BUILD)/bin/ockam-bench-mem

$(BENCH_MEM_BIN): selftests/bench/ockam-bench-mem.c uapi/linux/ockam.h \
		$(BUILD)/lib/libockam.a
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(BENCH_CFLAGS) $(KSFT_NL_CFLAGS) -o $@ $< $(KSFT_LDLIBS)

# The attacker in the middle of the secure channel tests (and the sink and
# sender around it); on PATH in the VM like the other programs.
MITM_BIN := $(BUILD)/bin/ockam-mitm

$(MITM_BIN): selftests/tools/ockam-mitm.c uapi/linux/ockam.h \
		$(BUILD)/lib/libockam.a
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(BENCH_CFLAGS) -o $@ $< $(KSFT_LDLIBS)

# The randomized stress program and its delivery check; on PATH in the VM
# for selftests/stress/stress.sh and the short pass in selftests/netns/.
STRESS_BIN := $(BUILD)/bin/ockam-stress

$(STRESS_BIN): selftests/stress/ockam-stress.c uapi/linux/ockam.h \
		$(BUILD)/lib/libockam.a
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' CC $@
	@$(CC) $(BENCH_CFLAGS) $(KSFT_NL_CFLAGS) -o $@ $< $(KSFT_LDLIBS)

# The example program of Documentation/socket-api.rst, compiled from the
# document itself (the last C block), so the text cannot rot.
DOC_EXAMPLE := $(BUILD)/bin/ockam-socket-example

$(DOC_EXAMPLE): Documentation/socket-api.rst uapi/linux/ockam.h
	@mkdir -p $(@D) $(BUILD)/doc
	@awk '/^\.\. code-block:: c/ { n++; keep = 1; next } \
	     keep && /^[^ \t]/ { keep = 0 } \
	     keep { sub(/^   /, ""); print > "$(BUILD)/doc/block" n ".c" }' $<
	@cp "$$(ls $(BUILD)/doc/block*.c | sort -V | tail -n1)" $(BUILD)/doc/socket-example.c
	@rm -f $(BUILD)/doc/block*.c
	@printf '  %-8s %s\n' CC $@
	@$(CC) -std=c11 -Wall -Wextra -Werror -I uapi -o $@ $(BUILD)/doc/socket-example.c

kselftests-bins: $(KSFT_BINS) $(BENCH_BIN) $(BENCH_MEM_BIN) $(MITM_BIN) \
		$(STRESS_BIN) \
		$(DOC_EXAMPLE)
	@mkdir -p $(BUILD)/selftests
	@for f in $(BUILD)/selftests/*; do \
		[ -e "$$f" ] || continue; \
		[ -e "selftests/kselftest/$${f##*/}.c" ] || rm -f "$$f"; \
	done

$(BUILD)/selftests/%: selftests/kselftest/%.c $(KSFT_HDRS) uapi/linux/ockam.h \
		$(BUILD)/ksft/kselftest_harness.h $(BUILD)/lib/libockam.a
	@mkdir -p $(@D)
	@printf '  %-8s %s\n' KSFT $@
	@$(CC) $(KSFT_CFLAGS) -o $@ $< $(KSFT_LDLIBS)

$(BUILD)/ksft/kselftest_harness.h $(BUILD)/ksft/kselftest.h:
	@$(VM_SH)/deps.sh

# ------------------------------------------------------------- the VM

initramfs: $(VM_MODULE_TARGET_$(VM_VARIANT)) $(if $(VM_DEBUG_KO),module-debug) \
		userspace userspace-san kselftests
	@VM_VARIANT=$(VM_VARIANT) OCKAM_KO=$(VM_KO_$(VM_VARIANT)) \
		$(if $(VM_DEBUG_KO),OCKAM_DEBUG_KO=$(VM_KO_debug)) \
		$(VM_SH)/mkinitramfs.sh base project

vm-run:
	@if [ -z "$(SCRIPT)" ]; then \
		echo "usage: make vm-run SCRIPT=path [VM_ARGS='--timeout 600']" >&2; \
		exit 2; \
	fi
	@$(VM_SH)/deps.sh
	@+$(SELFTESTS_SUBMAKE) initramfs
	@$(VM_SH)/run-vm.sh --mode script --variant $(VM_VARIANT) \
		--script "$(SCRIPT)" $(VM_ARGS)

vm-shell:
	@$(VM_SH)/deps.sh
	@+$(SELFTESTS_SUBMAKE) initramfs
	@$(VM_SH)/run-vm.sh --mode shell --variant $(VM_VARIANT) $(VM_ARGS)

vm-tests:
	@$(VM_SH)/deps.sh
	@+$(SELFTESTS_SUBMAKE) initramfs
	@$(VM_SH)/run-vm.sh --mode tests --variant $(VM_VARIANT) $(VM_ARGS)

# ------------------------------------------------------ the big targets

test:
	@$(VM_SH)/deps.sh
	@selftests/run-tests.sh

DEMO_SCRIPT ?= selftests/demo.sh
demo:
	@$(VM_SH)/deps.sh
	@+$(SELFTESTS_SUBMAKE) initramfs
	@$(VM_SH)/run-vm.sh --mode script --variant $(VM_VARIANT) \
		--script $(DEMO_SCRIPT) $(VM_ARGS)

BENCH_SCRIPT ?= selftests/bench/bench.sh
BENCH_TIMEOUT ?= 1800
bench:
	@$(VM_SH)/deps.sh
	@+$(SELFTESTS_SUBMAKE) VM_VARIANT=release VM_DEBUG_KO=1 initramfs
	@$(VM_SH)/run-vm.sh --mode script --variant release \
		--timeout $(BENCH_TIMEOUT) --script $(BENCH_SCRIPT) $(VM_ARGS)

# --------------------------------------------------------- debug kernel

check-debug:
	@$(VM_SH)/deps.sh
	@OCKAM_STAGES=debug selftests/run-tests.sh

# The stress lane in the VM: STRESS_DURATION seconds (300 by default) of
# selftests/stress/stress.sh, its seed STRESS_SEED or a random one, with
# time for setup and the checks around it. VM_VARIANT, VM_KERNEL and KVER
# pick the module and kernel as for the other targets.
STRESS_SCRIPT ?= selftests/stress/stress.sh
STRESS_DURATION ?= 300
STRESS_TIMEOUT ?= $(shell expr $(STRESS_DURATION) + 900)
stress:
	@$(VM_SH)/deps.sh
	@+$(SELFTESTS_SUBMAKE) initramfs
	@$(VM_SH)/run-vm.sh --mode script --variant $(VM_VARIANT) \
		--timeout $(STRESS_TIMEOUT) --script $(STRESS_SCRIPT) \
		--env STRESS_DURATION=$(STRESS_DURATION) \
		$(if $(STRESS_SEED),--env STRESS_SEED=$(STRESS_SEED)) \
		$(if $(STRESS_THREADS),--env STRESS_THREADS=$(STRESS_THREADS)) \
		$(VM_ARGS)

# The same on the debug-kernel lane's kernel (KASAN, lockdep, kmemleak...):
# any kernel report fails it.
stress-debug:
	@$(VM_SH)/deps.sh
	@DEBUG_SCRIPT=$(STRESS_SCRIPT) DEBUG_VM_TIMEOUT=$(STRESS_TIMEOUT) \
		VM_ARGS="--env STRESS_DURATION=$(STRESS_DURATION) \
		$(if $(STRESS_SEED),--env STRESS_SEED=$(STRESS_SEED)) \
		$(if $(STRESS_THREADS),--env STRESS_THREADS=$(STRESS_THREADS)) \
		$(VM_ARGS)" $(VM_SH)/check-debug.sh

# ---------------------------------------------------------------- style

check-style: $(BUILD)/checkpatch/checkpatch.pl
	@$(VM_SH)/check-style.sh

$(BUILD)/checkpatch/checkpatch.pl:
	@$(VM_SH)/deps.sh

# ----------------------------------------------------------------- DKMS

check-dkms:
	@$(VM_SH)/check-dkms.sh
