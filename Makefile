# SPDX-License-Identifier: GPL-2.0
#
# AF_OCKAM top-level build. README.md lists the two commands that matter:
#   make demo   boot the VM and show a message crossing three nodes
#   make test   every test; the last line is "N passed, N failed"
#
# The module is built against Debian's cloud kernel, which is what the QEMU
# VM boots; the machine's own kernel is irrelevant.

KVER ?= $(shell ls /lib/modules 2>/dev/null | grep -- '-cloud-amd64$$' | sort -V | tail -n1)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= $(CURDIR)/build
V ?= 0

export KVER KDIR BUILD

.PHONY: all deps module module-debug module-w1 clean help

all: module userspace

help:
	@echo "make demo         run the three-node demo in the VM"
	@echo "make test         run every test (ends with 'N passed, N failed')"
	@echo "make bench        benchmarks in the VM, printed as ratios"
	@echo "make vm-run SCRIPT=path   run a script in the VM"
	@echo "make vm-shell     interactive shell in the VM"
	@echo "make all          module and userspace programs"

deps:
	@selftests/vm/deps.sh

# Release module, built in place.
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) V=$(V) modules

# The module with in-module self-tests (-DDEBUG), built from a copy so
# both variants can exist side by side. The VM tests load this one.
MODULE_DEBUG_DIR := $(BUILD)/kmod-debug
module-debug:
	@mkdir -p $(MODULE_DEBUG_DIR)
	@cp -p Kbuild $(MODULE_DEBUG_DIR)/
	@rsync -a --delete --exclude='*.o' --exclude='.*.cmd' kmod/ $(MODULE_DEBUG_DIR)/kmod/ 2>/dev/null || \
		{ rm -rf $(MODULE_DEBUG_DIR)/kmod; cp -rp kmod $(MODULE_DEBUG_DIR)/kmod; }
	@rm -rf $(MODULE_DEBUG_DIR)/uapi && cp -rp uapi $(MODULE_DEBUG_DIR)/uapi
	$(MAKE) -C $(KDIR) M=$(MODULE_DEBUG_DIR) V=$(V) CONFIG_OCKAM_DEBUG=y modules

# A W=1 build of the release module; fails on any warning.
module-w1:
	@$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null
	@$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules 2>&1 | tee $(BUILD)/w1.log
	@! grep -E 'warning:|error:' $(BUILD)/w1.log

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)

-include userspace/userspace.mk
-include selftests/selftests.mk
