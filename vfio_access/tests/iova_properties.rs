//! Property tests of the IOVA allocator: random allocate/free sequences never overlap,
//! stay inside the ranges, honour device address limits and reuse freed space.

use proptest::prelude::*;
use vfio_access::iova::{IovaAllocator, IovaRange};
use vfio_access::DmaCapability;

fn caps() -> impl Strategy<Value = DmaCapability> {
    prop_oneof![
        Just(DmaCapability::A64),
        Just(DmaCapability::A32),
        Just(DmaCapability::None),
        (20u8..40).prop_map(DmaCapability::Bits),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Alloc(u64, DmaCapability),
    Free(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (1u64..(64 << 20), caps()).prop_map(|(s, c)| Op::Alloc(s, c)),
            1 => any::<usize>().prop_map(Op::Free),
        ],
        1..120,
    )
}

fn ranges() -> Vec<IovaRange> {
    vec![
        IovaRange::new(0, 0xfedf_ffff),
        IovaRange::new(0xfef0_0000, 0x7f_ffff_ffff),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn allocations_never_overlap_and_respect_limits(ops in ops()) {
        let valid = ranges();
        let mut a = IovaAllocator::new(&valid, 0x1000);
        let mut live: Vec<IovaRange> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc(size, cap) => {
                    if let Ok(r) = a.allocate(size, cap) {
                        prop_assert!(r.size() >= size);
                        prop_assert_eq!(r.start % 0x1000, 0);
                        prop_assert_eq!(r.size() % 0x1000, 0);
                        prop_assert!(valid.iter().any(|v| v.start <= r.start && r.end <= v.end));
                        if let Some(max) = cap.max_iova() {
                            prop_assert!(r.end <= max, "{:?} above limit of {:?}", r, cap);
                        }
                        for l in &live {
                            prop_assert!(r.end < l.start || l.end < r.start, "{:?} overlaps {:?}", r, l);
                        }
                        live.push(r);
                    }
                }
                Op::Free(i) if !live.is_empty() => {
                    let r = live.swap_remove(i % live.len());
                    prop_assert!(a.free(r));
                }
                Op::Free(_) => {}
            }
        }
        prop_assert_eq!(a.allocated_ranges().len(), live.len());
        // Freeing everything gives back exactly the original space.
        for r in live.drain(..) {
            prop_assert!(a.free(r));
        }
        prop_assert_eq!(a.free_ranges(), valid);
    }

    #[test]
    fn freed_space_is_reused(size in 1u64..(1 << 30)) {
        let mut a = IovaAllocator::new(&[IovaRange::new(0, (1 << 30) - 1)], 0x1000);
        let r = a.allocate(size, DmaCapability::A32).unwrap();
        prop_assert!(a.allocate(1 << 30, DmaCapability::A32).is_err());
        prop_assert!(a.free(r));
        let again = a.allocate(size, DmaCapability::A32).unwrap();
        prop_assert_eq!(again, r);
    }

    #[test]
    fn windows_keep_allocations_inside(start in 0u64..0x1000, len in 1u64..0x1000, sizes in prop::collection::vec(1u64..0x10_0000, 1..20)) {
        let mut a = IovaAllocator::new(&ranges(), 0x1000);
        let window = IovaRange::new(start << 20, ((start + len) << 20) - 1);
        a.restrict(window);
        for s in sizes {
            if let Ok(r) = a.allocate(s, DmaCapability::A64) {
                prop_assert!(window.start <= r.start && r.end <= window.end);
            }
        }
    }
}
