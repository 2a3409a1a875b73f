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

# Copy the module's sources into $(1), only what changed, so builds there
# stay incremental and the release objects in the tree are left alone.
define copy_module_sources
	@mkdir -p $(1)
	@cp -p Kbuild $(1)/
	@find kmod uapi -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
		! -name '*.mod.c' | while read -r f; do \
		cmp -s "$$f" "$(1)/$$f" && continue; \
		mkdir -p "$(1)/$${f%/*}" && \
		cp -p "$$f" "$(1)/$$f" || exit 1; \
	done
endef

# The module with in-module self-tests (-DDEBUG), built from a copy so
# both variants can exist side by side. The VM tests load this one.
MODULE_DEBUG_DIR := $(BUILD)/kmod-debug
module-debug:
	$(call copy_module_sources,$(MODULE_DEBUG_DIR))
	$(MAKE) -C $(KDIR) M=$(MODULE_DEBUG_DIR) V=$(V) CONFIG_OCKAM_DEBUG=y modules

# A W=1 build of the release module from scratch, in a copy (Kbuild's
# clean would otherwise delete every object in the tree, build/ included);
# fails on any warning.
MODULE_W1_DIR := $(BUILD)/kmod-w1
module-w1:
	$(call copy_module_sources,$(MODULE_W1_DIR))
	@$(MAKE) -C $(KDIR) M=$(MODULE_W1_DIR) clean >/dev/null
	@$(MAKE) -C $(KDIR) M=$(MODULE_W1_DIR) W=1 modules 2>&1 | tee $(BUILD)/w1.log
	@! grep -E 'warning:|error:' $(BUILD)/w1.log

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)

include userspace/userspace.mk
include selftests/selftests.mk
