#!/bin/sh
# Guest /init of the QEMU VFIO testbed (run by busybox ash as PID 1 in the initramfs).
#
# Packed by scripts/qemu_vfio_testbed.sh together with:
#   /testbed/config           shell variables written by the host script (sourced below)
#   /testbed/modules.list     "<name> <module|builtin|absent> [<file under /testbed/modules>]", load order
#   /testbed/guest_tests.txt  the test list (format: see scripts/qemu_testbed/guest_tests.txt)
#   /usr/local/bin/*          the project's binaries (on PATH)
#
# Every line meant for the host starts with "TESTBED ":
#   TESTBED START ... / TESTBED INFO ... / TESTBED RUN <name>
#   TESTBED INFO time <seconds>s: <name>       after each case (all its runs)
#   TESTBED RESULT PASS <name>
#   TESTBED RESULT FAIL <name> (exit <n>)      followed by the command's output, indented by 4 spaces
#   TESTBED DONE                               then the guest powers off
# shellcheck shell=sh

export PATH=/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
exec </dev/null >/dev/console 2>&1
mkdir -p /tmp /root
mount -t tmpfs tmpfs /tmp

# Defaults; /testbed/config overrides them.
BIND_IDS="1234:11e8"        # vendor:device patterns bound to vfio-pci ("10ee:*": any device)
EXPECT_DEVICES=3            # how many devices matching BIND_IDS must be found
BOARD_LIST=""               # the simulated boards (--boards), in root-port order
BOARD_VARS=""               # their TESTBED_BOARD_<NAME> variable names, same order
CASE_TIMEOUT=120            # default per-case timeout in seconds (option timeout=N per case)
GROUP_WAIT=20               # seconds to wait for /dev/vfio/<group>
OUTPUT_LINES=200            # at most this many output lines are shown per case
# shellcheck disable=SC1091
[ -r /testbed/config ] && . /testbed/config

passed=0
failed=0
setup_errors=""

info() { echo "TESTBED INFO $*"; }
setup_error() {
    echo "TESTBED INFO setup error: $*"
    setup_errors="${setup_errors}${setup_errors:+; }$*"
}
indent() { sed 's/^/    /'; }
# Prints file $1 indented, at most OUTPUT_LINES lines.
show_output() {
    n=$(wc -l <"$1")
    head -n "$OUTPUT_LINES" "$1" | indent
    if [ "$n" -gt "$OUTPUT_LINES" ]; then
        echo "    ... ($((n - OUTPUT_LINES)) more lines not shown)"
    fi
}
trim() {
    t=$1
    t=${t#"${t%%[! 	]*}"}
    t=${t%"${t##*[! 	]}"}
    printf '%s' "$t"
}
is_number() {
    case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac
}

echo "TESTBED START kernel $(uname -r)"

# ---- kernel modules, in load order ----
if [ -r /testbed/modules.list ]; then
    while read -r mname mstate mfile; do
        [ -n "$mname" ] || continue
        case $mstate in
        builtin) info "module $mname: built into the kernel" ;;
        absent) info "module $mname: not in this kernel, skipped" ;;
        module)
            if out=$(insmod "/testbed/modules/$mfile" 2>&1); then
                info "module $mname: loaded"
            else
                setup_error "insmod $mname failed: $out"
            fi
            ;;
        esac
    done </testbed/modules.list
fi
[ -d /sys/bus/pci/drivers/vfio-pci ] || setup_error "no vfio-pci driver in /sys/bus/pci/drivers"
if [ -d /sys/class/iommu ] && [ -n "$(ls /sys/class/iommu)" ]; then
    info "IOMMU: $(echo /sys/class/iommu/* | sed 's|/sys/class/iommu/||g')"
else
    setup_error "no IOMMU in /sys/class/iommu"
fi

# ---- bind the devices to vfio-pci ----
devices=""
groups=""
boards=""
board_groups=""
found=0
for d in /sys/bus/pci/devices/*; do
    [ -r "$d/vendor" ] || continue
    id="$(sed 's/^0x//' "$d/vendor"):$(sed 's/^0x//' "$d/device")"
    match=0
    for want in $BIND_IDS; do
        # shellcheck disable=SC2254 # $want is a pattern
        case $id in $want) match=1 ;; esac
    done
    [ "$match" = 1 ] || continue
    found=$((found + 1))
    bdf=${d##*/}
    if [ -L "$d/driver" ]; then
        drv=$(basename "$(readlink "$d/driver")")
        if [ "$drv" != vfio-pci ]; then
            info "$bdf: unbinding from $drv"
            echo "$bdf" >"$d/driver/unbind" || setup_error "$bdf: cannot unbind from $drv"
        fi
    fi
    if [ ! -L "$d/driver" ]; then
        echo vfio-pci >"$d/driver_override" || setup_error "$bdf: cannot write driver_override"
        echo "$bdf" >/sys/bus/pci/drivers_probe || setup_error "$bdf: drivers_probe failed"
    fi
    drv=""
    [ -L "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
    if [ "$drv" != vfio-pci ]; then
        setup_error "$bdf: not bound to vfio-pci (driver '${drv:-none}')"
        continue
    fi
    if [ ! -L "$d/iommu_group" ]; then
        setup_error "$bdf: no iommu_group"
        continue
    fi
    group=$(basename "$(readlink "$d/iommu_group")")
    tries=$((GROUP_WAIT * 10))
    while [ ! -e "/dev/vfio/$group" ] && [ "$tries" -gt 0 ]; do
        usleep 100000
        tries=$((tries - 1))
    done
    if [ -e "/dev/vfio/$group" ]; then
        info "$bdf [$id] bound to vfio-pci, IOMMU group $group, /dev/vfio/$group"
        if [ "$id" = 1234:11e8 ]; then
            devices="$devices${devices:+ }$bdf"
            groups="$groups${groups:+ }$group"
        else
            boards="$boards${boards:+ }$bdf"
            board_groups="$board_groups${board_groups:+ }$group"
        fi
    else
        setup_error "$bdf: /dev/vfio/$group did not appear within ${GROUP_WAIT}s"
    fi
done
if [ "$found" -ne "$EXPECT_DEVICES" ]; then
    setup_error "found $found device(s) matching '$BIND_IDS', expected $EXPECT_DEVICES"
fi
[ -e /dev/vfio/vfio ] || setup_error "/dev/vfio/vfio does not exist"

# Variables for the test commands: TESTBED_DEVICE* are the edu devices, TESTBED_BOARD* the
# simulated boards (their buses follow the root-port order of --boards).
export TESTBED_BIND_IDS="$BIND_IDS"
export TESTBED_DEVICES="$devices"
export TESTBED_VFIO_GROUPS="$groups"
# shellcheck disable=SC2086
set -- $devices
export TESTBED_DEVICE_COUNT="$#"
i=0
for bdf in $devices; do
    export "TESTBED_DEVICE$i=$bdf"
    i=$((i + 1))
done
info "TESTBED_DEVICES='$devices' TESTBED_VFIO_GROUPS='$groups'"
export TESTBED_BOARDS="$boards"
export TESTBED_BOARD_GROUPS="$board_groups"
export TESTBED_BOARD_LIST="$BOARD_LIST"
# shellcheck disable=SC2086
set -- $boards
export TESTBED_BOARD_COUNT="$#"
# TESTBED_SIM_LIST: the same boards as a --sim list at the guest's locations, for comparisons.
sim_list=""
# shellcheck disable=SC2086
set -- $BOARD_VARS
i=0
for bdf in $boards; do
    export "TESTBED_BOARD$i=$bdf"
    if [ $# -gt 0 ]; then
        export "TESTBED_BOARD_$1=$bdf"
        info "TESTBED_BOARD_$1=$bdf"
        shift
    fi
    design=$(echo "$BOARD_LIST" | cut -d' ' -f$((i + 1)))
    sim_list="$sim_list${sim_list:+,}${design%%@*}@$bdf"
    i=$((i + 1))
done
[ "$#" -eq 0 ] || setup_error "boards without a device: $*"
export TESTBED_SIM_LIST="$sim_list"
info "TESTBED_SIM_LIST=$sim_list"
info "TESTBED_BOARDS='$boards' TESTBED_BOARD_GROUPS='$board_groups'"

if [ -n "$setup_errors" ]; then
    echo "TESTBED RESULT FAIL testbed setup (exit 1)"
    echo "    $setup_errors"
    dmesg | tail -n 40 | indent
    failed=$((failed + 1))
fi

# ---- the test list ----
# Line format: [!]name|[repeat=N|][timeout=S|]command line
run_case() { # $1 line
    line=$1
    name=$(trim "${line%%|*}")
    rest=${line#*|}
    expect_fail=0
    case $name in '!'*)
        expect_fail=1
        name=$(trim "${name#!}")
        ;;
    esac
    if [ "$rest" = "$line" ] || [ -z "$name" ]; then
        echo "TESTBED RESULT FAIL ${name:-?} (exit 2)"
        echo "    malformed test line: $line"
        failed=$((failed + 1))
        return
    fi
    repeat=1
    tmo=$CASE_TIMEOUT
    while :; do
        opt=${rest%%|*}
        [ "$opt" != "$rest" ] || break
        opt=$(trim "$opt")
        case $opt in
        repeat=*) repeat=${opt#repeat=} ;;
        timeout=*) tmo=${opt#timeout=} ;;
        *) break ;;
        esac
        rest=${rest#*|}
    done
    cmd=$rest
    if ! is_number "$repeat" || ! is_number "$tmo" || [ "$repeat" -lt 1 ] || [ "$tmo" -lt 1 ]; then
        echo "TESTBED RESULT FAIL $name (exit 2)"
        echo "    bad repeat=/timeout= option in: $line"
        failed=$((failed + 1))
        return
    fi
    echo "TESTBED RUN $name"
    t_case=$(date +%s)
    iter=1
    ok=1
    rc=0
    while [ "$iter" -le "$repeat" ]; do
        # Own session and process group, so that a timeout kills everything the case started
        # (a hung child of the command could otherwise keep a VFIO group open).
        setsid sh -c "$cmd" </dev/null >/tmp/case.out 2>&1 &
        cpid=$!
        (
            sleep "$tmo"
            kill -KILL -- "-$cpid" 2>/dev/null
        ) &
        wpid=$!
        wait "$cpid"
        rc=$?
        kill "$wpid" 2>/dev/null
        wait "$wpid" 2>/dev/null
        # Whatever the case left running in its group goes too.
        kill -KILL -- "-$cpid" 2>/dev/null
        if [ "$expect_fail" = 1 ]; then
            # Expected failure: a normal non-zero exit, not a kill by a signal or timeout.
            { [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; } || ok=0
        else
            [ "$rc" -eq 0 ] || ok=0
        fi
        [ "$ok" = 1 ] || break
        iter=$((iter + 1))
    done
    if [ "$ok" = 1 ]; then
        echo "TESTBED RESULT PASS $name"
        passed=$((passed + 1))
    else
        echo "TESTBED RESULT FAIL $name (exit $rc)"
        [ "$repeat" -gt 1 ] && echo "    failed in run $iter of $repeat"
        [ "$expect_fail" = 1 ] && [ "$rc" -eq 0 ] && echo "    expected a non-zero exit"
        [ "$rc" -eq 137 ] && echo "    killed by SIGKILL: timed out after ${tmo}s?"
        failed=$((failed + 1))
    fi
    show_output /tmp/case.out
    info "time $(($(date +%s) - t_case))s: $name"
}

if [ -r /testbed/guest_tests.txt ]; then
    while IFS= read -r tline || [ -n "$tline" ]; do
        tline=$(trim "$tline")
        case $tline in '' | '#'*) continue ;; esac
        run_case "$tline"
    done </testbed/guest_tests.txt
else
    info "no /testbed/guest_tests.txt"
fi

info "guest counted $passed passed, $failed failed"
echo "TESTBED DONE"
sync
poweroff -f
# Not reached unless poweroff failed: panic=-1 with -no-reboot ends QEMU.
exit 1
