#!/usr/bin/env bash
# Runs every command the README shows (lines `    $ <command>`), so the README cannot rot.
#
# Usage: scripts/check_readme_commands.sh [--bin-dir DIR]
#   --bin-dir DIR   where the built tools are (default: <target>/debug, after cargo test)
#
# Not run here, and why: `scripts/test.sh` (this is one of its steps), `scripts/run_suite.sh`
# and `scripts/collect_coverage.sh ...` (test.sh runs the main job and the coverage
# self-check itself), and `sudo ...` lines (root on a machine with a board: their
# `--dry-run` twins run here, against a fake sysfs tree with one Xilinx board).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bin_dir=${CARGO_TARGET_DIR:-$repo/target}/debug
while [ $# -gt 0 ]; do
    case "$1" in
        --bin-dir) bin_dir=${2:?--bin-dir needs a directory}; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ ! -x "$bin_dir/test_primary" ]; then
    echo "no built tools in $bin_dir: run cargo test --workspace (or pass --bin-dir)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A fake sysfs with one Xilinx board already bound to vfio-pci, for the binding dry run.
dev="$tmp/sys/devices/pci0000:00/0000:15:00.0"
mkdir -p "$dev" "$tmp/sys/kernel/iommu_groups/41" "$tmp/sys/bus/pci/drivers/vfio-pci" \
    "$tmp/sys/bus/pci/devices" "$tmp/sys/class/iommu/dmar0"
printf '0x10ee\n' > "$dev/vendor"
printf '0x7024\n' > "$dev/device"
ln -s "$tmp/sys/kernel/iommu_groups/41" "$dev/iommu_group"
ln -s "$tmp/sys/bus/pci/drivers/vfio-pci" "$dev/driver"
ln -s "$dev" "$tmp/sys/bus/pci/devices/0000:15:00.0"
export FPGA_SIO_SYSFS="$tmp/sys" FPGA_SIO_DEV="$tmp/dev" FPGA_SIO_SIM_DIR="$tmp/sim"
export PATH="$bin_dir:$PATH"

pass=0
fail=0
skip=0
while IFS= read -r line; do
    cmd=${line#    \$ }
    case "$cmd" in
        scripts/test.sh*|scripts/run_suite.sh*|scripts/collect_coverage.sh*|sudo\ *)
            skip=$((skip + 1)); continue ;;
    esac
    if bash -c "$cmd" > "$tmp/out" 2>&1 < /dev/null; then
        pass=$((pass + 1))
        echo "ok: $cmd"
    else
        fail=$((fail + 1))
        echo "FAIL: $cmd"
        sed 's/^/    /' "$tmp/out" | tail -n 20
    fi
done < <(grep -E '^    \$ ' README.md)
echo "README commands: $skip left to other steps"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
