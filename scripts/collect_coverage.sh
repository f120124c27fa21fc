#!/usr/bin/env bash
# Line coverage of the fpga_sio tools with cargo-llvm-cov, including every secondary that
# test_primary starts: each process writes its own profile (LLVM_PROFILE_FILE with %p), and
# the report merges them all into lcov.info plus an HTML report.
#
# Usage:
#   scripts/collect_coverage.sh start             clean old profiles, build instrumented tools
#   scripts/collect_coverage.sh exec CMD [ARGS]   run a command (e.g. test_primary --sim a -- b)
#                                                 with the instrumented tools first on PATH
#   scripts/collect_coverage.sh report            merge all profiles into coverage/lcov.info and
#                                                 coverage/html, print per-crate line coverage,
#                                                 then delete the raw profiles
#   scripts/collect_coverage.sh suite             all of the above for the whole test suite (unit
#                                                 tests, --sim tool runs, test_primary --sim with
#                                                 secondaries)
#   scripts/collect_coverage.sh self-check        proves that lines executed only inside
#                                                 test_primary --sim secondaries are counted
#
# Installs cargo-llvm-cov (cargo install, into target/cargo-tools) and the llvm-tools rustup
# component when missing.
# Output: coverage/ (override with COVERAGE_DIR). Instrumented builds live in target/llvm-cov.
# A secondary killed with SIGKILL cannot write its profile: only its own coverage is lost.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=${COVERAGE_DIR:-$repo/coverage}
export CARGO_TARGET_DIR="$repo/target/llvm-cov"
# cargo-llvm-cov is installed under target/ (kept with the build cache), not in ~/.cargo.
tools_root="$repo/target/cargo-tools"
export PATH="$tools_root/bin:$PATH"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

ensure_tools() {
    if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
        echo "Installing the llvm-tools rustup component"
        rustup component add llvm-tools
    fi
    if ! cargo llvm-cov --version >/dev/null 2>&1; then
        echo "Installing cargo-llvm-cov"
        cargo install cargo-llvm-cov --locked --quiet --root "$tools_root"
    fi
}

coverage_env() {
    # Prints `export` lines; the profile pattern has %p so concurrent processes never
    # overwrite each other's profiles.
    cargo llvm-cov show-env --sh
}

# Every step gets the coverage environment in a subshell of its own: evaluating show-env
# in a shell that already has it gives a broken (nested) environment.
with_env() {
    (
        eval "$(coverage_env)"
        "$@"
    )
}

bin_dir() { echo "$CARGO_TARGET_DIR/debug"; }

# Builds the instrumented tools: every binary, or only those named (cargo --bin options).
start() {
    ensure_tools
    with_env cargo llvm-cov clean --workspace
    echo "Building instrumented tools into $(bin_dir)"
    if [ $# -eq 0 ]; then set -- --workspace --bins; fi
    with_env cargo build --quiet "$@"
}

run_exec() {
    local log status
    log=$(mktemp)
    set +e
    with_env env PATH="$(bin_dir):$PATH" "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    if grep -q "killed with signal 9" "$log"; then
        echo "note: a secondary was killed with SIGKILL; its coverage profile is lost (the others are kept)"
    fi
    rm -f "$log"
    return "$status"
}

# Per-crate totals from lcov.info: crate = first path component below the repository.
per_crate() {
    awk -v repo="$repo/" '
        /^SF:/ { f = substr($0, 4); crate = ""; if (index(f, repo) == 1) { split(substr(f, length(repo) + 1), p, "/"); crate = p[1] } }
        /^LF:/ && crate != "" { lf[crate] += substr($0, 4) }
        /^LH:/ && crate != "" { lh[crate] += substr($0, 4) }
        END {
            for (c in lf) { tf += lf[c]; th += lh[c]; printf "%-26s %6d / %6d lines  %5.1f%%\n", c, lh[c], lf[c], lf[c] ? 100 * lh[c] / lf[c] : 0 }
            printf "%-26s %6d / %6d lines  %5.1f%%\n", "TOTAL", th, tf, tf ? 100 * th / tf : 0
        }' "$1" | sort
}

report() {
    mkdir -p "$out"
    with_env cargo llvm-cov report --lcov --output-path "$out/lcov.info"
    with_env cargo llvm-cov report --html --output-dir "$out" >/dev/null
    if command -v genhtml >/dev/null 2>&1; then
        genhtml --quiet --output-directory "$out/genhtml" "$out/lcov.info" > "$out/report.log" 2>&1 || true
    fi
    echo "Line coverage per crate:"
    per_crate "$out/lcov.info"
    echo "lcov: $out/lcov.info  HTML: $out/html/index.html"
    # Raw profiles are cleaned for the next run; the instrumented build is kept.
    find "$CARGO_TARGET_DIR" -maxdepth 1 -name '*.profraw' -delete
}

suite() {
    ensure_tools
    with_env cargo llvm-cov clean --workspace
    # Tests run the tools as processes (CARGO_BIN_EXE_*), including test_primary --sim with
    # secondaries: every one of them writes a profile.
    with_env cargo test --workspace --quiet
    report
}

# Hits of a source file in lcov.info: "<hit> <found>".
hits() {
    awk -v f="$2" '/^SF:/ { on = (substr($0, 4) == f) } on && /^LH:/ { h = substr($0, 4) } on && /^LF:/ { n = substr($0, 4) } END { print h + 0, n + 0 }' "$1"
}

self_check() {
    # Only the three binaries it runs: CI time (scripts/test.sh must stay under 30 minutes).
    start --bin test_primary --bin display_identified_pcie_fpga_designs --bin display_xadc_values
    run_exec test_primary --sim display_identified_pcie_fpga_designs -- display_xadc_values
    report
    local ok=1 f h n
    # test_primary itself never runs these binaries' code: only its secondaries do.
    for f in identify_design/src/bin/display_identified_pcie_fpga_designs.rs xilinx_xadc/src/bin/display_xadc_values.rs; do
        read -r h n < <(hits "$out/lcov.info" "$repo/$f")
        if [ "$h" -gt 0 ]; then
            echo "self-check: $f: $h of $n lines counted, executed only inside test_primary secondaries"
        else
            echo "self-check FAILED: $f has no counted lines (secondary profiles were not merged)"
            ok=0
        fi
    done
    [ "$ok" = 1 ]
}

case "${1:-}" in
    start) start ;;
    exec) shift; [ $# -gt 0 ] || { echo "exec needs a command" >&2; exit 2; }; run_exec "$@" ;;
    report) report ;;
    suite) suite ;;
    self-check) self_check ;;
    -h|--help) usage ;;
    *) usage >&2; exit 2 ;;
esac
