#!/usr/bin/env bash
# QEMU VFIO testbed: boots a q35 guest (TCG) whose 3 emulated "edu" PCI devices and simulated FPGA
# boards (vfio-user, one vfio_user_sim_board server per board) sit behind an emulated Intel VT-d IOMMU,
# binds them to vfio-pci inside the guest and runs the guest test list there with the project's release
# binaries. See usage() and shared/specs/qemu_vfio_testbed.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TESTBED_DIR="$SCRIPT_DIR/qemu_testbed"

usage() {
    cat <<EOF
Usage: $(basename "$0") [options]

Runs the project's binaries against real VFIO in a QEMU guest: q35 machine under TCG with
intel-iommu (intremap=on, caching-mode=on), 3 edu devices (1234:11e8) and the simulated FPGA
boards of --boards, each served by its own vfio_user_sim_board process on a Unix socket and
attached with vfio-user-pci behind its own PCIe root port; all bound to vfio-pci in the guest.
QEMU's vfio-user client needs QEMU >= 10.1: the script makes a Debian trixie root with
debootstrap in the work directory and installs qemu-system-x86 from trixie-backports there
(the host's apt sources are not changed; cached for later runs), and runs QEMU in it with
chroot. Installs what it needs on the host with apt-get (debootstrap, busybox-static, cpio,
gzip; the guest kernel from linux-image-amd64), builds the workspace in release mode, packs an
initramfs, boots, and reports one line per guest test case, then "N passed, M failed".
Exit status: 0 all cases passed; 1 a case failed, no case ran, the guest did not finish
(boot problem or timeout) or a step failed; 2 bad usage.

Options:
  --tests FILE          guest test list (default: scripts/qemu_testbed/guest_tests.txt);
                        format described at the top of that file
  --boards LIST         simulated boards, the --sim list syntax (<design>[@<location>],...);
                        'none' for the edu devices only (default: $DEFAULT_BOARDS)
  --qemu-root DIR       the trixie root holding QEMU (default: <work-dir>/qemu_root; made
                        when missing)
  --no-build            do not run cargo; use the binaries already in the binary directory
  --bin-dir DIR         directory of the project binaries
                        (default: \${CARGO_TARGET_DIR:-<repo>/target}/release)
  --bins A,B,...        put only these binaries in the guest (default: every executable in the
                        binary directory)
  --timeout SEC         host-side limit for the whole QEMU run (default: 1800)
  --case-timeout SEC    default per-case limit inside the guest (default: 120)
  --kernel-source SRC   where the guest kernel comes from:
                          auto     newest /boot/vmlinuz-* with vfio modules, else 'package' (default)
                          host     /boot; installs linux-image-amd64 on the host if needed
                                   (runs the initramfs-tools hooks: about a minute)
                          package  downloads the linux-image-amd64 kernel package with apt-get and
                                   extracts the kernel + vfio modules into the work directory (no
                                   host install, no hooks; cached)
  --kernel FILE         use this kernel image (with --modules-dir)
  --modules-dir DIR     the matching /lib/modules/<version> directory
  --work-dir DIR        scratch/cache directory (default: \${CARGO_TARGET_DIR:-<repo>/target}/qemu_testbed)
  --no-install          never run apt-get; fail if a tool is missing
  --verbose             stream the whole serial console while the guest runs
  --quiet               print only the result lines and the summary
  --keep                keep the initramfs staging directory of this run
  -h, --help            this help

Environment: CARGO_TARGET_DIR is honoured (build output and default work directory).
Files: the serial log of the last run is <work-dir>/serial.log; each board server's log is
<work-dir>/board_server_<n>.log (n = position in --boards, from 0).
EOF
}

die() {
    echo "qemu_vfio_testbed: ERROR: $*" >&2
    exit 1
}
note() {
    [[ $QUIET == 1 ]] || echo "qemu_vfio_testbed: $*"
}

# The --sim default boards (the reference logs' three) plus a DDR design and dma_blkram.
DEFAULT_BOARDS=TEF1001_dma_stream_loopback,NiteFury_dma_stream_loopback,Nitefury_Project-0,TEF1001_dma_ddr3,dma_blkram
TESTS_FILE="$TESTBED_DIR/guest_tests.txt"
BOARDS=$DEFAULT_BOARDS
QEMU_ROOT=""
DO_BUILD=1
BIN_DIR=""
BINS=""
TIMEOUT=1800
CASE_TIMEOUT=120
KERNEL_SOURCE=auto
KERNEL=""
MODULES_DIR=""
WORK_DIR=""
DO_INSTALL=1
VERBOSE=0
QUIET=0
KEEP=0

need_arg() {
    [[ $# -ge 2 && -n $2 ]] || {
        echo "qemu_vfio_testbed: option $1 needs a value (see --help)" >&2
        exit 2
    }
}
while [[ $# -gt 0 ]]; do
    case $1 in
    --tests) need_arg "$@"; TESTS_FILE=$2; shift 2 ;;
    --boards) need_arg "$@"; BOARDS=$2; shift 2 ;;
    --qemu-root) need_arg "$@"; QEMU_ROOT=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --bin-dir) need_arg "$@"; BIN_DIR=$2; shift 2 ;;
    --bins) need_arg "$@"; BINS=$2; shift 2 ;;
    --timeout) need_arg "$@"; TIMEOUT=$2; shift 2 ;;
    --case-timeout) need_arg "$@"; CASE_TIMEOUT=$2; shift 2 ;;
    --kernel-source) need_arg "$@"; KERNEL_SOURCE=$2; shift 2 ;;
    --kernel) need_arg "$@"; KERNEL=$2; shift 2 ;;
    --modules-dir) need_arg "$@"; MODULES_DIR=$2; shift 2 ;;
    --work-dir) need_arg "$@"; WORK_DIR=$2; shift 2 ;;
    --no-install) DO_INSTALL=0; shift ;;
    --verbose) VERBOSE=1; shift ;;
    --quiet) QUIET=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *)
        echo "qemu_vfio_testbed: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
done

[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || { echo "qemu_vfio_testbed: --timeout needs a positive integer" >&2; exit 2; }
[[ $CASE_TIMEOUT =~ ^[1-9][0-9]*$ ]] || { echo "qemu_vfio_testbed: --case-timeout needs a positive integer" >&2; exit 2; }
case $KERNEL_SOURCE in auto | host | package) ;; *)
    echo "qemu_vfio_testbed: --kernel-source must be auto, host or package" >&2
    exit 2
    ;;
esac
if [[ -n $KERNEL || -n $MODULES_DIR ]] && [[ -z $KERNEL || -z $MODULES_DIR ]]; then
    echo "qemu_vfio_testbed: --kernel and --modules-dir go together" >&2
    exit 2
fi
[[ -r $TESTS_FILE ]] || die "test list $TESTS_FILE not readable"
BOARD_LIST=()
if [[ $BOARDS != none ]]; then
    IFS=',' read -r -a BOARD_LIST <<<"$BOARDS"
    for b in "${BOARD_LIST[@]}"; do
        [[ $b =~ ^[A-Za-z0-9_.-]+(@[0-9a-fA-F:.]+)?$ ]] || {
            echo "qemu_vfio_testbed: --boards: bad entry '$b' (expected <design>[@<location>])" >&2
            exit 2
        }
    done
    [[ ${#BOARD_LIST[@]} -le 16 ]] || { echo "qemu_vfio_testbed: --boards: at most 16 boards" >&2; exit 2; }
fi

# cargo resolves a relative CARGO_TARGET_DIR against the directory it runs in: the repo root here.
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO_ROOT/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$REPO_ROOT/$TARGET_DIR"
BIN_DIR=${BIN_DIR:-$TARGET_DIR/release}
WORK_DIR=${WORK_DIR:-$TARGET_DIR/qemu_testbed}
mkdir -p "$WORK_DIR"
WORK_DIR=$(cd "$WORK_DIR" && pwd)
QEMU_ROOT=${QEMU_ROOT:-$WORK_DIR/qemu_root}

T_START=$SECONDS
elapsed() { echo "$((SECONDS - T_START))s"; }

# ---------------------------------------------------------------- host packages
APT_UPDATED=0
apt_install() { # packages...
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [[ ${#missing[@]} -gt 0 ]] || return 0
    [[ $DO_INSTALL == 1 ]] || die "missing packages: ${missing[*]} (and --no-install given)"
    note "installing ${missing[*]} with apt-get"
    local log="$WORK_DIR/apt.log" t0=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    if [[ $APT_UPDATED == 0 ]]; then
        apt-get -qq update >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed"; }
        APT_UPDATED=1
    fi
    apt-get -qq -y -o Dpkg::Use-Pty=0 install --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
        { tail -n 30 "$log" >&2; die "apt-get install ${missing[*]} failed (log: $log)"; }
    note "installed ${missing[*]} in $((SECONDS - t0))s"
}

apt_install busybox-static cpio gzip
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found (package busybox-static)"

# ---------------------------------------------------------------- QEMU (trixie root)
# QEMU's vfio-user client (vfio-user-pci) needs QEMU >= 10.1; bookworm has 7.2. So: a debootstrap-made
# Debian trixie root in the work directory, qemu-system-x86 from trixie-backports installed in it, QEMU
# run in it with chroot. The host's apt sources are never changed. Made once, then cached.
QEMU_READY="$QEMU_ROOT/.fpga_sio_qemu_ready"
QEMU_SETUP="cached"
qemu_in_root() { # args...
    chroot "$QEMU_ROOT" qemu-system-x86_64 "$@"
}
ensure_qemu_root() {
    if [[ -f $QEMU_READY ]] && qemu_in_root --version >/dev/null 2>&1; then
        return 0
    fi
    [[ $DO_INSTALL == 1 ]] || die "no QEMU root in $QEMU_ROOT (and --no-install given)"
    if [[ -e $QEMU_ROOT ]]; then
        # Only a root this script made (it has the marker's directory layout) is replaced.
        [[ -d $QEMU_ROOT/etc/apt && -d $QEMU_ROOT/usr ]] ||
            die "$QEMU_ROOT exists and is not a QEMU root made by this script; choose another --qemu-root"
    fi
    apt_install debootstrap
    local t0=$SECONDS partial="$QEMU_ROOT.partial" log="$WORK_DIR/qemu_root.log"
    note "making the QEMU root in $QEMU_ROOT: debootstrap trixie, then qemu-system-x86 from trixie-backports"
    rm -rf "$partial" # an unfinished earlier attempt of this script
    debootstrap --variant=minbase trixie "$partial" >"$log" 2>&1 ||
        { tail -n 20 "$log" >&2; die "debootstrap trixie into $partial failed (log: $log)"; }
    # The backports suite from the mirror debootstrap used.
    sed -n 's/^deb \([^ ]*\) trixie main$/deb \1 trixie-backports main/p' "$partial/etc/apt/sources.list" \
        >"$partial/etc/apt/sources.list.d/trixie-backports.list"
    [[ -s $partial/etc/apt/sources.list.d/trixie-backports.list ]] ||
        die "cannot derive the trixie-backports source from $partial/etc/apt/sources.list"
    cp /etc/resolv.conf "$partial/etc/resolv.conf"
    { chroot "$partial" apt-get -qq update &&
        DEBIAN_FRONTEND=noninteractive chroot "$partial" apt-get -qq -y -o Dpkg::Use-Pty=0 install \
            --no-install-recommends -t trixie-backports qemu-system-x86; } >>"$log" 2>&1 ||
        { tail -n 30 "$log" >&2; die "installing qemu-system-x86 from trixie-backports in $partial failed (log: $log)"; }
    chroot "$partial" apt-get -qq clean >>"$log" 2>&1 || true
    chroot "$partial" qemu-system-x86_64 -device help 2>/dev/null | grep -q '"vfio-user-pci"' ||
        die "the QEMU in $partial has no vfio-user-pci device ($(chroot "$partial" qemu-system-x86_64 --version | head -n 1))"
    rm -rf "$QEMU_ROOT"
    mv "$partial" "$QEMU_ROOT"
    touch "$QEMU_READY"
    QEMU_SETUP="made in $((SECONDS - t0))s"
}
t0=$SECONDS
ensure_qemu_root
QEMU_VERSION=$(qemu_in_root --version | head -n 1)
note "$QEMU_VERSION (trixie root $QEMU_ROOT, $QEMU_SETUP, ready after $((SECONDS - t0))s)"

# ---------------------------------------------------------------- guest kernel
# Prints the version of the newest /boot/vmlinuz-* that has vfio modules, or nothing.
host_kernel_version() {
    local k v best=""
    for k in /boot/vmlinuz-*; do
        [[ -f $k ]] || continue
        v=${k#/boot/vmlinuz-}
        [[ -d /lib/modules/$v/kernel/drivers/vfio ]] || continue
        if [[ -z $best ]] || [[ $(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n 1) == "$v" ]]; then
            best=$v
        fi
    done
    echo "$best"
}

# Downloads the kernel package that linux-image-amd64 depends on and extracts the kernel image and
# the modules the testbed needs into $WORK_DIR/kernel/<package>; sets KERNEL and MODULES_DIR.
kernel_from_package() {
    local pkg dest tmp deb
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    if [[ -z $pkg && $DO_INSTALL == 1 && $APT_UPDATED == 0 ]]; then
        apt-get -qq update >"$WORK_DIR/apt.log" 2>&1 || die "apt-get update failed"
        APT_UPDATED=1
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    fi
    [[ -n $pkg ]] || die "cannot resolve the kernel package of linux-image-amd64 (apt-cache depends)"
    dest="$WORK_DIR/kernel/$pkg"
    if ! compgen -G "$dest/boot/vmlinuz-*" >/dev/null; then
        [[ $DO_INSTALL == 1 ]] || die "guest kernel $pkg not cached in $dest (and --no-install given)"
        local t0=$SECONDS
        note "downloading and extracting $pkg (guest kernel; not installed on the host)"
        tmp=$(mktemp -d "$WORK_DIR/kernel.XXXXXX")
        (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >"$WORK_DIR/apt-download.log" 2>&1) ||
            { tail -n 20 "$WORK_DIR/apt-download.log" >&2; rm -rf "$tmp"; die "apt-get download $pkg failed"; }
        deb=$(compgen -G "$tmp/*.deb" | head -n 1)
        mkdir -p "$tmp/root"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/root" --wildcards './boot/vmlinuz-*' \
            '*/modules/*/kernel/drivers/vfio/*' '*/modules/*/kernel/virt/lib/*' '*/modules/*/modules.builtin' ||
            { rm -rf "$tmp"; die "extracting $deb failed"; }
        mkdir -p "$WORK_DIR/kernel"
        rm -rf "$dest"
        mv "$tmp/root" "$dest"
        rm -rf "$tmp"
        note "guest kernel package ready in $((SECONDS - t0))s"
    fi
    KERNEL=$(compgen -G "$dest/boot/vmlinuz-*" | sort -V | tail -n 1)
    local v=${KERNEL##*/vmlinuz-}
    MODULES_DIR=""
    for d in "$dest/lib/modules/$v" "$dest/usr/lib/modules/$v"; do
        [[ -d $d ]] && MODULES_DIR=$d
    done
    [[ -n $MODULES_DIR ]] || die "no modules for $v in $dest"
}

if [[ -z $KERNEL ]]; then
    v=""
    if [[ $KERNEL_SOURCE != package ]]; then
        v=$(host_kernel_version)
        if [[ -z $v && $KERNEL_SOURCE == host ]]; then
            note "installing linux-image-amd64 on the host (initramfs hooks run: about a minute)"
            apt_install linux-image-amd64
            v=$(host_kernel_version)
            [[ -n $v ]] || die "no /boot/vmlinuz-* with /lib/modules/<version>/kernel/drivers/vfio after installing linux-image-amd64"
        fi
    fi
    if [[ -n $v ]]; then
        KERNEL=/boot/vmlinuz-$v
        MODULES_DIR=/lib/modules/$v
    else
        kernel_from_package
    fi
fi
[[ -r $KERNEL ]] || die "kernel image $KERNEL not readable"
[[ -d $MODULES_DIR ]] || die "modules directory $MODULES_DIR not found"
KVER=${MODULES_DIR%/}
KVER=${KVER##*/}
note "guest kernel $KVER: $KERNEL"

# ---------------------------------------------------------------- build
if [[ $DO_BUILD == 1 ]]; then
    command -v cargo >/dev/null || die "cargo not found"
    note "building: cargo build --release --workspace --bins (target dir $TARGET_DIR)"
    t0=$SECONDS
    if ! (cd "$REPO_ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --workspace --bins); then
        die "cargo build --release failed: the workspace does not build. To test the testbed with existing binaries use --no-build [--bin-dir DIR]"
    fi
    (cd "$REPO_ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p sim_board_server --example write_test_bitstream) ||
        die "cargo build of the write_test_bitstream example failed"
    note "build done in $((SECONDS - t0))s"
fi

# The project binaries for the guest.
bin_files=()
if [[ -n $BINS ]]; then
    IFS=',' read -r -a names <<<"$BINS"
    for b in "${names[@]}"; do
        [[ -n $b ]] || continue
        [[ -f $BIN_DIR/$b && -x $BIN_DIR/$b ]] || die "binary $b not found in $BIN_DIR"
        bin_files+=("$BIN_DIR/$b")
    done
elif [[ -d $BIN_DIR ]]; then
    while IFS= read -r f; do
        bin_files+=("$f")
    done < <(find "$BIN_DIR" -maxdepth 1 -type f -perm -u+x ! -name '*.*' | sort)
fi
if [[ ${#bin_files[@]} -eq 0 ]]; then
    note "warning: no project binaries in $BIN_DIR; the guest has busybox only"
else
    note "project binaries: $(for f in "${bin_files[@]}"; do printf '%s ' "${f##*/}"; done)"
fi

# ---------------------------------------------------------------- initramfs
exec 9>"$WORK_DIR/.lock"
flock -n 9 || die "another testbed run is using $WORK_DIR (lock $WORK_DIR/.lock)"
RUN_DIR=$(mktemp -d "$WORK_DIR/run.XXXXXX")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ $KEEP == 1 ]]; then
        echo "qemu_vfio_testbed: kept $RUN_DIR" >&2
    else
        rm -rf "$RUN_DIR"
    fi
}
trap cleanup EXIT
STAGE="$RUN_DIR/root"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,tmp,root,etc,testbed/modules}

cp "$BUSYBOX" "$STAGE/bin/busybox"
while IFS= read -r applet; do
    [[ -n $applet && $applet != bin/busybox ]] || continue
    [[ -e $STAGE/$applet || -L $STAGE/$applet ]] && continue
    mkdir -p "$STAGE/$(dirname "$applet")"
    ln -s /bin/busybox "$STAGE/$applet"
done < <("$BUSYBOX" --list-full)
mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null || true # the kernel's default initramfs has it too

# Modules, in load order; compressed ones are decompressed here (busybox insmod wants plain .ko).
: >"$STAGE/testbed/modules.list"
found_modules=()
idx=0
for m in irqbypass vfio vfio_virqfd vfio_iommu_type1 vfio-pci-core vfio-pci; do
    idx=$((idx + 1))
    alt1=${m//-/_}
    alt2=${m//_/-}
    src=$(find "$MODULES_DIR/kernel" \( -name "$m.ko" -o -name "$m.ko.*" -o -name "$alt1.ko" -o -name "$alt1.ko.*" \
        -o -name "$alt2.ko" -o -name "$alt2.ko.*" \) 2>/dev/null | head -n 1)
    if [[ -z $src ]]; then
        if [[ -r $MODULES_DIR/modules.builtin ]] &&
            grep -qE "/($m|$alt1|$alt2)\.ko$" "$MODULES_DIR/modules.builtin"; then
            echo "$m builtin" >>"$STAGE/testbed/modules.list"
            found_modules+=("$m(built-in)")
        else
            echo "$m absent" >>"$STAGE/testbed/modules.list"
            found_modules+=("$m(absent)")
        fi
        continue
    fi
    dst=$(printf '%02d-%s.ko' "$idx" "$m")
    case $src in
    *.ko) cp "$src" "$STAGE/testbed/modules/$dst" ;;
    *.ko.xz) xz -dc "$src" >"$STAGE/testbed/modules/$dst" ;;
    *.ko.gz) gzip -dc "$src" >"$STAGE/testbed/modules/$dst" ;;
    *.ko.zst)
        command -v zstd >/dev/null || apt_install zstd
        zstd -q -dc "$src" >"$STAGE/testbed/modules/$dst"
        ;;
    *) die "unknown module file type: $src" ;;
    esac
    echo "$m module $dst" >>"$STAGE/testbed/modules.list"
    found_modules+=("$m")
done
note "vfio modules: ${found_modules[*]}"

# Project binaries and the shared libraries they need (plus the dynamic loader).
declare -A libs=()
for f in "${bin_files[@]}"; do
    dst="$STAGE/usr/local/bin/${f##*/}"
    if command -v strip >/dev/null; then
        strip --strip-debug -o "$dst" "$f" 2>/dev/null || cp "$f" "$dst"
    else
        cp "$f" "$dst"
    fi
    chmod 755 "$dst"
    if ldd_out=$(ldd "$f" 2>/dev/null); then
        while read -r lib; do
            [[ -n $lib ]] && libs[$lib]=1
        done < <(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' <<<"$ldd_out")
    fi
done
for lib in "${!libs[@]}"; do
    mkdir -p "$STAGE$(dirname "$lib")"
    cp -L "$lib" "$STAGE$lib"
done

# Small generated bitstreams for the flasher cases (/testbed/data/<part>.bit).
BITSTREAM_WRITER=$BIN_DIR/examples/write_test_bitstream
if [[ -x $BITSTREAM_WRITER ]]; then
    mkdir -p "$STAGE/testbed/data"
    for part in 7a200t 7k160t; do
        "$BITSTREAM_WRITER" "$part" "$STAGE/testbed/data/$part.bit" || die "write_test_bitstream $part failed"
    done
else
    note "warning: $BITSTREAM_WRITER not built: no /testbed/data bitstreams in the guest"
fi
cp "$TESTBED_DIR/init.sh" "$STAGE/init"
chmod 755 "$STAGE/init"
cp "$TESTS_FILE" "$STAGE/testbed/guest_tests.txt"
# The boards' names as the guest's TESTBED_BOARD_<NAME> variables (upper case, [A-Z0-9_]).
board_vars=()
for b in "${BOARD_LIST[@]}"; do
    v=${b%%@*}
    v=${v^^}
    board_vars+=("${v//[^A-Z0-9]/_}")
done
bind_ids="1234:11e8"
[[ ${#BOARD_LIST[@]} -eq 0 ]] || bind_ids="$bind_ids 10ee:*"
cat >"$STAGE/testbed/config" <<EOF
BIND_IDS="$bind_ids"
EXPECT_DEVICES=$((3 + ${#BOARD_LIST[@]}))
CASE_TIMEOUT=$CASE_TIMEOUT
BOARD_LIST="${BOARD_LIST[*]}"
BOARD_VARS="${board_vars[*]}"
EOF

INITRD="$RUN_DIR/initramfs.gz"
(cd "$STAGE" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 >"$INITRD") ||
    die "packing the initramfs failed"
note "initramfs $(du -h "$INITRD" | cut -f1) ($(elapsed) so far)"

# ---------------------------------------------------------------- board servers
# QEMU runs in the trixie root: its inputs and the servers' sockets live under <root>/run/.
CHROOT_RUN=$(mktemp -d "$QEMU_ROOT/run/testbed.XXXXXX")
CHROOT_RUN_IN=${CHROOT_RUN#"$QEMU_ROOT"}
SERVER_PIDS=()
# shellcheck disable=SC2317 # called by the EXIT trap
stop_servers() {
    local p
    for p in "${SERVER_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${SERVER_PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    SERVER_PIDS=()
    rm -rf "$CHROOT_RUN"
}
trap 'stop_servers; cleanup' EXIT
cp "$KERNEL" "$CHROOT_RUN/vmlinuz"
mv "$INITRD" "$CHROOT_RUN/initramfs.gz"
SERVER_BIN=$BIN_DIR/vfio_user_sim_board
STATE_DIR="$RUN_DIR/board_state" # fresh flash and block RAM contents every run
mkdir -p "$STATE_DIR"
board_args=()
if [[ ${#BOARD_LIST[@]} -gt 0 ]]; then
    [[ -x $SERVER_BIN ]] || die "board server $SERVER_BIN not found (build the workspace, or --boards none)"
    for i in "${!BOARD_LIST[@]}"; do
        sock="$CHROOT_RUN/board$i.sock"
        "$SERVER_BIN" --socket "$sock" --state-dir "$STATE_DIR" --log "${BOARD_LIST[$i]}" \
            >"$WORK_DIR/board_server_$i.log" 2>&1 &
        SERVER_PIDS+=($!)
        # Root ports at 00:10.0 upwards; the firmware numbers their buses 1, 2, ... in that order.
        # Gen2 x4 ports, as the boards' slots: a faster port makes the guest kernel wait for a
        # link-active report QEMU never gives, and every board reset fails (README, testbed).
        board_args+=(-device "pcie-root-port,id=rp$i,bus=pcie.0,chassis=$((i + 1)),hotplug=off,x-speed=5,x-width=4,addr=$(printf '0x%x' $((0x10 + i))).0"
            -device "{\"driver\":\"vfio-user-pci\",\"bus\":\"rp$i\",\"socket\":{\"type\":\"unix\",\"path\":\"$CHROOT_RUN_IN/board$i.sock\"}}")
    done
    # Each server has bound its socket (or died) before QEMU connects.
    for i in "${!BOARD_LIST[@]}"; do
        n=0
        until [[ -S $CHROOT_RUN/board$i.sock ]]; do
            kill -0 "${SERVER_PIDS[$i]}" 2>/dev/null ||
                die "board server ${BOARD_LIST[$i]} exited before listening: $(tail -n 3 "$WORK_DIR/board_server_$i.log")"
            n=$((n + 1))
            [[ $n -lt 300 ]] || die "board server ${BOARD_LIST[$i]} did not create its socket within 30s"
            sleep 0.1
        done
    done
    note "board servers: ${BOARD_LIST[*]} (logs: $WORK_DIR/board_server_<n>.log)"
fi

# ---------------------------------------------------------------- boot
LOG="$WORK_DIR/serial.log"
# Guest RAM is a shared memfd, so that QEMU can pass it to the board servers with each DMA map.
# shellcheck disable=SC2054 # the commas are QEMU's
qemu_cmd=(chroot "$QEMU_ROOT" qemu-system-x86_64
    -object memory-backend-memfd,id=ram,size=1G,share=on
    -machine q35,accel=tcg,memory-backend=ram -m 1024 -smp 2 -nographic -no-reboot
    -device intel-iommu,intremap=on,caching-mode=on
    -device edu -device edu -device edu
    "${board_args[@]}"
    -kernel "$CHROOT_RUN_IN/vmlinuz" -initrd "$CHROOT_RUN_IN/initramfs.gz"
    -append "console=ttyS0 intel_iommu=on panic=-1 loglevel=4")
note "booting the guest (TCG, timeout ${TIMEOUT}s)"
t0=$SECONDS
set +e
if [[ $VERBOSE == 1 ]]; then
    timeout -k 10 "$TIMEOUT" "${qemu_cmd[@]}" </dev/null 2>&1 | tee "$LOG" |
        sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g'
    qemu_rc=${PIPESTATUS[0]}
else
    timeout -k 10 "$TIMEOUT" "${qemu_cmd[@]}" </dev/null >"$LOG" 2>&1
    qemu_rc=$?
fi
set -e
boot_secs=$((SECONDS - t0))
# The servers end when QEMU disconnects; a non-zero exit is a failure of the run.
server_failures=()
for i in "${!SERVER_PIDS[@]}"; do
    rc=0
    wait "${SERVER_PIDS[$i]}" || rc=$?
    [[ $rc == 0 ]] || server_failures+=("${BOARD_LIST[$i]} (exit $rc): $(tail -n 1 "$WORK_DIR/board_server_$i.log")")
done
SERVER_PIDS=()

# ---------------------------------------------------------------- results
# Drop the carriage returns and the firmware's terminal control sequences.
sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' <"$LOG" >"$LOG.txt"
mv "$LOG.txt" "$LOG"
passed=0
failed=0
done_seen=0
in_guest=0
while IFS= read -r line; do
    if [[ $in_guest == 0 && $line == *"TESTBED START"* ]]; then
        in_guest=1
        line="TESTBED START${line##*TESTBED START}" # drop the firmware's terminal escapes
    fi
    if [[ $line =~ ^TESTBED\ RESULT\ PASS\  ]]; then
        passed=$((passed + 1))
    elif [[ $line =~ ^TESTBED\ RESULT\ FAIL\  ]]; then
        failed=$((failed + 1))
    elif [[ $line == "TESTBED DONE" ]]; then
        done_seen=1
    fi
    if [[ $VERBOSE == 0 && $in_guest == 1 ]]; then
        if [[ $QUIET == 0 || $line == "TESTBED RESULT "* ]]; then
            echo "$line"
        fi
    fi
    [[ $done_seen == 0 ]] || break
done <"$LOG"

status=0
if [[ $done_seen == 0 ]]; then
    status=1
    if [[ $qemu_rc == 124 || $qemu_rc == 137 ]]; then
        echo "qemu_vfio_testbed: ERROR: the guest did not finish within ${TIMEOUT}s (no 'TESTBED DONE')" >&2
    else
        echo "qemu_vfio_testbed: ERROR: the guest stopped without 'TESTBED DONE' (qemu exit $qemu_rc)" >&2
    fi
    if [[ $VERBOSE == 0 ]]; then
        echo "---- last 60 lines of the serial console ($LOG) ----" >&2
        tail -n 60 "$LOG" >&2
        echo "----" >&2
    fi
    echo "TESTBED RESULT FAIL guest run finished (no TESTBED DONE)"
    failed=$((failed + 1))
fi
for f in "${server_failures[@]}"; do
    echo "TESTBED RESULT FAIL board server $f"
    failed=$((failed + 1))
done
if [[ $((passed + failed)) == 0 ]]; then
    echo "qemu_vfio_testbed: ERROR: no test case ran" >&2
    echo "TESTBED RESULT FAIL test list ran (no case in $TESTS_FILE)"
    failed=1
fi
[[ $failed == 0 ]] || status=1
note "guest run took ${boot_secs}s (qemu exit $qemu_rc), whole run $(elapsed); serial log: $LOG"
echo "$passed passed, $failed failed"
exit "$status"
