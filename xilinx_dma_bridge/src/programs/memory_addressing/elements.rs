//! Where test_dma_bridge_memory_addressing puts its 16-byte elements
//! (designs_after_seed.md §4.5): in each region, at both ends of every power-of-two block
//! from 32 bytes up to the largest that fits, so that any aliased address bit makes a later
//! write land on an earlier element.

/// Elements kept at most.
pub const MAX_ELEMENTS: usize = 512;
/// Bytes of one element: absolute card address and a random value, both u64 LE.
pub const ELEMENT_BYTES: u64 = 16;
/// The smallest block: two elements.
const MIN_BLOCK: u64 = 32;

/// The element addresses of one memory, and what the warnings report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementPlan {
    /// Absolute card addresses, in write order (at most [`MAX_ELEMENTS`]).
    pub addresses: Vec<u64>,
    /// Elements the memory would have had without the limit.
    pub attempted: u64,
    /// Lower-end elements not aligned to their block size.
    pub unaligned: u64,
    /// Bytes at the end where not even a 32-byte block fits (or a block limit below 32
    /// stopped the walk): left untested. The original loops forever here (§6.7).
    pub untested_tail: u64,
}

/// Plans the elements of the memory `start..start+size`, blocks limited to `max_block`
/// bytes (None: unlimited).
pub fn plan_elements(start: u64, size: u64, max_block: Option<u64>) -> ElementPlan {
    let end = start.saturating_add(size);
    let max_block = max_block.unwrap_or(u64::MAX);
    let mut plan = ElementPlan {
        addresses: Vec::new(),
        attempted: 0,
        unaligned: 0,
        untested_tail: 0,
    };
    let add = |plan: &mut ElementPlan, address: u64| {
        plan.attempted += 1;
        if plan.addresses.len() < MAX_ELEMENTS {
            plan.addresses.push(address);
        }
    };
    let mut region = start;
    while region < end {
        let (mut block, mut lower, mut mask) = (MIN_BLOCK, 0u64, MIN_BLOCK - 1);
        let mut fitted = 0u64;
        while block <= max_block && region.checked_add(block).is_some_and(|e| e <= end) {
            let low = region + lower;
            if low & mask != 0 {
                plan.unaligned += 1;
            }
            add(&mut plan, low);
            add(&mut plan, region + block - ELEMENT_BYTES);
            fitted = block;
            lower = block;
            mask = block - 1;
            match block.checked_mul(2) {
                Some(b) => block = b,
                None => break,
            }
        }
        if fitted == 0 {
            plan.untested_tail = end - region;
            break;
        }
        region += fitted;
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sheets_sequences() {
        let p = plan_elements(0, 8 << 30, None);
        assert_eq!(p.addresses.len(), 58);
        assert_eq!(
            p.addresses[..10],
            [0x0, 0x10, 0x20, 0x30, 0x40, 0x70, 0x80, 0xf0, 0x100, 0x1f0]
        );
        assert_eq!(p.addresses[56..], [0x1_0000_0000, 0x1_ffff_fff0]);
        assert_eq!((p.unaligned, p.untested_tail), (0, 0));
        let p = plan_elements(0, 1 << 30, None);
        assert_eq!((p.addresses.len(), p.addresses[51]), (52, 0x3fff_fff0));
        assert_eq!(plan_elements(0, 512 << 20, None).addresses.len(), 50);
        let p = plan_elements(0, 0x12_0000, None);
        assert_eq!((p.addresses.len(), p.addresses[57]), (58, 0x11_fff0));
        assert_eq!(p.addresses[32], 0x10_0000);
    }

    #[test]
    fn a_short_tail_ends_the_walk_instead_of_looping() {
        let p = plan_elements(0, 0x50, None);
        // 0x00..0x40 holds blocks of 32 and 64; 16 bytes remain.
        assert_eq!(p.addresses, [0x0, 0x10, 0x20, 0x30]);
        assert_eq!(p.untested_tail, 0x10);
        let p = plan_elements(0, 0x1000, Some(16));
        assert_eq!((p.addresses.len(), p.untested_tail), (0, 0x1000));
        assert_eq!(plan_elements(0, 16, None).untested_tail, 16);
    }

    #[test]
    fn the_block_limit_repeats_regions_and_the_list_is_capped() {
        let p = plan_elements(0, 0x10_0000, Some(64));
        assert_eq!(p.addresses[..6], [0x0, 0x10, 0x20, 0x30, 0x40, 0x50]);
        assert_eq!(p.attempted, 0x10_0000 / 64 * 4);
        assert_eq!(p.addresses.len(), MAX_ELEMENTS);
    }

    #[test]
    fn an_unaligned_base_counts_unaligned_elements() {
        let p = plan_elements(0x10, 0x100, None);
        assert_eq!(p.addresses[..4], [0x10, 0x20, 0x30, 0x40]);
        // Each lower element is 0x10 off its block alignment: 32, 64, 128, 256 bytes.
        assert_eq!((p.unaligned, p.addresses.len()), (4, 8));
    }
}
