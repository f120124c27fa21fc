#!/usr/bin/env bash
# Binds every Xilinx (vendor 10ee) PCI function to vfio-pci.
#
# Usage: bind_xilinx_devices_to_vfio.sh [--dry-run]
set -euo pipefail
case "${1:-}" in
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
exec "$(dirname "$0")/bind_device_to_vfio.sh" "$@" 10ee
