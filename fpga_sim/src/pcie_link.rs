//! The PCIe link of a simulated board: how it trained (the design's Gen2 x4 unless the
//! `--sim` entry says otherwise, designs_after_seed.md: "All links are PCIe Gen2 (5.0 GT/s)
//! x4") and the pacing of its DMA at the link's practical rate, shared fairly between the
//! channels of each direction.
//!
//! # The practical rate (per direction; the link is full duplex)
//!
//! ```text
//! raw     = lanes * GT/s * encoding / 8          encoding 8b/10b (Gen1, Gen2), 128b/130b (Gen3+)
//! payload = raw * 2P / (2 * (P + T) + D)
//!   P = 128   bytes of payload per TLP (the Max_Payload_Size hosts commonly set)
//!   T = 24    TLP overhead: 4-DW header 16, STP/END framing 2, sequence number 2, LCRC 4
//!   D = 8     one flow-control DLLP (Ack or UpdateFC, 6 bytes + 2 framing) per two TLPs
//! ```
//!
//! Gen2 x4: 2000 MB/s raw, 1641 MB/s practical. Anchors (xilinx_dma_bridge.md §8): stream
//! loopback on Gen2 x4 moved 1637 MB/s per direction (two pairs at 818.6 MB/s each); a
//! TOSING card at 2.5 GT/s x4, 381.5 MB/s per pair of two (formula: 410); a NiteFury
//! trained at x1, 449.7 MB/s (formula: 410).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::xdma::Direction;

/// Payload bytes per TLP (`P` of the module formula).
pub const TLP_PAYLOAD_BYTES: u64 = 128;
/// Header, framing, sequence number and LCRC bytes per TLP (`T`).
pub const TLP_OVERHEAD_BYTES: u64 = 24;
/// Flow-control DLLP bytes per two TLPs (`D`).
pub const DLLP_BYTES_PER_TWO_TLPS: u64 = 8;

/// A trained (or capable) link: generation 1..=6 and lane count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkWidthSpeed {
    pub generation: u8,
    pub width: u8,
}

impl LinkWidthSpeed {
    /// PCIe Gen2 x4, the link of every design.
    pub const GEN2_X4: Self = Self {
        generation: 2,
        width: 4,
    };

    /// Transfer rate of one lane, in MT/s.
    pub fn mega_transfers(self) -> u64 {
        match self.generation {
            1 => 2500,
            2 => 5000,
            3 => 8000,
            4 => 16000,
            5 => 32000,
            _ => 64000,
        }
    }

    /// The practical payload rate of one direction, in bytes per second (module formula).
    pub fn practical_bytes_per_second(self) -> f64 {
        let (num, den) = if self.generation <= 2 {
            (8.0, 10.0)
        } else {
            (128.0, 130.0)
        };
        let raw = f64::from(self.width) * self.mega_transfers() as f64 * 1e6 * num / den / 8.0;
        let p = TLP_PAYLOAD_BYTES as f64;
        raw * 2.0 * p / (2.0 * (p + TLP_OVERHEAD_BYTES as f64) + DLLP_BYTES_PER_TWO_TLPS as f64)
    }
}

impl std::fmt::Display for LinkWidthSpeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mt = self.mega_transfers();
        if mt % 1000 == 0 {
            write!(f, "{} GT/s x{}", mt / 1000, self.width)
        } else {
            write!(f, "{}.{} GT/s x{}", mt / 1000, mt % 1000 / 100, self.width)
        }
    }
}

/// What a `--sim` entry asks of a board's link (`:link=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkChoice {
    /// Trains at the design's speed and width.
    #[default]
    Design,
    /// Trains at this generation and/or width (None: the design's), at most the design's.
    Degraded {
        generation: Option<u8>,
        width: Option<u8>,
    },
    /// Trains at the design's link but DMA is not paced (tests that need speed).
    Unlimited,
}

/// A `link=` value that is not understood or exceeds the design.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkChoiceError {
    #[error("invalid link '{0}' in --sim (expected e.g. link=2.5GT/s, link=x1, link=gen1x4, link=5GT/x1 or link=unlimited)")]
    Syntax(String),
    #[error("link {asked} in --sim is beyond the design's {capable}")]
    BeyondDesign {
        asked: String,
        capable: LinkWidthSpeed,
    },
}

impl LinkChoice {
    /// Parses the value of `link=`: `unlimited`, a speed (`2.5GT/s`, `5GT`, `gen1`), a
    /// width (`x1`), or a speed then a width (`gen1x4`, `2.5GT/x1`, `2.5GT/s x1`).
    pub fn parse(text: &str) -> Result<Self, LinkChoiceError> {
        let bad = || LinkChoiceError::Syntax(text.to_string());
        let t = text.trim().to_ascii_lowercase();
        if t == "unlimited" {
            return Ok(Self::Unlimited);
        }
        let (speed, width) = match t.rfind('x') {
            Some(at) => {
                let w: u8 = t[at + 1..].trim().parse().map_err(|_| bad())?;
                if !matches!(w, 1 | 2 | 4 | 8 | 12 | 16 | 32) {
                    return Err(bad());
                }
                (t[..at].trim().trim_end_matches('/').trim(), Some(w))
            }
            None => (t.as_str(), None),
        };
        let generation = if speed.is_empty() {
            None
        } else if let Some(g) = speed.strip_prefix("gen") {
            Some(
                g.parse::<u8>()
                    .ok()
                    .filter(|g| (1..=6).contains(g))
                    .ok_or_else(bad)?,
            )
        } else {
            let number = speed.trim_end_matches("/s").trim_end_matches("gt").trim();
            Some(match number {
                "2.5" => 1,
                "5" | "5.0" => 2,
                "8" | "8.0" => 3,
                "16" => 4,
                "32" => 5,
                "64" => 6,
                _ => return Err(bad()),
            })
        };
        if generation.is_none() && width.is_none() {
            return Err(bad());
        }
        Ok(Self::Degraded { generation, width })
    }

    /// The trained link of a design capable of `capable`, and whether DMA is paced.
    pub fn train(self, capable: LinkWidthSpeed) -> Result<(LinkWidthSpeed, bool), LinkChoiceError> {
        match self {
            Self::Design => Ok((capable, true)),
            Self::Unlimited => Ok((capable, false)),
            Self::Degraded { generation, width } => {
                let trained = LinkWidthSpeed {
                    generation: generation.unwrap_or(capable.generation),
                    width: width.unwrap_or(capable.width),
                };
                if trained.generation > capable.generation || trained.width > capable.width {
                    return Err(LinkChoiceError::BeyondDesign {
                        asked: trained.to_string(),
                        capable,
                    });
                }
                Ok((trained, true))
            }
        }
    }
}

/// How far a running channel may fall behind its schedule and catch up: an engine thread
/// the host's scheduler ran late (a busy machine: tens to hundreds of ms) does not lose link time, as
/// a hardware engine with queued descriptors would not. Over any busy interval a channel
/// moves at most its share times (interval + CATCH_UP); an idle engine
/// ([`LinkPacer::idle`]) earns nothing, so one transfer never beats the link.
const CATCH_UP: Duration = Duration::from_millis(250);
/// A channel that asked for nothing for this long no longer takes a share of the link
/// (as long as CATCH_UP: a channel the host ran late keeps its share and catches up).
const ACTIVE_WINDOW: Duration = Duration::from_millis(250);
/// Channels per direction the pacer tells apart (the XDMA IP has at most 4).
pub const PACED_CHANNELS: usize = 8;

#[derive(Debug, Clone, Copy)]
struct ChannelClock {
    /// When the channel's last request has crossed the link.
    next_free: Instant,
    /// When the channel last asked for the link.
    last_request: Instant,
}

/// Paces one board's DMA at its link's practical rate. Each direction has its own budget
/// (the link is full duplex), split equally between the channels active in that direction
/// (those that asked within the last 250 ms): with n active, each moves at rate / n,
/// whatever the sizes of its requests, so the streams of a board get equal shares.
#[derive(Debug)]
pub struct LinkPacer {
    /// Seconds per byte of the whole direction; None: not paced.
    seconds_per_byte: Option<f64>,
    /// [H2C, C2H][channel].
    clocks: [Mutex<[Option<ChannelClock>; PACED_CHANNELS]>; 2],
}

impl LinkPacer {
    /// Paces at `link`'s practical rate.
    pub fn paced(link: LinkWidthSpeed) -> Self {
        Self::at_rate(Some(link.practical_bytes_per_second()))
    }

    /// No pacing.
    pub fn unlimited() -> Self {
        Self::at_rate(None)
    }

    fn at_rate(bytes_per_second: Option<f64>) -> Self {
        Self {
            seconds_per_byte: bytes_per_second.map(|r| 1.0 / r),
            clocks: [
                Mutex::new([None; PACED_CHANNELS]),
                Mutex::new([None; PACED_CHANNELS]),
            ],
        }
    }

    /// The paced rate of a direction in bytes per second (None: unlimited).
    pub fn bytes_per_second(&self) -> Option<f64> {
        self.seconds_per_byte.map(|s| 1.0 / s)
    }

    /// Channel `channel` of direction `d` is idle (the XDMA model calls this when Run
    /// rises or falls): it takes no share until it asks, and its next request starts from
    /// then.
    pub fn idle(&self, d: Direction, channel: usize) {
        if self.seconds_per_byte.is_none() {
            return;
        }
        let clocks = match d {
            Direction::H2C => &self.clocks[0],
            Direction::C2H => &self.clocks[1],
        };
        clocks.lock().unwrap_or_else(|p| p.into_inner())[channel % PACED_CHANNELS] = None;
    }

    /// Channel `channel` takes `bytes` of the link in direction `d`: returns when the link
    /// has carried them at the channel's share of the rate.
    pub fn carry(&self, d: Direction, channel: usize, bytes: usize) {
        let Some(spb) = self.seconds_per_byte else {
            return;
        };
        if bytes == 0 {
            // An engine polling an empty stream is not using the link.
            return;
        }
        let clocks = match d {
            Direction::H2C => &self.clocks[0],
            Direction::C2H => &self.clocks[1],
        };
        let now = Instant::now();
        let done = {
            let mut clocks = clocks.lock().unwrap_or_else(|p| p.into_inner());
            let me = channel % PACED_CHANNELS;
            let active = clocks
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    *i == me
                        || c.is_some_and(|c| {
                            now.saturating_duration_since(c.last_request) < ACTIVE_WINDOW
                        })
                })
                .count();
            let earliest = now.checked_sub(CATCH_UP).unwrap_or(now);
            let start = clocks[me].map_or(now, |c| c.next_free.max(earliest));
            let done = start + Duration::from_secs_f64(bytes as f64 * spb * active as f64);
            clocks[me] = Some(ChannelClock {
                next_free: done,
                last_request: now,
            });
            done
        };
        // The time the link takes (the model's behaviour, not a synchronisation).
        if let Some(wait) = done.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn practical_rates_follow_the_formula_and_the_logs() {
        let mb = |g, w| {
            LinkWidthSpeed {
                generation: g,
                width: w,
            }
            .practical_bytes_per_second()
                / 1e6
        };
        // 2000 MB/s * 256 / 312.
        assert!((mb(2, 4) - 1641.03).abs() < 0.01, "{}", mb(2, 4));
        // Within 10% of the logs: 1637 (Gen2 x4), 2 x 381.5 (2.5 GT/s x4), 449.7 (x1).
        assert!((mb(2, 4) / 1637.2 - 1.0).abs() < 0.1);
        assert!((mb(1, 4) / 763.0 - 1.0).abs() < 0.1);
        assert!((mb(2, 1) / 449.7 - 1.0).abs() < 0.1);
        assert!((mb(1, 1) - mb(2, 4) / 8.0).abs() < 0.01);
        assert!(mb(3, 4) > 3000.0 && mb(3, 4) < 3300.0, "{}", mb(3, 4));
    }

    #[test]
    fn link_choices_parse_and_train() {
        let d = |g, w| LinkChoice::Degraded {
            generation: g,
            width: w,
        };
        for (text, want) in [
            ("2.5GT/s", d(Some(1), None)),
            ("5GT", d(Some(2), None)),
            ("gen1x4", d(Some(1), Some(4))),
            ("2.5GT/x1", d(Some(1), Some(1))),
            ("2.5GT/s x1", d(Some(1), Some(1))),
            ("x1", d(None, Some(1))),
            ("Unlimited", LinkChoice::Unlimited),
        ] {
            assert_eq!(LinkChoice::parse(text), Ok(want), "{text}");
        }
        for text in ["", "x3", "gen9", "3GT/s", "fast", "x", "gen"] {
            assert!(
                matches!(LinkChoice::parse(text), Err(LinkChoiceError::Syntax(_))),
                "{text}"
            );
        }
        let cap = LinkWidthSpeed::GEN2_X4;
        assert_eq!(LinkChoice::Design.train(cap), Ok((cap, true)));
        assert_eq!(LinkChoice::Unlimited.train(cap), Ok((cap, false)));
        assert_eq!(
            d(None, Some(1)).train(cap),
            Ok((
                LinkWidthSpeed {
                    generation: 2,
                    width: 1
                },
                true
            ))
        );
        let e = d(Some(3), None).train(cap).unwrap_err().to_string();
        assert_eq!(
            e,
            "link 8 GT/s x4 in --sim is beyond the design's 5 GT/s x4"
        );
    }

    #[test]
    fn unlimited_pacer_never_waits() {
        let p = LinkPacer::unlimited();
        assert_eq!(p.bytes_per_second(), None);
        let t = Instant::now();
        p.carry(Direction::H2C, 0, usize::MAX / 2);
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    /// An idle channel earns no link time: after `idle`, one transfer takes at least its
    /// bytes over the rate, however long the channel waited.
    #[test]
    fn an_idle_channel_starts_from_now() {
        let link = LinkWidthSpeed {
            generation: 1,
            width: 1,
        };
        let pacer = LinkPacer::paced(link);
        let bytes = 1usize << 20;
        pacer.carry(Direction::H2C, 0, 4096);
        std::thread::sleep(Duration::from_millis(10));
        pacer.idle(Direction::H2C, 0);
        let t = Instant::now();
        pacer.carry(Direction::H2C, 0, bytes);
        let rate = bytes as f64 / t.elapsed().as_secs_f64();
        assert!(rate <= link.practical_bytes_per_second(), "{rate}");
    }

    /// Four channels of one direction each move the same bytes, in requests of different
    /// sizes: each gets a quarter of the rate (finishing times within 10%), and together
    /// they move at the link's rate.
    #[test]
    fn four_channels_share_one_direction_equally() {
        let link = LinkWidthSpeed {
            generation: 1,
            width: 4,
        };
        let pacer = Arc::new(LinkPacer::paced(link));
        let per_channel = 40usize << 20;
        let chunk = 16usize << 10;
        let start = Instant::now();
        let threads: Vec<_> = (0..4)
            .map(|c| {
                let pacer = Arc::clone(&pacer);
                std::thread::spawn(move || {
                    let chunk = chunk << c;
                    for _ in 0..per_channel / chunk {
                        pacer.carry(Direction::C2H, c, chunk);
                    }
                    start.elapsed().as_secs_f64()
                })
            })
            .collect();
        let times: Vec<f64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let rates: Vec<f64> = times.iter().map(|t| per_channel as f64 / t).collect();
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), &r| (l.min(r), h.max(r)));
        assert!(hi / lo < 1.1, "shares {rates:?}");
        let total = 4.0 * per_channel as f64 / times.iter().cloned().fold(0.0, f64::max);
        let formula = link.practical_bytes_per_second();
        assert!((total / formula - 1.0).abs() < 0.1, "{total} vs {formula}");
    }
}
