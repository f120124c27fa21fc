#!/usr/bin/env bash
# Dry-run tests of the binding and capability scripts against a fake sysfs tree.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
scripts=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

check() { # name expected actual
    if [ "$2" == "$3" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $1"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") || true
    fi
}

sys="$tmp/sys"
fake_device() { # bdf vendor device group driver
    local d="$sys/devices/pci0000:00/$1"
    mkdir -p "$d"
    echo "0x$2" > "$d/vendor"
    echo "0x$3" > "$d/device"
    echo 0x0002 > "$d/subsystem_vendor"
    echo 0x0007 > "$d/subsystem_device"
    : > "$d/driver_override"
    if [ -n "$4" ]; then
        mkdir -p "$sys/kernel/iommu_groups/$4"
        ln -s "$sys/kernel/iommu_groups/$4" "$d/iommu_group"
    fi
    if [ -n "$5" ]; then
        mkdir -p "$sys/bus/pci/drivers/$5"
        ln -s "$sys/bus/pci/drivers/$5" "$d/driver"
    fi
    mkdir -p "$sys/bus/pci/devices"
    ln -s "$d" "$sys/bus/pci/devices/$1"
}
fake_device 0000:15:00.0 10ee 7024 41 xdma
fake_device 0000:2e:00.0 10ee 7011 86 vfio-pci
fake_device 0000:30:00.0 10ee 7024 "" ""
fake_device 0000:00:01.0 1af4 1045 "" virtio-pci
mkdir -p "$sys/class/iommu/dmar0" "$sys/bus/pci/drivers/vfio-pci"

export FPGA_SIO_SYSFS="$sys" FPGA_SIO_DEV="$tmp/dev"
out=$(SUDO_USER=alice "$scripts/bind_device_to_vfio.sh" --dry-run 10ee 2>&1) && rc=0 || rc=$?
check "bind exit status (one device refused)" 1 "$rc"
check "bind dry-run output" "IOMMU devices present: dmar0
Unbinding 0000:15:00.0 10ee:7024 [0002:0007] from driver xdma
  would write '0000:15:00.0' to $sys/bus/pci/devices/0000:15:00.0/driver/unbind
  would write 'vfio-pci' to $sys/bus/pci/devices/0000:15:00.0/driver_override
  would write '0000:15:00.0' to $sys/bus/pci/drivers_probe
Bound vfio-pci driver to 0000:15:00.0 10ee:7024 [0002:0007]
Giving user alice access to IOMMU group 41 for 0000:15:00.0 10ee:7024 [0002:0007]
  would run: chown alice $tmp/dev/vfio/41
0000:2e:00.0 10ee:7011 [0002:0007] is already bound to vfio-pci
Giving user alice access to IOMMU group 86 for 0000:2e:00.0 10ee:7011 [0002:0007]
  would run: chown alice $tmp/dev/vfio/86
Refusing 0000:30:00.0 10ee:7024 [0002:0007]: it has no IOMMU group, so the IOMMU is off.
  Enable VT-d / AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or
  amd_iommu=on (AMD), optionally iommu=pt; then /sys/kernel/iommu_groups fills in." "$out"
check "dry run writes nothing" "" "$(cat "$sys/devices/pci0000:00/0000:15:00.0/driver_override")"

out=$(env -u SUDO_USER "$scripts/bind_device_to_vfio.sh" --dry-run 10ee 7011 2>&1) && rc=0 || rc=$?
check "bind by device id" 0 "$rc"
check "bind by device id output" "IOMMU devices present: dmar0
0000:2e:00.0 10ee:7011 [0002:0007] is already bound to vfio-pci
Giving all users access to IOMMU group 86 for 0000:2e:00.0 10ee:7011 [0002:0007]
  would run: chmod o+rw $tmp/dev/vfio/86" "$out"

out=$("$scripts/bind_device_to_vfio.sh" --dry-run 1234 2>&1) && rc=0 || rc=$?
check "no such vendor" "1 No PCI device with vendor 1234" "$rc $(echo "$out" | tail -n 1)"
out=$("$scripts/bind_device_to_vfio.sh" 10EE 2>&1) && rc=0 || rc=$?
check "bad vendor id" "2 Error: vendor_id must be 4 hex lower case digits" "$rc $out"
out=$("$scripts/bind_device_to_vfio.sh" 10ee 70 2>&1) && rc=0 || rc=$?
check "bad device id" "2 Error: device_id must be 4 hex lower case digits" "$rc $out"
out=$("$scripts/bind_xilinx_devices_to_vfio.sh" --dry-run 2>&1 | grep -c 'would write') || true
check "xilinx wrapper binds vendor 10ee" 3 "$out"
if "$scripts/bind_device_to_vfio.sh" --help | grep -q "Usage: bind_device_to_vfio.sh"; then ok; else bad "bind --help"; fi

# Capabilities: a fake target dir with one VFIO tool and one file-only tool.
mkdir -p "$tmp/target/release"
for t in display_vfio_information parse_bitstream_file; do
    printf '#!/bin/sh\n' > "$tmp/target/release/$t"
    chmod +x "$tmp/target/release/$t"
done
out=$("$scripts/set_exe_vfio_capabilities.sh" --dry-run --target-dir "$tmp/target" 2>&1)
check "capabilities with IOMMU" "Setting cap_ipc_lock=ep on $tmp/target/release/display_vfio_information
  would run: setcap cap_ipc_lock=ep $tmp/target/release/display_vfio_information
Removing all capabilities from $tmp/target/release/parse_bitstream_file
  would run: setcap -r $tmp/target/release/parse_bitstream_file" "$out"
rm -r "$sys/class/iommu/dmar0"
out=$("$scripts/set_exe_vfio_capabilities.sh" --dry-run --target-dir "$tmp/target" 2>&1)
if echo "$out" | grep -q "Setting cap_ipc_lock,cap_sys_admin,cap_sys_rawio=ep on $tmp/target/release/display_vfio_information"; then
    ok
else
    bad "noiommu capabilities: $out"
fi
out=$("$scripts/set_exe_vfio_capabilities.sh" --dry-run --target-dir "$tmp/empty" 2>&1) && rc=0 || rc=$?
check "no built tools" 1 "$rc"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
