# SPDX-License-Identifier: GPL-2.0
#
# AF_OCKAM top-level build. README.md lists the two commands that matter:
#   make demo   boot the VM and show a message crossing three nodes
#   make test   every test; the last line is "N passed, N failed"
#
# The module is built against Debian's cloud kernels, which are what the
# QEMU VM boots; the machine's own kernel is irrelevant (but see "make
# install"). Two are supported, named by series: 6.1 and 6.12
# (selftests/vm/kver.sh, Documentation/install.rst). KSERIES picks one
# (default 6.1) and KVER is its newest installed release; or KVER names a
# release and KSERIES follows from it. "make test" runs on every series.

KVER_SH := $(CURDIR)/selftests/vm/kver.sh
# Whether KVER came from the user (make install has its own default).
KVER_GIVEN := $(if $(filter command% environment%,$(origin KVER)),$(KVER))
KVER := $(shell KVER='$(KVER)' KSERIES='$(KSERIES)' $(KVER_SH))
KSERIES := $(shell KVER='$(KVER)' KSERIES='$(KSERIES)' $(KVER_SH) --series)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= $(CURDIR)/build
V ?= 0

export KVER KSERIES KDIR BUILD

# The project's version is written once, as dkms.conf's PACKAGE_VERSION.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' $(CURDIR)/dkms.conf)

.PHONY: all deps module module-debug module-w1 clean help install uninstall \
	install-module uninstall-module dkms-source dkms-install dkms-uninstall

all: module userspace

help:
	@echo "make demo         run the three-node demo in the VM"
	@echo "make test         run every test (ends with 'N passed, N failed')"
	@echo "make bench        benchmarks in the VM, printed as ratios"
	@echo "make vm-run SCRIPT=path   run a script in the VM"
	@echo "make vm-shell     interactive shell in the VM"
	@echo "make all          module and userspace programs"
	@echo "KSERIES=6.12      demo, bench, vm-*, module on Debian's 6.12 kernel (default 6.1)"
	@echo "make install      module (for KVER), programs, libockam; DESTDIR, PREFIX"
	@echo "make dkms-install the module under DKMS, rebuilt for every new kernel"

deps:
	@selftests/vm/deps.sh

KMOD := $(CURDIR)/kmod

# The release module, built in kmod/ (kmod/Kbuild): kmod/ockam.ko.
module:
	$(MAKE) -C $(KDIR) M=$(KMOD) V=$(V) modules

# The other variants are built into object directories of their own, so
# that they and the release objects, for each kernel, exist side by side.
# Kbuild (before 6.13's MO=) writes an external module's objects next to
# its sources, into M, so a variant's directory DIR mirrors the layout of
# the tree with symbolic links: DIR/uapi to uapi/, DIR/kmod/FILE to each
# kmod/FILE that is a source (*.c, *.h, Kbuild), in directories of its own
# for the objects. Kbuild builds M=DIR/kmod as it would kmod/, and the
# sources' quoted #includes ("../uapi/linux/ockam.h") resolve the same.
# Nothing is copied: an edit in kmod/ is seen at once. A link whose source
# is gone is removed; a plain file where a link belongs (a copy left by
# an older tree) is replaced.
define variant_tree
	@mkdir -p $(1)/kmod
	@[ -L $(1)/uapi ] || rm -rf $(1)/uapi
	@ln -sfn $(CURDIR)/uapi $(1)/uapi
	@cd $(KMOD) && find . -type f \( -name '*.[ch]' -o -name Kbuild \) \
		! -name '*.mod.c' | while read -r f; do \
		[ -L "$(1)/kmod/$$f" ] && continue; \
		mkdir -p "$(1)/kmod/$${f%/*}" && \
		ln -sf "$(KMOD)/$${f#./}" "$(1)/kmod/$$f" || exit 1; \
	done
	@find $(1)/kmod -xtype l -delete
endef

# The module with in-module self-tests (-DDEBUG), one per kernel series.
# The VM tests load this one.
MODULE_DEBUG_DIR := $(BUILD)/kmod-debug-$(KSERIES)
module-debug:
	$(call variant_tree,$(MODULE_DEBUG_DIR))
	$(MAKE) -C $(KDIR) M=$(MODULE_DEBUG_DIR)/kmod V=$(V) CONFIG_OCKAM_DEBUG=y modules

# A W=1 build of the release module from scratch, in its own directory
# (its clean leaves every other build alone); fails on any warning.
MODULE_W1_DIR := $(BUILD)/kmod-w1-$(KSERIES)
module-w1:
	$(call variant_tree,$(MODULE_W1_DIR))
	@$(MAKE) -C $(KDIR) M=$(MODULE_W1_DIR)/kmod clean >/dev/null
	@$(MAKE) -C $(KDIR) M=$(MODULE_W1_DIR)/kmod W=1 modules >$(MODULE_W1_DIR)/w1.log 2>&1; \
		rc=$$?; cat $(MODULE_W1_DIR)/w1.log; \
		[ $$rc = 0 ] && ! grep -E 'warning:|error:' $(MODULE_W1_DIR)/w1.log

clean:
	-$(MAKE) -C $(KDIR) M=$(KMOD) clean
	rm -rf $(BUILD)

# ------------------------------------------------------------ installing
#
# On a real machine (Documentation/install.rst). "make install" builds the
# release module for one kernel and installs it in
# $(DESTDIR)/lib/modules/KVER/$(INSTALL_MOD_DIR), then the programs,
# libockam and the headers under $(DESTDIR)$(PREFIX) (userspace.mk). The
# kernel is KVER when given, else the running kernel if its headers are
# installed, else the newest installed *-cloud-amd64 (kver.sh --install).
# depmod and ldconfig run only without DESTDIR: a staged tree has not the
# kernel's other modules, and depmod there would write a modules.dep of
# ockam.ko alone.

INSTALL_KVER = $(or $(KVER_GIVEN),$(shell $(KVER_SH) --install))
INSTALL_KDIR = $(if $(filter command% environment%,$(origin KDIR)),$(KDIR),/lib/modules/$(INSTALL_KVER)/build)
INSTALL_MOD_DIR ?= updates
INSTALL_MOD = $(DESTDIR)/lib/modules/$(INSTALL_KVER)/$(INSTALL_MOD_DIR)/ockam.ko
DEPMOD ?= depmod

install: install-module install-userspace
uninstall: uninstall-module uninstall-userspace

install-module:
	@test -n "$(INSTALL_KVER)" || \
		{ echo "install: no kernel headers found; name the kernel with KVER=" >&2; exit 1; }
	$(MAKE) --no-print-directory module KVER=$(INSTALL_KVER) KDIR=$(INSTALL_KDIR)
	install -D -m 0644 $(KMOD)/ockam.ko $(INSTALL_MOD)
	$(if $(DESTDIR),,$(DEPMOD) -a $(INSTALL_KVER))

uninstall-module:
	rm -f $(INSTALL_MOD)
	$(if $(DESTDIR),,$(DEPMOD) -a $(INSTALL_KVER))

# DKMS (dkms.conf): the module's sources go to $(DKMS_SOURCE_TREE)/
# ockam-VERSION, then dkms add, build and install for INSTALL_KVER (as
# above); DKMS builds it again for each kernel installed later. Installing
# a version again replaces it. DKMS_FLAGS passes more options to dkms
# (e.g. --dkmstree, --installtree, --no-depmod for a scratch tree). Use
# this or "make install-module", not both: each puts an ockam.ko under
# updates/.
DKMS ?= dkms
DKMS_SOURCE_TREE ?= /usr/src
DKMS_FLAGS ?=
DKMS_DIR = $(DKMS_SOURCE_TREE)/ockam-$(VERSION)
DKMS_MOD = -m ockam -v $(VERSION) $(DKMS_FLAGS)

# The files DKMS builds from, in DKMS_DIR: dkms.conf, kmod/'s sources and
# Kbuild, uapi/.
dkms-source:
	rm -rf $(DKMS_DIR)
	mkdir -p $(DKMS_DIR)
	install -m 0644 dkms.conf $(DKMS_DIR)/
	find kmod uapi -type f \( -name '*.[ch]' -o -name Kbuild \) ! -name '*.mod.c' | \
		while read -r f; do \
		install -D -m 0644 "$$f" "$(DKMS_DIR)/$$f" || exit 1; \
	done

dkms-install:
	@test -n "$(INSTALL_KVER)" || \
		{ echo "dkms-install: no kernel headers found; name the kernel with KVER=" >&2; exit 1; }
	@if [ -n "$$($(DKMS) status $(DKMS_MOD) 2>/dev/null)" ]; then \
		echo "$(DKMS) remove $(DKMS_MOD) --all"; \
		$(DKMS) remove $(DKMS_MOD) --all || exit 1; \
	fi
	$(MAKE) --no-print-directory dkms-source
	$(DKMS) add $(DKMS_MOD)
	$(DKMS) build $(DKMS_MOD) -k $(INSTALL_KVER)
	$(DKMS) install $(DKMS_MOD) -k $(INSTALL_KVER)

dkms-uninstall:
	@if [ -n "$$($(DKMS) status $(DKMS_MOD) 2>/dev/null)" ]; then \
		echo "$(DKMS) remove $(DKMS_MOD) --all"; \
		$(DKMS) remove $(DKMS_MOD) --all || exit 1; \
	fi
	rm -rf $(DKMS_DIR)

include userspace/userspace.mk
include selftests/selftests.mk
