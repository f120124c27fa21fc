#!/usr/bin/env bash
# Runs every check of the project on a fresh machine: installs what is missing, then
# formatting, clippy (-D warnings), all tests, and the QEMU VFIO testbed.
#
# Usage: scripts/test.sh [--no-qemu]
#   --no-qemu   skip the QEMU guest (real kernel VFIO path); CI never skips it.
set -euo pipefail

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
}

run_qemu=1
for arg in "$@"; do
    case "$arg" in
        --no-qemu) run_qemu=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

step() { printf '\n=== %s\n' "$*"; }

step "Toolchain"
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed: install Rust with rustup first" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done
cargo --version

step "Formatting (cargo fmt --check)"
cargo fmt --all -- --check

step "Lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Tests (unit, golden, tool runs against simulated boards)"
cargo test --workspace --locked

if [ -x scripts/check_scripts.sh ]; then
    step "Shell scripts (shellcheck, dry-run tests)"
    scripts/check_scripts.sh
fi

if [ "$run_qemu" = 1 ]; then
    step "QEMU VFIO testbed (real kernel VFIO path)"
    bash scripts/qemu_vfio_testbed.sh
fi

step "All checks passed"
