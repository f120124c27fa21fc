//! Descriptor lists for buffers without an IOMMU (issue #14): one descriptor per
//! physically contiguous run, split again at the descriptor length limit
//! (xilinx_dma_bridge.md §3.1). Only the lists are built: no 1 GiB is allocated.

use vfio_access::dma::segment_runs;
use vfio_access::DmaSegment;
use xdma_registers::descriptor::MAX_DESCRIPTOR_LEN;

const GIB: usize = 1 << 30;
const HUGE: usize = 2 << 20;

#[test]
fn one_gib_page_splits_at_the_length_limit() {
    let segments = [DmaSegment {
        device_address: 0x40_0000_0000,
        offset: 0,
        len: GIB,
    }];
    let runs = segment_runs(&segments, 0, GIB, MAX_DESCRIPTOR_LEN);
    let max = MAX_DESCRIPTOR_LEN;
    assert_eq!(
        runs,
        vec![
            (0x40_0000_0000, max),
            (0x40_0000_0000 + max, max),
            (0x40_0000_0000 + 2 * max, max),
            (0x40_0000_0000 + 3 * max, max),
            (0x40_0000_0000 + 4 * max, GIB as u64 - 4 * max),
        ]
    );
    assert_eq!(GIB as u64 - 4 * max, 0x100);
}

#[test]
fn one_gib_of_scattered_huge_pages_takes_one_descriptor_per_piece() {
    // 512 huge pages; every fourth pair physically adjacent (merged into one segment of
    // 4 MiB), the rest scattered downwards.
    let mut segments = Vec::new();
    let mut offset = 0;
    let mut address = 0x8000_0000u64;
    while offset < GIB {
        let len = if (offset / HUGE) % 4 == 0 {
            2 * HUGE
        } else {
            HUGE
        };
        segments.push(DmaSegment {
            device_address: address,
            offset,
            len,
        });
        address -= 0x40_0000;
        offset += len;
    }
    let runs = segment_runs(&segments, 0, GIB, MAX_DESCRIPTOR_LEN);
    assert_eq!(runs.len(), segments.len());
    for (run, s) in runs.iter().zip(&segments) {
        assert_eq!(*run, (s.device_address, s.len as u64));
    }
    assert_eq!(runs.iter().map(|r| r.1).sum::<u64>(), GIB as u64);
    // A window starting and ending inside segments is cut at both ends.
    // Segment 0 is 4 MiB, segments 1 and 2 are 2 MiB each.
    let part = segment_runs(&segments, HUGE + 0x100, 2 * HUGE, MAX_DESCRIPTOR_LEN);
    assert_eq!(
        part,
        vec![
            (
                segments[0].device_address + (HUGE + 0x100) as u64,
                (HUGE - 0x100) as u64
            ),
            (segments[1].device_address, HUGE as u64),
            (segments[2].device_address, 0x100),
        ]
    );
}

#[test]
fn a_large_contiguous_piece_among_small_ones_splits_only_itself() {
    let big = 600 << 20;
    let segments = [
        DmaSegment {
            device_address: 0x1000,
            offset: 0,
            len: 0x1000,
        },
        DmaSegment {
            device_address: 0x1_0000_0000,
            offset: 0x1000,
            len: big,
        },
        DmaSegment {
            device_address: 0x3000,
            offset: 0x1000 + big,
            len: GIB - big - 0x1000,
        },
    ];
    let runs = segment_runs(&segments, 0, GIB, MAX_DESCRIPTOR_LEN);
    let lens: Vec<u64> = runs.iter().map(|r| r.1).collect();
    let max = MAX_DESCRIPTOR_LEN;
    assert_eq!(
        lens,
        vec![
            0x1000,
            max,
            max,
            big as u64 - 2 * max,
            max,
            (GIB - big - 0x1000) as u64 - max
        ]
    );
    assert!(lens.iter().all(|&l| l <= max));
    assert_eq!(runs[2].0, 0x1_0000_0000 + max);
}
