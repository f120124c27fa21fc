#!/usr/bin/env bash
# Gives the built fpga_sio tools the file capabilities they need to run as a normal user.
#
# Usage: set_exe_vfio_capabilities.sh [--dry-run] [--target-dir DIR]
#   --dry-run         print the setcap commands instead of running them
#   --target-dir DIR  cargo target directory (default: $CARGO_TARGET_DIR or <repo>/target)
#
# Why each capability:
#   cap_ipc_lock  VFIO pins every DMA buffer and charges it to RLIMIT_MEMLOCK; tools that
#                 map large buffers (DMA tests, test_primary) need the lock limit lifted.
#                 Alternative without capabilities: raise the limit for your user, e.g.
#                 `@vfio - memlock unlimited` in /etc/security/limits.conf, or `ulimit -l`.
#   cap_sys_rawio only without an IOMMU (vfio noiommu mode): opening /dev/vfio/noiommu-<n>
#                 requires it.
#   cap_sys_admin only without an IOMMU: DMA buffers are given to the device at their
#                 physical addresses, which /proc/self/pagemap shows only with it.
# Tools that only read files or sysfs get no capabilities. Group-file permission
# (scripts/bind_device_to_vfio.sh) is what lets a user open VFIO devices at all.
# Capabilities are lost whenever cargo rebuilds a binary: run this again after a build.
# FPGA_SIO_SYSFS overrides /sys (used by the tests).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
sys=${FPGA_SIO_SYSFS:-/sys}
target=${CARGO_TARGET_DIR:-$repo/target}
dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=1 ;;
        --target-dir) target=${2:?--target-dir needs a directory}; shift ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# Tools that never open VFIO devices.
no_vfio=" parse_bitstream_file xilinx_bit_to_bin decode_spd dump_pci_info "

iommu=0
for i in "$sys"/class/iommu/*; do
    [ -e "$i" ] && iommu=1
done
if [ "$iommu" = 1 ]; then
    vfio_caps="cap_ipc_lock=ep"
else
    echo "No IOMMU present: tools also get cap_sys_rawio for vfio noiommu groups and cap_sys_admin for physical addresses"
    vfio_caps="cap_ipc_lock,cap_sys_admin,cap_sys_rawio=ep"
fi

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then
    sudo_cmd=(sudo)
fi

run() {
    if [ "$dry_run" = 1 ]; then
        echo "  would run: $*"
    else
        "${sudo_cmd[@]}" "$@"
    fi
}

count=0
for src in "$repo"/*/src/bin/*.rs; do
    name=$(basename "$src" .rs)
    for flavour in debug release; do
        exe="$target/$flavour/$name"
        [ -x "$exe" ] || continue
        count=$((count + 1))
        if [[ $no_vfio == *" $name "* ]]; then
            if [ "$dry_run" = 1 ] || [ -n "$(getcap "$exe" 2>/dev/null)" ]; then
                echo "Removing all capabilities from $exe"
                run setcap -r "$exe"
            fi
        elif [ "$dry_run" = 1 ] || ! setcap -q -v "$vfio_caps" "$exe" >/dev/null 2>&1; then
            echo "Setting $vfio_caps on $exe"
            run setcap "$vfio_caps" "$exe"
        fi
    done
done
if [ "$count" = 0 ]; then
    echo "No built tools found in $target/{debug,release}: build first (cargo build --release)" >&2
    exit 1
fi
