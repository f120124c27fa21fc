#!/usr/bin/env bash
# Binds every PCI function of a vendor (and optionally device) id to vfio-pci, so that the
# fpga_sio tools can open it, and gives the invoking user access to its IOMMU group.
#
# Usage: bind_device_to_vfio.sh [--dry-run] <vendor_id> [<device_id>]
#   ids are 4 lower-case hex digits, e.g. 10ee 7024
#   --dry-run   print the sysfs writes and commands instead of doing them
#
# For each matching function: unbind it from its current driver, set driver_override to
# vfio-pci and probe it, wait for /dev/vfio/<group>, and hand that node to the invoking user
# ($SUDO_USER when run with sudo). A function without an IOMMU group is refused: VFIO needs
# the IOMMU on (intel_iommu=on or amd_iommu=on on the kernel command line).
# FPGA_SIO_SYSFS and FPGA_SIO_DEV override /sys and /dev (used by the tests).
set -euo pipefail

sys=${FPGA_SIO_SYSFS:-/sys}
dev=${FPGA_SIO_DEV:-/dev}
dry_run=0

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "Error: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) args+=("$1") ;;
    esac
    shift
done
if [ ${#args[@]} -lt 1 ] || [ ${#args[@]} -gt 2 ]; then
    echo "Usage: $(basename "$0") [--dry-run] vendor_id [device_id]" >&2
    exit 2
fi
vendor=${args[0]}
device=${args[1]:-}
if ! [[ $vendor =~ ^[0-9a-f]{4}$ ]]; then
    echo "Error: vendor_id must be 4 hex lower case digits" >&2
    exit 2
fi
if [ -n "$device" ] && ! [[ $device =~ ^[0-9a-f]{4}$ ]]; then
    echo "Error: device_id must be 4 hex lower case digits" >&2
    exit 2
fi

# Writes a value to a sysfs file, or says it would.
write() {
    if [ "$dry_run" = 1 ]; then
        echo "  would write '$1' to $2"
    else
        echo "$1" > "$2"
    fi
}

run() {
    if [ "$dry_run" = 1 ]; then
        echo "  would run: $*"
    else
        "$@"
    fi
}

iommus=""
for i in "$sys"/class/iommu/*; do
    [ -e "$i" ] && iommus="$iommus ${i##*/}"
done
if [ -n "$iommus" ]; then
    echo "IOMMU devices present:$iommus"
else
    echo "No IOMMUs present"
fi

if [ ! -d "$sys/bus/pci/drivers/vfio-pci" ]; then
    echo "Loading vfio-pci module"
    run modprobe vfio-pci
fi

owner=${SUDO_USER:-}
found=0
failed=0
for path in "$sys"/bus/pci/devices/*; do
    [ -e "$path/vendor" ] || continue
    [ "$(cat "$path/vendor")" = "0x$vendor" ] || continue
    did=$(cat "$path/device")
    if [ -n "$device" ] && [ "$did" != "0x$device" ]; then
        continue
    fi
    found=$((found + 1))
    bdf=$(basename "$path")
    svid=$(cat "$path/subsystem_vendor" 2>/dev/null || echo 0x????)
    sdid=$(cat "$path/subsystem_device" 2>/dev/null || echo 0x????)
    ident="$bdf $vendor:${did#0x} [${svid#0x}:${sdid#0x}]"
    if [ ! -e "$path/iommu_group" ]; then
        echo "Refusing $ident: it has no IOMMU group, so the IOMMU is off."
        echo "  Enable VT-d / AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or"
        echo "  amd_iommu=on (AMD), optionally iommu=pt; then /sys/kernel/iommu_groups fills in."
        failed=$((failed + 1))
        continue
    fi
    group=$(basename "$(readlink "$path/iommu_group")")
    current=""
    if [ -e "$path/driver" ]; then
        current=$(basename "$(readlink "$path/driver")")
    fi
    if [ "$current" = vfio-pci ]; then
        echo "$ident is already bound to vfio-pci"
    else
        if [ -n "$current" ]; then
            echo "Unbinding $ident from driver $current"
            write "$bdf" "$path/driver/unbind"
        fi
        write vfio-pci "$path/driver_override"
        write "$bdf" "$sys/bus/pci/drivers_probe"
        echo "Bound vfio-pci driver to $ident"
    fi
    node="$dev/vfio/$group"
    if [ "$dry_run" = 0 ]; then
        echo "Waiting for $node to be created"
        tries=0
        while [ ! -e "$node" ]; do
            tries=$((tries + 1))
            if [ $tries -gt 10 ]; then
                echo "Failed to bind vfio-pci driver to $ident: $node did not appear"
                failed=$((failed + 1))
                continue 2
            fi
            sleep 1
        done
    fi
    if [ -n "$owner" ]; then
        echo "Giving user $owner access to IOMMU group $group for $ident"
        run chown "$owner" "$node"
    else
        echo "Giving all users access to IOMMU group $group for $ident"
        run chmod o+rw "$node"
    fi
done

if [ "$found" = 0 ]; then
    echo "No PCI device with vendor $vendor${device:+ and device $device}"
    exit 1
fi
[ "$failed" = 0 ]
