# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Userspace: libockam, the ockamd daemon, the ockam CLI, their unit tests
# and the fuzz targets. Included by the top-level Makefile, which runs from
# the repository root and exports BUILD.
#
#   make userspace         build/lib/libockam.{a,so}, build/bin/{ockam,ockamd}
#   make userspace-test    unit tests under ASan+UBSan, spec check and a
#                          short fuzz run, as TAP
#   make userspace-san     build/bin-san/{ockam,ockamd} under ASan+UBSan,
#                          for the VM's integration tests
#   make fuzz              every fuzz target for FUZZ_EXECS inputs (default
#                          10^7) from FUZZ_SEED, FUZZ_JOBS at a time (default
#                          nproc); a table of executions and crashes
#   make install-userspace the programs, libockam (static, shared, its
#                          pkg-config file) and the headers, under
#                          $(DESTDIR)$(PREFIX) (default /usr/local); the
#                          top Makefile's "make install" runs it
#   make uninstall-userspace  removes them

US_SRC := userspace
US_OBJ := $(BUILD)/userspace/obj
US_TEST_OBJ := $(BUILD)/userspace/test-obj
US_LIBDIR := $(BUILD)/lib
US_BINDIR := $(BUILD)/bin

PKG_CONFIG ?= pkg-config
NL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0 2>/dev/null || echo -I/usr/include/libnl3)
NL_LIBS := $(shell $(PKG_CONFIG) --libs libnl-genl-3.0 2>/dev/null || echo -lnl-genl-3 -lnl-3)
SODIUM_LIBS := $(shell $(PKG_CONFIG) --libs libsodium 2>/dev/null || echo -lsodium)
# Only the Noise test-vector runner reads JSON (noise-vectors, unit tests).
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)

US_WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla
US_CPPFLAGS := -D_GNU_SOURCE -Iuapi -Ikmod -I$(US_SRC)/lib/include \
	       -I$(US_SRC)/lib $(NL_CFLAGS) $(JANSSON_CFLAGS)
US_CFLAGS := -std=c11 -O2 -g -fPIC -fvisibility=hidden \
	     -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(US_WARN)

# Unit tests and the fuzzer use clang for its sanitizer and libFuzzer
# runtimes (libclang-rt-14-dev).
US_TEST_CC ?= clang
US_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer
US_TEST_CFLAGS := -std=c11 -O1 -g $(US_SAN) $(US_WARN) -Wno-unused-command-line-argument

LIB_SRCS := $(wildcard $(US_SRC)/lib/*.c) kmod/codec.c kmod/portal_msg.c
CLI_SRCS := $(wildcard $(US_SRC)/ockam/*.c)
DAEMON_SRCS := $(wildcard $(US_SRC)/ockamd/*.c)
# noise_vectors.c is the noise-vectors program's main(); the runner it
# shares with the unit tests is in vectors.c (on libjansson).
TEST_SRCS := $(filter-out %/noise_vectors.c,$(wildcard $(US_SRC)/tests/*.c))
VECTORS_SRCS := $(addprefix $(US_SRC)/tests/,noise_vectors.c vectors.c) \
	$(US_SRC)/ockamd/noise.c

obj_of = $(patsubst %.c,$(1)/%.o,$(2))
LIB_OBJS := $(call obj_of,$(US_OBJ),$(LIB_SRCS))
CLI_OBJS := $(call obj_of,$(US_OBJ),$(CLI_SRCS))
DAEMON_OBJS := $(call obj_of,$(US_OBJ),$(DAEMON_SRCS))
VECTORS_OBJS := $(call obj_of,$(US_OBJ),$(VECTORS_SRCS))

# The unit tests link the library and the CLI's and daemon's pure parts;
# each program's main.c stays out. The daemon's control socket comes with
# its event loop, and without control_verbs.c: test_ctl_requests.c stands
# in for the handlers.
TEST_UNIT_SRCS := $(TEST_SRCS) $(LIB_SRCS) \
	$(filter-out %/main.c,$(CLI_SRCS)) $(US_SRC)/ockamd/log.c \
	$(US_SRC)/ockamd/control.c $(US_SRC)/ockamd/loop.c \
	$(US_SRC)/ockamd/handshake_frame.c \
	$(US_SRC)/ockamd/handshake_source.c $(US_SRC)/ockamd/trust.c \
	$(US_SRC)/ockamd/portal_policy.c \
	$(US_SRC)/ockamd/relay_proto.c $(US_SRC)/ockamd/forward_table.c \
	$(US_SRC)/ockamd/backoff.c $(US_SRC)/ockamd/recovery_route.c \
	$(US_SRC)/ockamd/puncture_proto.c \
	kmod/frame.c kmod/replay.c kmod/ratchet.c \
	$(addprefix $(US_SRC)/ockamd/,noise.c identity.c vault.c)
TEST_UNIT_OBJS := $(call obj_of,$(US_TEST_OBJ),$(TEST_UNIT_SRCS))
# Fuzz targets: userspace/fuzz/fuzz_NAME.c with seeds in seeds-NAME/, and
# FUZZ_LIB_NAME, the sources of the code under test (Documentation/
# testing.rst, "Fuzzing").
FUZZ_OBJ := $(BUILD)/userspace/fuzz-obj
FUZZ_DIR := $(BUILD)/userspace/fuzz
FUZZ_NAMES := codec control frame handshake identity multiaddr noise portal \
	puncture stream udp
FUZZ_LIB_codec := kmod/codec.c \
	$(addprefix $(US_SRC)/lib/,route.c multiaddr.c hostport.c error.c)
FUZZ_LIB_control := $(FUZZ_LIB_codec) \
	$(addprefix $(US_SRC)/lib/,control.c registry.c netns.c) \
	$(addprefix $(US_SRC)/ockamd/,trust.c identity.c control_args.c)
FUZZ_LDLIBS_control := $(SODIUM_LIBS)
FUZZ_LIB_frame := kmod/frame.c kmod/replay.c kmod/ratchet.c
FUZZ_LDLIBS_frame := -lsodium
FUZZ_LIB_handshake := $(US_SRC)/ockamd/handshake_frame.c $(US_SRC)/lib/error.c
FUZZ_LIB_identity := $(US_SRC)/ockamd/identity.c $(US_SRC)/lib/error.c \
	$(US_SRC)/fuzz/fuzz_rng.c
FUZZ_LDLIBS_identity := $(SODIUM_LIBS)
FUZZ_LIB_multiaddr := $(FUZZ_LIB_codec)
FUZZ_LIB_noise := $(addprefix $(US_SRC)/ockamd/,noise.c identity.c) \
	$(US_SRC)/lib/error.c $(US_SRC)/fuzz/fuzz_rng.c
FUZZ_LDLIBS_noise := $(SODIUM_LIBS)
FUZZ_LIB_portal := kmod/portal_msg.c
FUZZ_LIB_puncture := $(US_SRC)/ockamd/puncture_proto.c \
	$(US_SRC)/lib/hostport.c $(US_SRC)/lib/error.c
FUZZ_LIB_stream := kmod/codec.c
FUZZ_LIB_udp := kmod/codec.c
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_NAMES))
FUZZ_OBJS := $(sort $(foreach f,$(FUZZ_NAMES),\
	$(call obj_of,$(FUZZ_OBJ),$(US_SRC)/fuzz/fuzz_$(f).c $(FUZZ_LIB_$(f)))))

LIBOCKAM_A := $(US_LIBDIR)/libockam.a
LIBOCKAM_SONAME := libockam.so.0
LIBOCKAM_SO := $(US_LIBDIR)/$(LIBOCKAM_SONAME)
LIBOCKAM_PC := $(US_LIBDIR)/pkgconfig/libockam.pc
UNIT_BIN := $(BUILD)/userspace/tests/unit

# Quiet by default, like Kbuild; V=1 shows the commands.
ifeq ($(V),1)
US_Q :=
US_SAY := @true
else
US_Q := @
US_SAY := @printf '  %-8s %s\n'
endif

PREFIX ?= /usr/local
DESTDIR ?=
US_VERSION := $(VERSION)

.PHONY: userspace userspace-test userspace-san fuzz install-userspace \
	uninstall-userspace

userspace: $(LIBOCKAM_A) $(US_LIBDIR)/libockam.so $(LIBOCKAM_PC) \
	   $(US_BINDIR)/ockam $(US_BINDIR)/ockamd $(US_BINDIR)/noise-vectors

$(US_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(US_SAY) CC $<
	$(US_Q)$(CC) $(US_CPPFLAGS) $(US_CFLAGS) -DOCKAM_VERSION='"$(US_VERSION)"' -MMD -MP -c $< -o $@

$(US_TEST_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(US_SAY) CC-SAN $<
	$(US_Q)$(US_TEST_CC) $(US_CPPFLAGS) $(US_TEST_CFLAGS) -DOCKAM_VERSION='"$(US_VERSION)"' -MMD -MP -c $< -o $@

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(US_SAY) CC-FUZZ $<
	$(US_Q)$(US_TEST_CC) $(US_CPPFLAGS) $(US_TEST_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(LIBOCKAM_A): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(US_SAY) AR $@
	$(US_Q)$(AR) rcs $@ $^

$(LIBOCKAM_SO): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(US_SAY) LD $@
	$(US_Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,$(LIBOCKAM_SONAME) -Wl,-z,relro,-z,now \
		-o $@ $^ $(NL_LIBS)

$(US_LIBDIR)/libockam.so: $(LIBOCKAM_SO)
	$(US_Q)ln -sf $(LIBOCKAM_SONAME) $@

$(LIBOCKAM_PC): $(US_SRC)/lib/libockam.pc.in $(MAKEFILE_LIST)
	@mkdir -p $(dir $@)
	$(US_SAY) GEN $@
	$(US_Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(US_VERSION)|g' $< > $@

# The programs link libockam statically, so they need nothing of this
# tree at run time (the test VM copies them with their shared libraries).
$(US_BINDIR)/ockam: $(CLI_OBJS) $(LIBOCKAM_A)
	@mkdir -p $(dir $@)
	$(US_SAY) LD $@
	$(US_Q)$(CC) $(LDFLAGS) -Wl,-z,relro,-z,now -o $@ $(CLI_OBJS) $(LIBOCKAM_A) $(NL_LIBS)

$(US_BINDIR)/ockamd: $(DAEMON_OBJS) $(LIBOCKAM_A)
	@mkdir -p $(dir $@)
	$(US_SAY) LD $@
	$(US_Q)$(CC) $(LDFLAGS) -Wl,-z,relro,-z,now -o $@ $(DAEMON_OBJS) $(LIBOCKAM_A) $(NL_LIBS) $(SODIUM_LIBS)

$(US_BINDIR)/noise-vectors: $(VECTORS_OBJS) $(LIBOCKAM_A)
	@mkdir -p $(dir $@)
	$(US_SAY) LD $@
	$(US_Q)$(CC) $(LDFLAGS) -Wl,-z,relro,-z,now -o $@ $(VECTORS_OBJS) $(LIBOCKAM_A) $(SODIUM_LIBS) \
		$(JANSSON_LIBS)

# The CLI and the daemon under ASan+UBSan, library included, with objects
# of their own. The VM's tests run these (ahead of build/bin on PATH), so
# every integration test is also a sanitizer run; valgrind, which cannot
# run ASan programs, takes the release ockamd instead.
US_SAN_OBJ := $(BUILD)/userspace/san-obj
US_SAN_BINDIR := $(BUILD)/bin-san
SAN_LIB_OBJS := $(call obj_of,$(US_SAN_OBJ),$(LIB_SRCS))
SAN_CLI_OBJS := $(call obj_of,$(US_SAN_OBJ),$(CLI_SRCS))
SAN_DAEMON_OBJS := $(call obj_of,$(US_SAN_OBJ),$(DAEMON_SRCS))

userspace-san: $(US_SAN_BINDIR)/ockam $(US_SAN_BINDIR)/ockamd

$(US_SAN_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(US_SAY) CC-SAN $<
	$(US_Q)$(US_TEST_CC) $(US_CPPFLAGS) $(US_TEST_CFLAGS) -DOCKAM_VERSION='"$(US_VERSION)"' -MMD -MP -c $< -o $@

$(US_SAN_BINDIR)/ockam: $(SAN_CLI_OBJS) $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(US_SAY) LD-SAN $@
	$(US_Q)$(US_TEST_CC) $(US_SAN) -o $@ $^ $(NL_LIBS)

$(US_SAN_BINDIR)/ockamd: $(SAN_DAEMON_OBJS) $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(US_SAY) LD-SAN $@
	$(US_Q)$(US_TEST_CC) $(US_SAN) -o $@ $^ $(NL_LIBS) $(SODIUM_LIBS)

$(UNIT_BIN): $(TEST_UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(US_SAY) LD $@
	$(US_Q)$(US_TEST_CC) $(US_SAN) -o $@ $^ $(NL_LIBS) $(SODIUM_LIBS) \
		$(JANSSON_LIBS)

define fuzz_rule
$(FUZZ_DIR)/fuzz_$(1): $(call obj_of,$(FUZZ_OBJ),$(US_SRC)/fuzz/fuzz_$(1).c $(FUZZ_LIB_$(1)))
	@mkdir -p $$(dir $$@)
	$(US_SAY) LD $$@
	$(US_Q)$(US_TEST_CC) $(US_SAN) -fsanitize=fuzzer -o $$@ $$^ $(FUZZ_LDLIBS_$(1))
endef
$(foreach f,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(f))))

# userspace-test runs each fuzzer a fixed number of times from a fixed
# seed; "make fuzz" runs each for FUZZ_EXECS from FUZZ_SEED, FUZZ_JOBS at
# a time, keeping its corpus (userspace/fuzz/run-fuzz.sh).
FUZZ_RUNS ?= 1000000
FUZZ_EXECS ?= 10000000
FUZZ_SEED ?= 1
FUZZ_JOBS ?= $(shell nproc)
# Fewer runs for the targets whose inputs cost more, so that each short
# pass takes a few seconds: noise inputs run X25519 or Ed25519, identity
# inputs Ed25519, a third of the frame inputs ChaCha20-Poly1305; a stream
# goes through three parsers, a route is printed and parsed again; a UDP
# input is also sent again as one message, cut into datagrams.
FUZZ_RUNS_frame ?= 300000
FUZZ_RUNS_identity ?= 500000
FUZZ_RUNS_multiaddr ?= 400000
FUZZ_RUNS_noise ?= 200000
FUZZ_RUNS_stream ?= 200000
FUZZ_RUNS_udp ?= 300000
export FUZZ_RUNS_frame FUZZ_RUNS_identity FUZZ_RUNS_multiaddr \
	FUZZ_RUNS_noise FUZZ_RUNS_stream FUZZ_RUNS_udp

# The standard Noise test vectors, next to the repository (as in CI).
NOISE_VECTORS_DIR ?= $(abspath $(CURDIR)/../shared/vectors)

userspace-test: $(UNIT_BIN) $(FUZZ_BINS) $(US_BINDIR)/noise-vectors
	@NOISE_VECTORS=$(US_BINDIR)/noise-vectors \
		NOISE_VECTORS_DIR=$(NOISE_VECTORS_DIR) \
		$(US_SRC)/tests/run-unit.sh $(UNIT_BIN) $(FUZZ_RUNS) $(FUZZ_DIR) \
		$(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@$(US_SRC)/fuzz/run-fuzz.sh $(FUZZ_DIR) $(FUZZ_EXECS) $(FUZZ_SEED) \
		$(FUZZ_JOBS) $(FUZZ_NAMES)

install-userspace: userspace
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/ockam $(DESTDIR)$(PREFIX)/include/linux
	install -m 0755 $(US_BINDIR)/ockam $(US_BINDIR)/ockamd $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(LIBOCKAM_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(LIBOCKAM_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(LIBOCKAM_SONAME) $(DESTDIR)$(PREFIX)/lib/libockam.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(US_VERSION)|g' \
		$(US_SRC)/lib/libockam.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libockam.pc
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/pkgconfig/libockam.pc
	install -m 0644 $(US_SRC)/lib/include/ockam/ockam.h $(DESTDIR)$(PREFIX)/include/ockam/
	install -m 0644 uapi/linux/ockam.h $(DESTDIR)$(PREFIX)/include/linux/
	$(if $(DESTDIR),,ldconfig)

uninstall-userspace:
	rm -f $(DESTDIR)$(PREFIX)/bin/ockam $(DESTDIR)$(PREFIX)/bin/ockamd \
		$(DESTDIR)$(PREFIX)/lib/libockam.a \
		$(DESTDIR)$(PREFIX)/lib/$(LIBOCKAM_SONAME) \
		$(DESTDIR)$(PREFIX)/lib/libockam.so \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/libockam.pc \
		$(DESTDIR)$(PREFIX)/include/ockam/ockam.h \
		$(DESTDIR)$(PREFIX)/include/linux/ockam.h
	rmdir $(DESTDIR)$(PREFIX)/include/ockam 2>/dev/null || true
	$(if $(DESTDIR),,ldconfig)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(VECTORS_OBJS:.o=.d) \
	 $(TEST_UNIT_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d) \
	 $(SAN_LIB_OBJS:.o=.d) $(SAN_CLI_OBJS:.o=.d) $(SAN_DAEMON_OBJS:.o=.d)
