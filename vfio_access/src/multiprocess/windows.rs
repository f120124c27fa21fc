//! Splitting a container's IOVA space into one disjoint window per secondary.

use crate::error::{Result, VfioError};
use crate::iova::IovaRange;

/// The usable space: `ranges` clipped to `0..=limit`, each shrunk to whole pages.
fn usable(ranges: &[IovaRange], limit: u64, page: u64) -> Vec<IovaRange> {
    let mut out: Vec<IovaRange> = ranges
        .iter()
        .filter_map(|r| r.intersect(&IovaRange::new(0, limit)))
        .filter_map(|r| {
            let start = r.start.checked_add(page - 1)? & !(page - 1);
            let end_excl = (u128::from(r.end) + 1) & !(u128::from(page) - 1);
            (end_excl > u128::from(start)).then(|| IovaRange::new(start, (end_excl - 1) as u64))
        })
        .collect();
    out.sort();
    out
}

/// How many windows of `size` bytes fit, placed greedily from the bottom of each range.
fn count_fitting(space: &[IovaRange], size: u64) -> u64 {
    space.iter().map(|r| r.size() / size).sum()
}

/// Splits `ranges` (a container's valid IOVA ranges), below `limit` (inclusive: the
/// smallest highest-reachable IOVA of the devices), into `count` disjoint windows of
/// `size` bytes each (rounded up to `page`), or of the largest equal page-aligned size that
/// fits when `size` is None. Windows are placed from the bottom of each range upwards.
pub fn partition(
    ranges: &[IovaRange],
    limit: u64,
    page: u64,
    count: usize,
    size: Option<u64>,
) -> Result<Vec<IovaRange>> {
    let page = page.max(1).next_power_of_two();
    if count == 0 {
        return Ok(Vec::new());
    }
    let space = usable(ranges, limit, page);
    let total: u64 = space.iter().map(|r| r.size()).sum();
    let n = count as u64;
    let no_fit = |size: u64| {
        VfioError::Other(format!(
            "IOVA windows of {size} bytes for {count} secondaries do not fit in the {total} bytes of IOVA space below 0x{limit:x}"
        ))
    };
    let size = match size {
        Some(s) => {
            let s = s
                .max(1)
                .checked_next_multiple_of(page)
                .ok_or_else(|| no_fit(s))?;
            if count_fitting(&space, s) < n {
                return Err(no_fit(s));
            }
            s
        }
        None => {
            // Largest number of pages per window such that `count` windows fit (monotone).
            let (mut lo, mut hi) = (0u64, total / page / n);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if count_fitting(&space, mid * page) >= n {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            if lo == 0 {
                return Err(no_fit(page));
            }
            lo * page
        }
    };
    let mut windows = Vec::with_capacity(count);
    'ranges: for r in &space {
        let mut start = r.start;
        while windows.len() < count {
            match start.checked_add(size - 1) {
                Some(end) if end <= r.end => {
                    windows.push(IovaRange::new(start, end));
                    match end.checked_add(1) {
                        Some(s) => start = s,
                        None => continue 'ranges,
                    }
                }
                _ => continue 'ranges,
            }
        }
        break;
    }
    Ok(windows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTEL: [IovaRange; 2] = [
        IovaRange {
            start: 0,
            end: 0xfedf_ffff,
        },
        IovaRange {
            start: 0xfef0_0000,
            end: 0x7f_ffff_ffff,
        },
    ];

    #[test]
    fn equal_shares_below_28_bits() {
        let w = partition(&INTEL, 0x0fff_ffff, 0x1000, 6, None).unwrap();
        assert_eq!(w.len(), 6);
        assert_eq!(w[0], IovaRange::new(0, 0x2aa_9fff));
        assert!(w.windows(2).all(|p| p[0].end < p[1].start));
        assert!(w
            .iter()
            .all(|r| r.end <= 0x0fff_ffff && r.size() == w[0].size()));
    }

    #[test]
    fn fixed_size_skips_the_msi_hole() {
        // Below 4 GiB: 0..0xfedfffff holds three 1 GiB windows, the 17 MiB above the MSI
        // hole none, so a fourth does not fit.
        let w = partition(&INTEL, 0xffff_ffff, 0x1000, 3, Some(1 << 30)).unwrap();
        assert_eq!(w[2], IovaRange::new(0x8000_0000, 0xbfff_ffff));
        let e = partition(&INTEL, 0xffff_ffff, 0x1000, 4, Some(1 << 30)).unwrap_err();
        assert!(e.to_string().contains("do not fit"), "{e}");
        // Sizes round up to the page size; small windows use the space above the hole too.
        let w = partition(
            &[IovaRange::new(0x1800, 0x4fff)],
            u64::MAX,
            0x1000,
            2,
            Some(1),
        )
        .unwrap();
        assert_eq!(
            w,
            vec![
                IovaRange::new(0x2000, 0x2fff),
                IovaRange::new(0x3000, 0x3fff)
            ]
        );
        assert!(partition(&[], u64::MAX, 0x1000, 1, None).is_err());
        assert!(partition(&INTEL, u64::MAX, 0x1000, 0, None)
            .unwrap()
            .is_empty());
    }
}
