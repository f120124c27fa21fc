//! Property tests of the IOVA space shared by many clients (multiprocess/shared_iova.rs):
//! interleaved allocations, frees and client deaths (some of whose unmaps the "kernel"
//! refuses) never give one range to two holders, keep each client inside its window and
//! its device's reach, and leak nothing once every client ended and the container was
//! disabled.

use std::collections::BTreeMap;

use proptest::prelude::*;
use vfio_access::iova::IovaRange;
use vfio_access::multiprocess::{Holder, SharedIovaSpace};
use vfio_access::DmaCapability;

const SPACE: [IovaRange; 2] = [
    IovaRange {
        start: 0,
        end: 0xfedf_ffff,
    },
    IovaRange {
        start: 0xfef0_0000,
        end: 0x3_ffff_ffff,
    },
];

#[derive(Debug, Clone)]
enum Op {
    Allocate {
        client: u32,
        pages: u64,
        dma: DmaCapability,
    },
    Free {
        client: u32,
        pick: usize,
    },
    /// The client ends; `refuse` makes the kernel unmap nothing for every n-th range.
    End {
        client: u32,
        refuse: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let client = 1u32..=16;
    let dma = prop_oneof![
        Just(DmaCapability::A64),
        Just(DmaCapability::A32),
        Just(DmaCapability::Bits(28)),
    ];
    prop_oneof![
        4 => (client.clone(), 1u64..=64, dma).prop_map(|(client, pages, dma)| Op::Allocate { client, pages, dma }),
        2 => (client.clone(), any::<usize>()).prop_map(|(client, pick)| Op::Free { client, pick }),
        1 => (client, 0usize..4).prop_map(|(client, refuse)| Op::End { client, refuse }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn many_clients_never_overlap_and_leak_nothing(ops in proptest::collection::vec(op(), 1..300), windowed in any::<bool>()) {
        let mut space = SharedIovaSpace::new(&SPACE, 0x1000);
        let window = |c: u32| IovaRange::new(u64::from(c) << 24, (u64::from(c) << 24) + 0xff_ffff);
        if windowed {
            for c in 1..=16 {
                space.set_window(c, window(c));
            }
        }
        // Our own record of who holds what.
        let mut held: BTreeMap<u64, (IovaRange, u32)> = BTreeMap::new();
        let mut orphans = 0u64;
        for op in ops {
            match op {
                Op::Allocate { client, pages, dma } => {
                    if let Ok(r) = space.allocate(client, pages * 0x1000, dma) {
                        prop_assert_eq!(r.size(), pages * 0x1000);
                        prop_assert!(r.end <= dma.max_iova().unwrap());
                        prop_assert!(SPACE.iter().any(|s| s.start <= r.start && r.end <= s.end));
                        if windowed && space.window(client).is_some() {
                            let w = window(client);
                            prop_assert!(w.start <= r.start && r.end <= w.end, "{:?} outside {:?}", r, w);
                        }
                        for (other, _) in held.values() {
                            prop_assert!(r.end < other.start || other.end < r.start, "{:?} overlaps {:?}", r, other);
                        }
                        held.insert(r.start, (r, client));
                    }
                }
                Op::Free { client, pick } => {
                    let mine: Vec<IovaRange> = held.values().filter(|(_, c)| *c == client).map(|(r, _)| *r).collect();
                    if mine.is_empty() {
                        prop_assert!(!space.free(client, IovaRange::new(0, 0xfff)));
                        continue;
                    }
                    let r = mine[pick % mine.len()];
                    // Another client cannot free it.
                    prop_assert!(!space.free(client % 16 + 1, r));
                    prop_assert!(space.free(client, r));
                    held.remove(&r.start);
                }
                Op::End { client, refuse } => {
                    let mine: Vec<IovaRange> = held.values().filter(|(_, c)| *c == client).map(|(r, _)| *r).collect();
                    let mut n = 0usize;
                    let rel = space.release(client, |r: IovaRange| -> Result<u64, String> {
                        n += 1;
                        Ok(if refuse > 0 && n % refuse == 0 { 0 } else { r.size() })
                    });
                    prop_assert_eq!(rel.regions, mine.len());
                    prop_assert_eq!(rel.bytes, mine.iter().map(|r| r.size()).sum::<u64>());
                    prop_assert_eq!(rel.bytes, rel.unmapped_bytes + rel.orphaned_bytes);
                    orphans += rel.orphaned_regions as u64;
                    for r in mine {
                        held.remove(&r.start);
                    }
                    prop_assert!(space.held_by(client).is_empty());
                }
            }
        }
        let orphaned = space.held().iter().filter(|(_, h)| *h == Holder::Orphan).count() as u64;
        prop_assert_eq!(orphaned, orphans);
        for c in 1..=16 {
            space.release(c, |r: IovaRange| -> Result<u64, String> { Ok(r.size()) });
        }
        let reclaim = space.reclaim(&SPACE, 0x1000);
        prop_assert_eq!(reclaim.orphaned_regions as u64, orphans);
        prop_assert_eq!(space.free_ranges(), SPACE.to_vec());
    }
}
