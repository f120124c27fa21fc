#!/usr/bin/env bash
# Checks the project's shell scripts: shellcheck (installed from apt when missing) and the
# dry-run tests against fake sysfs trees.
#
# Usage: scripts/check_scripts.sh
set -euo pipefail
case "${1:-}" in
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "Installing shellcheck"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq shellcheck >/dev/null
fi
mapfile -t files < <(find scripts -name '*.sh' | sort)
shellcheck "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
for t in scripts/tests/test_*.sh; do
    echo "--- $t"
    "$t"
done
