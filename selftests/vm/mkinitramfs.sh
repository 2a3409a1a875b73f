#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs layers the test VM boots from. The kernel unpacks
# concatenated cpio archives in order, later files replacing earlier ones,
# so the image is assembled from layers that change at different rates:
#
#   base     build/vm-S/base.cpio.gz          busybox, /init, bash, iproute2,
#            (cached)                         socat, iperf3, kmod, ... with
#                                             their shared libraries, and the
#                                             kernel modules the tests use
#   project  build/vm-S/project-$VARIANT.cpio.gz ockam.ko, build/bin/*,
#            (rebuilt every time; small)      build/bin-san/*,
#                                             build/selftests/*, the shell
#                                             tests and their helpers;
#                                             for the bench, the debug
#                                             build as well
#   run      written by run-vm.sh             /vm/script, /vm/env
#
# Usage: mkinitramfs.sh [base] [project]      (default: both)
#
# S is the kernel series (6.1, 6.12): each kernel has its own layers, as
# their modules differ.
#
# Environment:
#   KVER        kernel release (default: selftests/vm/kver.sh's choice, the
#               newest installed of series $KSERIES)
#   KSERIES     kernel series, when KVER is not given (default: 6.1)
#   VM_MODDIR   module tree of that kernel (default: /lib/modules/$KVER)
#   BUILD       build directory (default: <repo>/build)
#   VM_DIR      where the layers go (default: $BUILD/vm-S; the debug-kernel
#               lane keeps its own, as its kernel and modules differ)
#   OCKAM_KO    module to put in the project layer (default:
#               $BUILD/kmod-debug-S/kmod/ockam.ko; may be absent)
#   OCKAM_DEBUG_KO   a second build of the module, the debug one, for
#               the bench's cipher part, which loads it with insmod: it
#               goes to /opt/ockam/kmod/ockam-debug.ko, outside the module
#               tree, so that modprobe never picks it (default: none)
#   VM_VARIANT  name of the project layer (default: debug)
#   VM_KMODS_EXTRA   more kernel modules for the base layer
#   VM_PROGS_EXTRA   more host programs for the base layer
#
# Busybox applets versus host programs: busybox-static's sh runs its own
# applets before looking at PATH. The image therefore gets no busybox link
# for any command a host program provides (ip, tc, ss, modprobe, ...), and
# everything except /init itself runs under bash, where PATH decides.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}
KVER=$("$here/kver.sh")
[ -n "$KVER" ] || { echo "mkinitramfs: KVER unknown; run 'make deps'" >&2; exit 1; }
KSERIES=$(KVER=$KVER "$here/kver.sh" --series)
MODDIR=${VM_MODDIR:-/lib/modules/$KVER}
VM_DIR=${VM_DIR:-$BUILD/vm-$KSERIES}
VARIANT=${VM_VARIANT:-debug}
OCKAM_KO=${OCKAM_KO:-$BUILD/kmod-debug-$KSERIES/kmod/ockam.ko}
OCKAM_DEBUG_KO=${OCKAM_DEBUG_KO:-}
BUSYBOX=${BUSYBOX:-/bin/busybox}

# Kernel modules the tests and benchmarks load, with everything they depend
# on (resolved from modules.dep). Missing ones are reported, not fatal: a
# debug kernel may have them built in.
VM_KMODS=(
	veth dummy tun macvlan ipvlan bridge
	sch_netem sch_tbf sch_prio sch_htb sch_fq_codel ifb
	cls_u32 cls_matchall act_mirred
	wireguard udp_tunnel ip6_udp_tunnel
	libchacha20poly1305 chacha20poly1305 chacha_generic chacha-x86_64
	poly1305_generic poly1305-x86_64 libcurve25519 curve25519-x86_64
	tls kcm
	inet_diag tcp_diag udp_diag unix_diag af_packet_diag netlink_diag
	nf_tables nft_ct nft_nat nft_masq nft_chain_nat nf_conntrack nf_nat
)
# shellcheck disable=SC2206 # word splitting is intended
VM_KMODS+=(${VM_KMODS_EXTRA:-})

# Host programs copied with their libraries. Required ones must exist.
VM_PROGS=(
	bash ip tc ss socat iperf3 nft
	kmod modprobe insmod rmmod lsmod modinfo depmod
	pgrep pkill
)
# addr2line symbolizes the sanitizers' reports (there is no llvm-symbolizer
# in the image).
VM_PROGS_OPTIONAL=(wg stunnel stunnel4 openssl strace ethtool addr2line)
# shellcheck disable=SC2206 # word splitting is intended
VM_PROGS_OPTIONAL+=(${VM_PROGS_EXTRA:-})

log() { echo "mkinitramfs: $*" >&2; }

# copy_base_kmods DIR: the base layer's kernel modules (listed in
# $VM_DIR/base.kmods) and the kernel's module lists, into module tree DIR.
copy_base_kmods() {
	local dir=$1 m
	mkdir -p "$dir"
	while read -r m; do
		mkdir -p "$dir/$(dirname "$m")"
		cp "$MODDIR/$m" "$dir/$m"
	done <"$VM_DIR/base.kmods"
	for m in modules.order modules.builtin modules.builtin.modinfo; do
		if [ -e "$MODDIR/$m" ]; then
			cp "$MODDIR/$m" "$dir/"
		fi
	done
}
die() { log "$*"; exit 1; }

# Map a host path into the merged-/usr layout of the image.
canon() {
	case $1 in
	/bin/*|/sbin/*|/lib/*|/lib64/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}

# skel ROOT: directories, merged-/usr symlinks, /etc files.
skel() {
	local root=$1
	mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,root,proc,sys} \
		"$root"/{dev,tmp,run,mnt,var/tmp,vm} \
		"$root"/opt/ockam/{bin,lib,kselftests,selftests,etc}
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	ln -s ../run "$root/var/run"
	chmod 1777 "$root/tmp" "$root/var/tmp"
	cat >"$root/etc/passwd" <<-'EOF'
	root:x:0:0:root:/root:/bin/bash
	nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
	EOF
	cat >"$root/etc/group" <<-'EOF'
	root:x:0:
	nogroup:x:65534:
	EOF
	cat >"$root/etc/hosts" <<-'EOF'
	127.0.0.1	localhost
	::1		localhost ip6-localhost ip6-loopback
	EOF
	echo 'hosts: files' >"$root/etc/nsswitch.conf"
	echo 'ockam-vm' >"$root/etc/hostname"
	: >"$root/etc/fstab"
	local f
	for f in /etc/services /etc/protocols; do
		[ -r "$f" ] && cp "$f" "$root$f"
	done
	return 0
}

declare -A copied=()
declare -A provided=()

# add_file ROOT SRC [DEST]: copy SRC (following symlinks) to DEST in ROOT.
add_file() {
	local root=$1 src=$2 dest=${3:-}
	[ -n "$dest" ] || dest=$(canon "$src")
	[ -n "${copied[$dest]:-}" ] && return 0
	mkdir -p "$root$(dirname "$dest")"
	cp -L --preserve=mode "$src" "$root$dest"
	copied[$dest]=1
}

# add_libs ROOT FILE...: the shared libraries and loader the files need.
# Libraries found under $BUILD/lib go to /opt/ockam/lib.
add_libs() {
	local root=$1 f lib
	shift
	for f in "$@"; do
		[[ $(file -bL "$f") == *"dynamically linked"* ]] || continue
		local out
		out=$(LD_LIBRARY_PATH=$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
			ldd "$f" 2>&1) || die "ldd $f failed: $out"
		if grep -q 'not found' <<<"$out"; then
			die "$f: missing libraries: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
		fi
		while read -r lib; do
			[ -n "$lib" ] || continue
			case $lib in
			"$BUILD"/lib/*) add_file "$root" "$lib" "/opt/ockam/lib/${lib##*/}" ;;
			*) add_file "$root" "$lib" ;;
			esac
		done < <(awk '/=>/ { if ($3 ~ /^\//) print $3; next }
			      $1 ~ /^\// { print $1 }' <<<"$out")
	done
}

# add_prog ROOT NAME: a host program found in PATH, by its real file, with
# a link at the path PATH found it under, and its libraries.
add_prog() {
	local root=$1 name=$2 path real dest link
	path=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		command -v "$name" 2>/dev/null) || return 1
	real=$(readlink -f "$path")
	dest=$(canon "$real")
	add_file "$root" "$real" "$dest"
	link=$(canon "$path")
	if [ "$link" != "$dest" ] && [ ! -e "$root$link" ]; then
		mkdir -p "$root$(dirname "$link")"
		ln -s "$dest" "$root$link"
	fi
	add_libs "$root" "$real"
	provided[$name]=1
}

# valgrind_files: what memcheck needs on amd64 besides the valgrind and
# valgrind.bin programs (Debian's "valgrind" is a shell wrapper around
# valgrind.bin): the tool, its preloaded libraries, the default
# suppressions, and the symbols of the dynamic loader, where memcheck must
# redirect strlen or refuse to start (Debian's ld.so is stripped: its
# libc6-dbg debug file, by build ID). libc's own debug file would name
# its internal functions in reports, for 4 MB more and a slower start.
# Fails, saying why, when something is missing: valgrind is optional and
# then left out.
valgrind_files() {
	local dir=/usr/libexec/valgrind f id lib why=
	if ! command -v valgrind.bin >/dev/null 2>&1; then
		why="not installed"
	fi
	for f in memcheck-amd64-linux vgpreload_core-amd64-linux.so \
		 vgpreload_memcheck-amd64-linux.so default.supp; do
		[ -n "$why" ] && break
		if [ -r "$dir/$f" ]; then echo "$dir/$f"; else why="no $dir/$f"; fi
	done
	if [ -z "$why" ]; then
		lib=/lib64/ld-linux-x86-64.so.2
		id=$(readelf -n "$lib" 2>/dev/null | awk '/Build ID:/ { print $3 }')
		f=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
		if [ -n "$id" ] && [ -r "$f" ]; then
			echo "$f"
		else
			why="no debug symbols for $lib (package libc6-dbg)"
		fi
	fi
	[ -z "$why" ] && return 0
	log "optional program 'valgrind' left out: $why"
	return 1
}

# Kernel modules (paths relative to MODDIR) needed for the given names,
# dependencies included. Names not found as modules go to stderr.
resolve_kmods() {
	awk -v want="$*" '
	BEGIN {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) { x = w[i]; gsub("-", "_", x); W[x] = 1 }
	}
	{
		path = $1; sub(":$", "", path)
		m = path; sub(".*/", "", m); sub("[.]ko([.][a-z]+)?$", "", m)
		gsub("-", "_", m)
		if (m in W) {
			F[m] = 1; print path
			for (i = 2; i <= NF; i++) print $i
		}
	}
	END { for (x in W) if (!(x in F)) print x > "/dev/stderr" }
	' "$MODDIR/modules.dep" | sort -u
}

is_builtin() {
	local m=${1//[-_]/[-_]}
	grep -qE "/$m\.ko$" "$MODDIR/modules.builtin" 2>/dev/null
}

pack() {
	local root=$1 out=$2
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -1 -n >"$out.tmp"
	mv "$out.tmp" "$out"
}

# ---------------------------------------------------------------- base

base_inputs() {
	# Everything the base layer is made from, with modification times; the
	# layer is rebuilt when this changes.
	echo "kver $KVER moddir $MODDIR"
	echo "kmods ${VM_KMODS[*]}"
	echo "progs ${VM_PROGS[*]} ${VM_PROGS_OPTIONAL[*]}"
	local f
	for f in "${BASH_SOURCE[0]}" "$here/init" "$here/kernel-log-patterns" "$BUSYBOX" "$MODDIR/modules.dep"; do
		stat -L -c '%n %Y %s' "$f"
	done
	for f in "${VM_PROGS[@]}" "${VM_PROGS_OPTIONAL[@]}"; do
		f=$(command -v "$f" 2>/dev/null) || continue
		stat -L -c '%n %Y %s' "$f"
	done
	{
		command -v valgrind valgrind.bin
		valgrind_files
	} 2>/dev/null | while read -r f; do
		stat -L -c '%n %Y %s' "$f"
	done
	return 0
}

build_base() {
	local out=$VM_DIR/base.cpio.gz root=$VM_DIR/base-root
	local inputs
	inputs=$(base_inputs)
	if [ -s "$out" ] && [ -s "$VM_DIR/base.manifest" ] &&
	   [ "$inputs" = "$(cat "$VM_DIR/base.inputs" 2>/dev/null)" ]; then
		log "base layer up to date: $out"
		return 0
	fi
	log "building base layer for $KVER"
	rm -f "$VM_DIR/base.inputs"
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (package busybox-static)"
	[ -r "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep missing"
	rm -rf "$root"
	mkdir -p "$root"
	copied=()
	provided=()
	skel "$root"

	install -m 0755 "$here/init" "$root/init"
	install -m 0644 "$here/kernel-log-patterns" \
		"$root/opt/ockam/etc/kernel-log-patterns"

	local p
	for p in "${VM_PROGS[@]}"; do
		add_prog "$root" "$p" || die "required program '$p' not found"
	done
	for p in "${VM_PROGS_OPTIONAL[@]}"; do
		add_prog "$root" "$p" || log "optional program '$p' not installed"
	done
	local vgfiles
	if vgfiles=$(valgrind_files); then
		for p in valgrind valgrind.bin; do
			add_prog "$root" "$p"
		done
		while read -r p; do
			add_file "$root" "$p"
		done <<<"$vgfiles"
	fi
	# glibc loads libgcc_s at run time for pthread_cancel and unwinding;
	# ldd does not list it.
	local gcc_s
	gcc_s=$(ldconfig -p |
		awk '/libgcc_s\.so\.1 \(libc6,x86-64\)/ && !p { p = $NF } END { print p }')
	[ -n "$gcc_s" ] || die "libgcc_s.so.1 not found"
	add_file "$root" "$gcc_s"
	# tc's netem distribution tables.
	local tcdir
	tcdir=$(dirname "$(readlink -f "$(command -v tc)")")/../lib/x86_64-linux-gnu/tc
	[ -d "$tcdir" ] || tcdir=/usr/lib/x86_64-linux-gnu/tc
	if [ -d "$tcdir" ]; then
		for p in "$tcdir"/*.dist; do
			[ -e "$p" ] && add_file "$root" "$p" "/usr/lib/x86_64-linux-gnu/tc/${p##*/}"
		done
	fi

	# busybox and its applet links, except where a host program is present.
	add_file "$root" "$BUSYBOX" /usr/bin/busybox
	local applet name dest
	while read -r applet; do
		name=${applet##*/}
		case $name in linuxrc|init|busybox) continue ;; esac
		[ -n "${provided[$name]:-}" ] && continue
		dest=$(canon "/$applet")
		[ -e "$root$dest" ] || [ -L "$root$dest" ] && continue
		mkdir -p "$root$(dirname "$dest")"
		ln -s /usr/bin/busybox "$root$dest"
	done < <("$BUSYBOX" --list-full)

	# Kernel modules and a modules.dep for them.
	local kmroot=$root/usr/lib/modules/$KVER m missing
	mkdir -p "$kmroot"
	missing=$(resolve_kmods "${VM_KMODS[@]}" 2>&1 >"$VM_DIR/base.kmods") || true
	local absent=()
	for m in $missing; do
		is_builtin "$m" || absent+=("$m")
	done
	[ ${#absent[@]} = 0 ] ||
		log "kernel modules not in $MODDIR (built in or not configured): ${absent[*]}"
	copy_base_kmods "$kmroot"
	depmod -b "$root/usr" "$KVER"

	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort) >"$VM_DIR/base.manifest"
	pack "$root" "$out"
	rm -rf "$root"
	echo "$inputs" >"$VM_DIR/base.inputs"
	log "base layer: $out ($(du -h "$out" | cut -f1))"
}

# ------------------------------------------------------------- project

# In-module self-tests the tests mode expects to pass: one per
# kmod/selftest/NAME.c unless kmod/selftest/selftests.list names them.
selftest_names() {
	if [ -r "$repo/kmod/selftest/selftests.list" ]; then
		grep -v '^[[:space:]]*\(#\|$\)' "$repo/kmod/selftest/selftests.list"
	else
		local f
		for f in "$repo"/kmod/selftest/*.c; do
			[ -e "$f" ] || continue
			f=${f##*/}
			echo "${f%.c}"
		done
	fi
}

build_project() {
	local out=$VM_DIR/project-$VARIANT.cpio.gz
	local root=$VM_DIR/project-root-$VARIANT scratch=$VM_DIR/kmod-scratch-$VARIANT
	[ -r "$VM_DIR/base.manifest" ] || die "build the base layer first"
	rm -rf "$root" "$scratch"
	mkdir -p "$root/opt/ockam"/{bin,bin-san,lib,kselftests,selftests,etc}
	copied=()
	# Files the base layer has already.
	local p
	while read -r p; do
		copied[${p#.}]=1
	done <"$VM_DIR/base.manifest"

	local f
	for f in "$BUILD"/bin/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		install -m 0755 "$f" "$root/opt/ockam/bin/${f##*/}"
		add_libs "$root" "$f"
	done
	# The CLI and daemon under ASan+UBSan (make userspace-san); /init puts
	# them ahead of /opt/ockam/bin unless told otherwise.
	for f in "$BUILD"/bin-san/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		install -m 0755 "$f" "$root/opt/ockam/bin-san/${f##*/}"
		add_libs "$root" "$f"
	done
	for f in "$BUILD"/lib/*.so*; do
		[ -f "$f" ] || continue
		add_file "$root" "$f" "/opt/ockam/lib/${f##*/}"
	done
	for f in "$BUILD"/selftests/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		install -m 0755 "$f" "$root/opt/ockam/kselftests/${f##*/}"
		add_libs "$root" "$f"
	done
	# Shell tests, helpers, demo and benchmark scripts: selftests/ without
	# the VM harness, the C sources and the build glue.
	(cd "$repo/selftests" && find . -mindepth 1 \
		\( -path ./vm -o -path ./kselftest \) -prune -o \
		-type f ! -name '*.mk' ! -name '*.c' ! -name 'run-tests.sh' -print) |
	while read -r f; do
		mkdir -p "$root/opt/ockam/selftests/$(dirname "$f")"
		cp --preserve=mode "$repo/selftests/$f" "$root/opt/ockam/selftests/$f"
	done

	selftest_names >"$root/opt/ockam/etc/selftests.list"
	{
		echo "KVER=$KVER"
		echo "VARIANT=$VARIANT"
		echo "OCKAM_KO=${OCKAM_KO#"$repo"/}"
		[ -z "$OCKAM_DEBUG_KO" ] ||
			echo "OCKAM_DEBUG_KO=${OCKAM_DEBUG_KO#"$repo"/}"
		echo "BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "GIT=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
	} >"$root/opt/ockam/etc/info"

	# ockam.ko in extra/, with a modules.dep that covers it so that
	# modprobe and socket() autoloading find it.
	if [ -f "$OCKAM_KO" ]; then
		local kmroot=$root/usr/lib/modules/$KVER
		local dep deps=() m sk=$scratch/lib/modules/$KVER
		# The base layer's modules again, so that depmod sees them all.
		copy_base_kmods "$sk"
		mkdir -p "$sk/extra" "$kmroot/extra"
		cp "$OCKAM_KO" "$sk/extra/ockam.ko"
		cp "$OCKAM_KO" "$kmroot/extra/ockam.ko"
		local vermagic
		vermagic=$(modinfo -F vermagic "$OCKAM_KO")
		[ "${vermagic%% *}" = "$KVER" ] ||
			log "warning: $OCKAM_KO is for '${vermagic%% *}', the VM runs $KVER"
		# Modules ockam.ko needs that the base layer lacks.
		IFS=, read -r -a deps <<<"$(modinfo -F depends "$OCKAM_KO")"
		if [ "${#deps[@]}" -gt 0 ]; then
			while read -r m; do
				[ -e "$sk/$m" ] && continue
				mkdir -p "$sk/$(dirname "$m")" "$kmroot/$(dirname "$m")"
				cp "$MODDIR/$m" "$sk/$m"
				cp "$MODDIR/$m" "$kmroot/$m"
			done < <(resolve_kmods "${deps[@]}" 2>/dev/null)
		fi
		depmod -b "$scratch" "$KVER"
		for dep in "$sk"/modules.*; do
			cp "$dep" "$kmroot/"
		done
	else
		log "no module at $OCKAM_KO; the image has none"
	fi
	# Its dependencies are ockam.ko's, which the image has.
	if [ -n "$OCKAM_DEBUG_KO" ]; then
		[ -f "$OCKAM_DEBUG_KO" ] || die "no module at $OCKAM_DEBUG_KO"
		mkdir -p "$root/opt/ockam/kmod"
		cp "$OCKAM_DEBUG_KO" "$root/opt/ockam/kmod/ockam-debug.ko"
	fi

	pack "$root" "$out"
	rm -rf "$scratch" "$root"
	log "project layer: $out ($(du -h "$out" | cut -f1))"
}

mkdir -p "$VM_DIR"
[ $# -gt 0 ] || set -- base project
for what in "$@"; do
	case $what in
	base) build_base ;;
	project) build_project ;;
	*) die "unknown layer '$what' (base, project)" ;;
	esac
done
