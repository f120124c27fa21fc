//! Which simulated boards exist and where: the default set, and `--sim=` board lists.
//!
//! List syntax: `<design>[@<location>[/<iommu group>]][:link=<link>],...`, e.g.
//! `TEF1001_dma_ddr3@0000:03:00.0,dma_blkram:link=x1`. `<link>` is how the board's PCIe
//! link trains (`pcie_link::LinkChoice::parse`: `2.5GT/s`, `x1`, `gen1x4`, `unlimited`);
//! without it the board trains at its design's link. Design names match case-insensitively
//! (see [`Design::from_name`]). A board without `@` goes where the reference logs saw it
//! (its "home") when that location is free, else to the first free bus; a board without a
//! group gets its home group when placed at home, else the lowest group number not in use.

use std::sync::Arc;

use vfio_access::sim::SimBoard;
use vfio_access::PciLocation;

use super::{Board, BoardOptions, BoardSpec, Design};
use crate::pcie_link::{LinkChoice, LinkChoiceError};

/// What introduces the link of an entry.
const LINK_OPTION: &str = ":link=";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardListError {
    #[error("unknown simulated design '{name}' in --sim; valid designs: {valid}")]
    UnknownDesign { name: String, valid: String },
    #[error("invalid PCI location '{text}' for simulated design {design} in --sim (expected dddd:bb:dd.f, hex)")]
    BadLocation { design: String, text: String },
    #[error("invalid IOMMU group '{text}' for simulated design {design} in --sim (expected a decimal number)")]
    BadGroup { design: String, text: String },
    #[error("two simulated boards at PCI location {0} in --sim")]
    DuplicateLocation(PciLocation),
    #[error("empty entry in --sim board list '{0}'")]
    EmptyEntry(String),
    /// `FPGA_SIM_XDMA_FAULT` does not parse: refused before any board is built, so a test
    /// never runs believing a fault is armed when none is.
    #[error("{} in {}", .0, crate::xdma::XDMA_FAULT_ENV)]
    BadXdmaFaults(crate::xdma::FaultSpecError),
    #[error("simulated design {design}: {error}")]
    BadLink {
        design: String,
        error: LinkChoiceError,
    },
}

/// One entry of a board list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub design: Design,
    pub location: Option<PciLocation>,
    pub iommu_group: Option<u32>,
    pub link: LinkChoice,
}

/// A built board with its place.
#[derive(Debug, Clone)]
pub struct PlacedBoard {
    pub board: Arc<Board>,
    pub iommu_group: u32,
}

impl PlacedBoard {
    pub fn location(&self) -> PciLocation {
        self.board.location()
    }

    pub fn sim_board(&self) -> SimBoard {
        self.board.sim_board(self.iommu_group)
    }
}

/// The default set: the boards of the reference logs.
pub const DEFAULT_DESIGNS: [Design; 3] = [
    Design::Tef1001DmaStreamLoopback,
    Design::NiteFuryDmaStreamLoopback,
    Design::NitefuryProject0,
];

fn valid_names() -> String {
    Design::ALL
        .iter()
        .map(|d| d.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a board list into placements (no boards built).
pub fn parse_placements(text: &str) -> Result<Vec<Placement>, BoardListError> {
    text.split(',')
        .map(|entry| {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(BoardListError::EmptyEntry(text.to_string()));
            }
            let (entry, link_text) = match entry.to_ascii_lowercase().find(LINK_OPTION) {
                Some(at) => (entry[..at].trim(), Some(&entry[at + LINK_OPTION.len()..])),
                None => (entry, None),
            };
            let (name, place) = match entry.split_once('@') {
                Some((n, p)) => (n.trim(), Some(p.trim())),
                None => (entry, None),
            };
            let design = Design::from_name(name).ok_or_else(|| BoardListError::UnknownDesign {
                name: name.to_string(),
                valid: valid_names(),
            })?;
            let (location, iommu_group) = match place {
                None => (None, None),
                Some(p) => {
                    let (loc, group) = match p.split_once('/') {
                        Some((l, g)) => (l, Some(g)),
                        None => (p, None),
                    };
                    let location: PciLocation =
                        loc.parse().map_err(|_| BoardListError::BadLocation {
                            design: design.name().to_string(),
                            text: loc.to_string(),
                        })?;
                    let group = group
                        .map(|g| {
                            g.trim()
                                .parse::<u32>()
                                .map_err(|_| BoardListError::BadGroup {
                                    design: design.name().to_string(),
                                    text: g.to_string(),
                                })
                        })
                        .transpose()?;
                    (Some(location), group)
                }
            };
            let bad_link = |error| BoardListError::BadLink {
                design: design.name().to_string(),
                error,
            };
            let link = match link_text {
                None => LinkChoice::Design,
                Some(t) => {
                    let link = LinkChoice::parse(t).map_err(bad_link)?;
                    link.train(design.spec().link_capability)
                        .map_err(bad_link)?;
                    link
                }
            };
            Ok(Placement {
                design,
                location,
                iommu_group,
                link,
            })
        })
        .collect()
}

/// Decides every board's location and group (see the module notes).
pub fn resolve(
    placements: &[Placement],
) -> Result<Vec<(Design, PciLocation, u32, LinkChoice)>, BoardListError> {
    let mut used_locations: Vec<PciLocation> = Vec::new();
    for p in placements {
        if let Some(l) = p.location {
            if used_locations.contains(&l) {
                return Err(BoardListError::DuplicateLocation(l));
            }
            used_locations.push(l);
        }
    }
    let mut used_groups: Vec<u32> = placements.iter().filter_map(|p| p.iommu_group).collect();
    let mut out = Vec::with_capacity(placements.len());
    // Explicit locations first so that boards without one avoid them; output keeps list order.
    let mut slots: Vec<Option<(PciLocation, Option<u32>)>> = placements
        .iter()
        .map(|p| p.location.map(|l| (l, p.iommu_group)))
        .collect();
    for (i, p) in placements.iter().enumerate() {
        if slots[i].is_some() {
            continue;
        }
        let home = p
            .design
            .home()
            .filter(|(l, g)| !used_locations.contains(l) && !used_groups.contains(g));
        let (location, group) = match home {
            Some((l, g)) => (l, Some(g)),
            None => {
                let bus = (1u8..=0xff)
                    .find(|b| !used_locations.iter().any(|l| l.domain == 0 && l.bus == *b))
                    .unwrap_or(0xff);
                (PciLocation::new(0, bus, 0, 0), None)
            }
        };
        used_locations.push(location);
        if let Some(g) = group {
            used_groups.push(g);
        }
        slots[i] = Some((location, group));
    }
    for (p, slot) in placements.iter().zip(slots) {
        let Some((location, group)) = slot else {
            continue;
        };
        let group = group
            .or_else(|| {
                p.design
                    .home()
                    .filter(|(l, g)| *l == location && !used_groups.contains(g))
                    .map(|(_, g)| g)
            })
            .unwrap_or_else(|| (1u32..).find(|g| !used_groups.contains(g)).unwrap_or(0));
        used_groups.push(group);
        out.push((p.design, location, group, p.link));
    }
    Ok(out)
}

/// Builds the boards of a list (None: the default set).
pub fn build_boards(
    list: Option<&str>,
    options: &BoardOptions,
) -> Result<Vec<PlacedBoard>, BoardListError> {
    if let Ok(text) = std::env::var(crate::xdma::XDMA_FAULT_ENV) {
        crate::xdma::parse_fault_list(&text).map_err(BoardListError::BadXdmaFaults)?;
    }
    let placements = match list {
        Some(text) => parse_placements(text)?,
        None => DEFAULT_DESIGNS
            .iter()
            .map(|&design| Placement {
                design,
                location: None,
                iommu_group: None,
                link: LinkChoice::Design,
            })
            .collect(),
    };
    Ok(resolve(&placements)?
        .into_iter()
        .map(|(design, location, iommu_group, link)| {
            let spec = BoardSpec {
                link,
                ..design.spec()
            };
            PlacedBoard {
                board: Board::from_spec(spec, location, options),
                iommu_group,
            }
        })
        .collect())
}

/// The default simulated boards, with options from the environment.
pub fn default_boards() -> Vec<SimBoard> {
    build_boards(None, &BoardOptions::from_env())
        .map(|v| v.iter().map(PlacedBoard::sim_board).collect())
        .unwrap_or_default()
}

/// A `--sim=` board list as [`SimBoard`]s, with options from the environment.
pub fn parse_board_list(text: &str) -> Result<Vec<SimBoard>, BoardListError> {
    Ok(build_boards(Some(text), &BoardOptions::from_env())?
        .iter()
        .map(PlacedBoard::sim_board)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(text: &str) -> Vec<(Design, String, u32)> {
        resolve(&parse_placements(text).unwrap())
            .unwrap()
            .into_iter()
            .map(|(d, l, g, _)| (d, l.to_string(), g))
            .collect()
    }

    #[test]
    fn default_set_mirrors_the_logs() {
        let defaults: Vec<Placement> = DEFAULT_DESIGNS
            .iter()
            .map(|&design| Placement {
                design,
                location: None,
                iommu_group: None,
                link: LinkChoice::Design,
            })
            .collect();
        let r: Vec<(Design, String, u32)> = resolve(&defaults)
            .unwrap()
            .into_iter()
            .map(|(d, l, g, _)| (d, l.to_string(), g))
            .collect();
        assert_eq!(
            r,
            vec![
                (Design::Tef1001DmaStreamLoopback, "0000:15:00.0".into(), 41),
                (Design::NiteFuryDmaStreamLoopback, "0000:30:00.0".into(), 89),
                (Design::NitefuryProject0, "0000:2e:00.0".into(), 86),
            ]
        );
    }

    #[test]
    fn lists_place_boards_explicitly_or_freely() {
        assert_eq!(
            places("TEF1001_dma_ddr3@0000:03:00.0,dma_blkram"),
            vec![
                (Design::Tef1001DmaDdr3, "0000:03:00.0".into(), 1),
                (Design::DmaBlkram, "0000:01:00.0".into(), 2),
            ]
        );
        assert_eq!(
            places("nitefury_dma_stream_loopback, dma_blkram@01:00.0/7, i2c_probe"),
            vec![
                (Design::NiteFuryDmaStreamLoopback, "0000:30:00.0".into(), 89),
                (Design::DmaBlkram, "0000:01:00.0".into(), 7),
                (Design::I2cProbe, "0000:02:00.0".into(), 1),
            ]
        );
        // The home is taken: the second board goes elsewhere.
        let two = places("TEF1001_dma_stream_loopback,TEF1001_dma_stream_loopback");
        assert_eq!(two[0].1, "0000:15:00.0");
        assert_ne!(two[1].1, "0000:15:00.0");
        assert_ne!(two[0].2, two[1].2);
    }

    #[test]
    fn entries_choose_their_link() {
        let p = parse_placements(
            "TEF1001_dma_ddr3@0000:03:00.0/5:link=2.5GT/s, dma_blkram:LINK=x1,NiteFury_dma_ddr3",
        )
        .unwrap();
        assert_eq!(p[0].location, Some(PciLocation::new(0, 3, 0, 0)));
        assert_eq!(p[0].iommu_group, Some(5));
        assert_eq!(
            p[0].link,
            LinkChoice::Degraded {
                generation: Some(1),
                width: None
            }
        );
        assert_eq!(p[1].design, Design::DmaBlkram);
        assert_eq!(
            p[1].link,
            LinkChoice::Degraded {
                generation: None,
                width: Some(1)
            }
        );
        assert_eq!(p[2].link, LinkChoice::Design);
        let boards = build_boards(
            Some("dma_blkram:link=gen1x1,NiteFury_dma_ddr3:link=unlimited"),
            &BoardOptions {
                xadc_seed: None,
                state_dir: Some(tempfile::tempdir().unwrap().path().to_path_buf()),
            },
        )
        .unwrap();
        assert_eq!(boards[0].board.link_status().to_string(), "2.5 GT/s x1");
        assert!(boards[0].board.link_pacer().bytes_per_second().is_some());
        assert_eq!(boards[1].board.link_status().to_string(), "5 GT/s x4");
        assert_eq!(boards[1].board.link_pacer().bytes_per_second(), None);
        let e = parse_placements("dma_blkram:link=x8")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "simulated design dma_blkram: link 5 GT/s x8 in --sim is beyond the design's 5 GT/s x4"
        );
        assert!(matches!(
            parse_placements("dma_blkram:link=slow"),
            Err(BoardListError::BadLink { .. })
        ));
    }

    #[test]
    fn errors_are_clear() {
        let e = parse_placements("TEF1001_dma_ddr4")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown simulated design 'TEF1001_dma_ddr4'"),
            "{e}"
        );
        assert!(
            e.contains("TEF1001_dma_ddr3") && e.contains("memmapped_blkram"),
            "{e}"
        );
        let e = parse_placements("dma_blkram@zz").unwrap_err();
        assert_eq!(
            e,
            BoardListError::BadLocation {
                design: "dma_blkram".into(),
                text: "zz".into()
            }
        );
        assert!(matches!(
            parse_placements("dma_blkram@0000:01:00.0/x"),
            Err(BoardListError::BadGroup { .. })
        ));
        assert!(matches!(
            parse_placements("dma_blkram,,"),
            Err(BoardListError::EmptyEntry(_))
        ));
        assert_eq!(
            resolve(&parse_placements("dma_blkram@01:00.0,i2c_probe@0000:01:00.0").unwrap()),
            Err(BoardListError::DuplicateLocation(PciLocation::new(
                0, 1, 0, 0
            )))
        );
    }
}
