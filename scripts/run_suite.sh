#!/usr/bin/env bash
# The main job: builds the tools (release) and runs the suite under test_primary, sharing
# one VFIO container between all the tools. With no Xilinx board bound to vfio-pci, it runs
# against the default simulated boards (--sim).
#
# Usage: scripts/run_suite.sh [--sim | --hardware] [--duration SECONDS] [--results DIR]
#   --results DIR   also write DIR/designs.json (display_identified_pcie_fpga_designs --json),
#                   DIR/junit.xml (test_primary --junit) and DIR/parallel_streams_<n>.json
#                   (the DMA tests' --json-summary), for a CI job to collect
set -euo pipefail

mode=auto
duration=5
results=
while [ $# -gt 0 ]; do
    case "$1" in
        --sim) mode=sim ;;
        --hardware) mode=hardware ;;
        --duration) duration=${2:?--duration needs a value}; shift ;;
        --results) results=${2:?--results needs a directory}; shift ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# Relative to where the script was started, not to the repository.
case "$results" in ''|/*) ;; *) results=$PWD/$results ;; esac
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# A Xilinx function bound to vfio-pci whose group node exists means a usable board.
board_present() {
    local dev group
    for dev in /sys/bus/pci/devices/*; do
        [ "$(cat "$dev/vendor" 2>/dev/null)" = 0x10ee ] || continue
        [ "$(basename "$(readlink "$dev/driver" 2>/dev/null)")" = vfio-pci ] || continue
        group=$(basename "$(readlink "$dev/iommu_group" 2>/dev/null)")
        [ -n "$group" ] && [ -e "/dev/vfio/$group" ] && return 0
    done
    return 1
}

if [ "$mode" = auto ]; then
    if board_present; then mode=hardware; else mode=sim; fi
fi
if [ "$mode" = sim ]; then
    echo "No Xilinx board bound to vfio-pci: running against the default simulated boards"
fi

cargo build --release --workspace --bins --quiet
bin=${CARGO_TARGET_DIR:-$repo/target}/release

sim=()
[ "$mode" = sim ] && sim=(--sim)
junit=()
summary1=()
summary2=()
if [ -n "$results" ]; then
    mkdir -p "$results"
    # The inventory first, so that it is there even when the run fails.
    "$bin/display_identified_pcie_fpga_designs" "${sim[@]}" --json > "$results/designs.json"
    junit=(--junit "$results/junit.xml")
    summary1=(--json-summary "$results/parallel_streams_1.json")
    summary2=(--json-summary "$results/parallel_streams_2.json")
fi

if [ "$mode" = sim ]; then
    # The reference multi-run: six tools on the default simulated boards, two of them
    # streaming DMA on both loopback boards at once.
    exec "$bin/test_primary" --sim "${junit[@]}" \
        display_identified_pcie_fpga_designs -- \
        display_xadc_values -- \
        quad_spi_flasher -- \
        i2c_dump_info -- \
        test_dma_bridge_parallel_streams --stream_device 0000:15:00.0,0 --stream_device 0000:30:00.0,0 \
            --duration "$duration" --stream_mapping_size 0x1000000 "${summary1[@]}" -- \
        test_dma_bridge_parallel_streams --stream_device 0000:15:00.0,1 --stream_device 0000:30:00.0,1 \
            --duration "$duration" --stream_mapping_size 0x1000000 "${summary2[@]}"
fi
# On hardware: the same tools; the DMA test streams on every channel of every loopback board.
exec "$bin/test_primary" "${junit[@]}" \
    display_identified_pcie_fpga_designs -- \
    display_xadc_values -- \
    quad_spi_flasher -- \
    i2c_dump_info -- \
    test_dma_bridge_parallel_streams --duration "$duration" --stream_mapping_size 0x1000000 "${summary1[@]}"
