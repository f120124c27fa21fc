//! Host-side properties of the multi-process support: the handover text round-trips, and
//! window partitioning gives disjoint windows inside the ranges and below the limit.

use proptest::prelude::*;
use vfio_access::iova::IovaRange;
use vfio_access::multiprocess::{partition, HandedContainer, HandedDevice, Handover};
use vfio_access::PciLocation;

fn handover() -> impl Strategy<Value = Handover> {
    (
        any::<bool>(),
        prop::option::of((0u64..u64::MAX / 2, 0u64..u64::MAX / 2)),
        1usize..3,
        prop::collection::vec((any::<u8>(), 0u8..32, 0u8..8, 0u32..200), 0..6),
    )
        .prop_map(|(simulated, window, ncont, devs)| {
            let window = window.map(|(a, len)| IovaRange::new(a, a + len));
            if simulated {
                return Handover {
                    simulated,
                    window,
                    ..Handover::default()
                };
            }
            // Fds: containers 3.., then per device one group fd and one device fd, all unique.
            let containers: Vec<HandedContainer> = (0..ncont)
                .map(|i| HandedContainer {
                    fd: 3 + i as i32,
                    iommu_type: 1 + i as u32 * 2,
                })
                .collect();
            let mut next = 3 + ncont as i32;
            let mut seen = std::collections::HashSet::new();
            let devices = devs
                .into_iter()
                .filter(|(bus, dev, func, _)| seen.insert((*bus, *dev, *func)))
                .enumerate()
                .map(|(i, (bus, dev, func, group))| {
                    next += 2;
                    HandedDevice {
                        location: PciLocation::new(0, bus, dev, func),
                        group,
                        group_fd: next - 2,
                        device_fd: next - 1,
                        container: i % ncont,
                    }
                })
                .collect();
            Handover {
                simulated,
                window,
                containers,
                devices,
                through_manager: false,
            }
        })
}

/// Sorted, disjoint ranges (page aligned or not).
fn ranges() -> impl Strategy<Value = Vec<IovaRange>> {
    prop::collection::vec((0u64..1 << 36, 1u64..1 << 34), 1..5).prop_map(|v| {
        let mut out: Vec<IovaRange> = Vec::new();
        let mut at = 0u64;
        for (gap, len) in v {
            let start = at + gap;
            out.push(IovaRange::new(start, start + len - 1));
            at = start + len + 1;
        }
        out
    })
}

proptest! {
    #[test]
    fn handover_round_trips(h in handover()) {
        let text = h.encode();
        prop_assert!(!text.contains('\n'));
        prop_assert_eq!(Handover::decode(&text).unwrap(), h);
    }

    #[test]
    fn windows_are_disjoint_inside_the_ranges_and_below_the_limit(
        ranges in ranges(),
        limit_bits in 20u32..40,
        count in 1usize..12,
        size in prop::option::of(1u64..(1 << 30)),
    ) {
        let limit = (1u64 << limit_bits) - 1;
        let page = 0x1000;
        match partition(&ranges, limit, page, count, size) {
            Ok(w) => {
                prop_assert_eq!(w.len(), count);
                let size0 = w[0].size();
                for (i, win) in w.iter().enumerate() {
                    prop_assert!(win.end <= limit, "{win:?} above 0x{limit:x}");
                    prop_assert!(ranges.iter().any(|r| r.start <= win.start && win.end <= r.end),
                        "{win:?} outside {ranges:?}");
                    prop_assert_eq!(win.start % page, 0);
                    prop_assert_eq!(win.size() % page, 0);
                    prop_assert_eq!(win.size(), size0);
                    if let Some(s) = size {
                        prop_assert!(win.size() >= s && win.size() < s + page);
                    }
                    for other in &w[i + 1..] {
                        prop_assert!(win.intersect(other).is_none(), "{win:?} overlaps {other:?}");
                    }
                }
            }
            Err(e) => {
                // Only when the space really cannot hold them: with the requested size (or
                // a single page each for equal shares) count windows do not fit.
                let want = size.map_or(page, |s| s.div_ceil(page) * page);
                let fit: u64 = ranges
                    .iter()
                    .filter_map(|r| r.intersect(&IovaRange::new(0, limit)))
                    .map(|r| {
                        let s = r.start.div_ceil(page) * page;
                        let e = (r.end + 1) / page * page;
                        e.saturating_sub(s) / want
                    })
                    .sum();
                prop_assert!(fit < count as u64, "refused although {fit} fit: {e}");
            }
        }
    }
}
