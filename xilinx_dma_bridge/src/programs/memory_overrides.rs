//! `--dma_bridge_memory_base_address` and `--dma_bridge_memory_size_bytes`: overriding the
//! card memory of every memory-mapped design (designs_after_seed.md §4.1, shared by
//! test_dma_bridge and test_dma_bridge_memory_addressing §4.5).

use std::io::{self, Write};

use identify_design::DmaBridge;

/// The requested overrides (None: the design's value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryOverrides {
    pub base_address: Option<u64>,
    pub size_bytes: Option<u64>,
}

impl MemoryOverrides {
    /// Applies the overrides to a memory-mapped `bridge` (stream bridges are left alone),
    /// printing each value changed and a warning when the overridden memory leaves the
    /// design's.
    pub fn apply(&self, bridge: &mut DmaBridge, out: &mut dyn Write) -> io::Result<()> {
        if bridge.is_stream() {
            return Ok(());
        }
        let original = *bridge;
        if let Some(base) = self
            .base_address
            .filter(|&b| b != bridge.memory_base_address)
        {
            writeln!(
                out,
                "Overriding dma_bridge_memory_base_address 0x{:x} -> 0x{base:x}",
                bridge.memory_base_address
            )?;
            bridge.memory_base_address = base;
        }
        // Size 0 would mean "stream"; the options refuse it before any design is seen.
        if let Some(size) = self
            .size_bytes
            .filter(|&s| s != 0 && s != bridge.memory_size)
        {
            writeln!(
                out,
                "Overriding dma_bridge_memory_size_bytes 0x{:x} -> 0x{size:x}",
                bridge.memory_size
            )?;
            bridge.memory_size = size;
        }
        if bridge.memory_base_address < original.memory_base_address
            || last_address(bridge) > last_address(&original)
        {
            writeln!(
                out,
                "Warning: Overridden DMA accessible memory is outside of that specified for the design."
            )?;
            writeln!(out, "         Tests are expected to fail.")?;
        }
        Ok(())
    }
}

/// The last card memory address, saturating (an override may reach past 2^64).
fn last_address(bridge: &DmaBridge) -> u64 {
    bridge
        .memory_base_address
        .saturating_add(bridge.memory_size - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridge(base: u64, size: u64) -> DmaBridge {
        DmaBridge {
            bar: 2,
            memory_size: size,
            memory_base_address: base,
        }
    }

    fn apply(o: MemoryOverrides, b: &mut DmaBridge) -> String {
        let mut out = Vec::new();
        o.apply(b, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn overrides_print_old_and_new_and_warn_outside_the_design() {
        let mut b = bridge(0, 0x4000_0000);
        let inside = MemoryOverrides {
            base_address: Some(0x1000),
            size_bytes: Some(0x1000),
        };
        assert_eq!(
            apply(inside, &mut b),
            "Overriding dma_bridge_memory_base_address 0x0 -> 0x1000\n\
             Overriding dma_bridge_memory_size_bytes 0x40000000 -> 0x1000\n"
        );
        assert_eq!(b, bridge(0x1000, 0x1000));
        let mut b = bridge(0, 0x4000_0000);
        let beyond = MemoryOverrides {
            base_address: Some(0x3fff_f000),
            size_bytes: Some(0x2000),
        };
        assert!(apply(beyond, &mut b).ends_with(
            "Warning: Overridden DMA accessible memory is outside of that specified for the design.\n         Tests are expected to fail.\n"
        ));
    }

    #[test]
    fn unchanged_values_and_stream_bridges_print_nothing() {
        let mut b = bridge(0, 0x1000);
        let same = MemoryOverrides {
            base_address: Some(0),
            size_bytes: Some(0x1000),
        };
        assert_eq!(apply(same, &mut b), "");
        let mut s = bridge(0, 0);
        assert_eq!(apply(same, &mut s), "");
        assert_eq!(s, bridge(0, 0));
    }
}
