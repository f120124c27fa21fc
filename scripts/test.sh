#!/usr/bin/env bash
# Runs every check of the project on a fresh machine: installs what is missing, then
# formatting, clippy (-D warnings), all tests, the shell-script checks, the main job
# (scripts/run_suite.sh), the QEMU VFIO testbed and the coverage self-check.
#
# Usage: scripts/test.sh [--no-qemu] [--no-coverage]
#   --no-qemu       skip the QEMU guest (real kernel VFIO path); CI never skips it.
#   --no-coverage   skip the coverage self-check; CI never skips it.
set -euo pipefail

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

run_qemu=1
run_coverage=1
for arg in "$@"; do
    case "$arg" in
        --no-qemu) run_qemu=0 ;;
        --no-coverage) run_coverage=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# Each step line shows the seconds since the start, so a CI log tells where the time goes
# (the whole run must stay under 30 minutes on a 2-core machine).
step() { printf '\n=== %s (at %d s)\n' "$*" "$SECONDS"; }

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

step "Test tools (lspci from pciutils: dump_pci_info is compared with it; xmllint for JUnit)"
if ! command -v lspci >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && apt-get install -y -qq pciutils >/dev/null
fi
lspci --version
# xmllint validates test_primary's JUnit reports (nite_or_lite_fury_tests/tests/junit_report.rs).
if ! command -v xmllint >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && apt-get install -y -qq libxml2-utils >/dev/null
fi

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

step "README commands"
scripts/check_readme_commands.sh

step "Main job (scripts/run_suite.sh: the reference multi-run, with the CI results of README \"Running the suite from CI\")"
suite_results=${CARGO_TARGET_DIR:-target}/suite_results
rm -rf "$suite_results"
scripts/run_suite.sh --results "$suite_results"
xmllint --noout --schema nite_or_lite_fury_tests/tests/data/junit.xsd "$suite_results/junit.xml"
grep -q '"schema_version": 1' "$suite_results/designs.json"

if [ "$run_qemu" = 1 ]; then
    step "QEMU VFIO testbed (real kernel VFIO path)"
    bash scripts/qemu_vfio_testbed.sh
fi

if [ "$run_coverage" = 1 ]; then
    step "Coverage self-check (profiles of test_primary secondaries are merged)"
    scripts/collect_coverage.sh self-check
fi

step "All checks passed"
