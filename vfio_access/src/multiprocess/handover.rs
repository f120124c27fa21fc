//! The environment variable a primary gives each secondary: which inherited fds are the
//! container(s), the groups and the devices, and the secondary's own IOVA window.
//!
//! Text form (one line, space separated `key=value` fields, version first):
//!
//! ```text
//! v=1 sim=0 window=0x0-0x3ffffff containers=4:3 devices=0000:00:03.0/3/5/6/0,0000:00:04.0/4/7/8/0
//! ```
//!
//! - `containers`: `<fd>:<iommu type>` per container, comma separated (may be empty).
//! - `devices`: `<location>/<group>/<group fd>/<device fd>/<container index>` per device.
//! - `window`: inclusive `0x<start>-0x<end>`, or `none` when windows are disabled.
//! - `sim=1`: a simulated primary; no fds, the secondary creates its own simulated boards.

use std::os::fd::RawFd;

use crate::error::{Result, VfioError};
use crate::iova::IovaRange;
use crate::location::PciLocation;

/// Name of the environment variable that makes a process a secondary.
pub const SECONDARY_ENV: &str = "FPGA_SIO_SECONDARY";

const VERSION: &str = "1";

/// A container handed over by the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandedContainer {
    pub fd: RawFd,
    /// The IOMMU type the primary set (`VFIO_TYPE1v2_IOMMU`, ...).
    pub iommu_type: u32,
}

/// A device (with its group) handed over by the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandedDevice {
    pub location: PciLocation,
    pub group: u32,
    pub group_fd: RawFd,
    pub device_fd: RawFd,
    /// Index into [`Handover::containers`].
    pub container: usize,
}

/// Everything a secondary is given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Handover {
    pub simulated: bool,
    /// The secondary's share of the IOVA space; None when windows are disabled (debug).
    pub window: Option<IovaRange>,
    pub containers: Vec<HandedContainer>,
    pub devices: Vec<HandedDevice>,
    /// A `vfio_multi_process_manager` owns the devices: nothing is handed over and the
    /// secondary is started without [`SECONDARY_ENV`], so it finds the manager by itself
    /// (never encoded).
    pub through_manager: bool,
}

fn bad(reason: impl Into<String>) -> VfioError {
    VfioError::Environment {
        variable: SECONDARY_ENV,
        reason: reason.into(),
    }
}

fn parse_u64(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn parse_fd(text: &str) -> Option<RawFd> {
    text.parse::<RawFd>().ok().filter(|fd| *fd >= 0)
}

impl Handover {
    /// The text put in [`SECONDARY_ENV`].
    pub fn encode(&self) -> String {
        let window = match self.window {
            Some(w) => format!("0x{:x}-0x{:x}", w.start, w.end),
            None => "none".into(),
        };
        let containers: Vec<String> = self
            .containers
            .iter()
            .map(|c| format!("{}:{}", c.fd, c.iommu_type))
            .collect();
        let devices: Vec<String> = self
            .devices
            .iter()
            .map(|d| {
                format!(
                    "{}/{}/{}/{}/{}",
                    d.location, d.group, d.group_fd, d.device_fd, d.container
                )
            })
            .collect();
        format!(
            "v={VERSION} sim={} window={window} containers={} devices={}",
            u8::from(self.simulated),
            containers.join(","),
            devices.join(",")
        )
    }

    /// Parses the text of [`SECONDARY_ENV`], checking it is self-consistent (every fd
    /// named once, except a group fd shared by devices of one group; container indexes in
    /// range; a window that is not empty).
    pub fn decode(text: &str) -> Result<Self> {
        let mut h = Handover::default();
        let mut seen = std::collections::HashSet::new();
        let (mut version, mut sim, mut window, mut containers, mut devices) =
            (false, false, false, false, false);
        for field in text.split_whitespace() {
            let (key, value) = field
                .split_once('=')
                .ok_or_else(|| bad(format!("field '{field}' is not key=value")))?;
            let once = |flag: &mut bool| {
                if std::mem::replace(flag, true) {
                    Err(bad(format!("field '{key}' given twice")))
                } else {
                    Ok(())
                }
            };
            match key {
                "v" => {
                    once(&mut version)?;
                    if value != VERSION {
                        return Err(bad(format!("version {value}, expected {VERSION}")));
                    }
                }
                "sim" => {
                    once(&mut sim)?;
                    h.simulated = match value {
                        "0" => false,
                        "1" => true,
                        _ => return Err(bad(format!("sim={value} is not 0 or 1"))),
                    };
                }
                "window" => {
                    once(&mut window)?;
                    h.window = if value == "none" {
                        None
                    } else {
                        let (s, e) = value
                            .split_once('-')
                            .and_then(|(s, e)| Some((parse_u64(s)?, parse_u64(e)?)))
                            .ok_or_else(|| bad(format!("window '{value}' is not <start>-<end>")))?;
                        if s > e {
                            return Err(bad(format!("window '{value}' is empty")));
                        }
                        Some(IovaRange::new(s, e))
                    };
                }
                "containers" => {
                    once(&mut containers)?;
                    for c in value.split(',').filter(|c| !c.is_empty()) {
                        let (fd, t) = c
                            .split_once(':')
                            .and_then(|(f, t)| Some((parse_fd(f)?, t.parse::<u32>().ok()?)))
                            .ok_or_else(|| bad(format!("container '{c}' is not <fd>:<type>")))?;
                        if !seen.insert(fd) {
                            return Err(bad(format!("fd {fd} named twice")));
                        }
                        h.containers.push(HandedContainer { fd, iommu_type: t });
                    }
                }
                "devices" => {
                    once(&mut devices)?;
                    for d in value.split(',').filter(|d| !d.is_empty()) {
                        let parts: Vec<&str> = d.split('/').collect();
                        let invalid = || {
                            bad(format!(
                                "device '{d}' is not <location>/<group>/<group fd>/<device fd>/<container>"
                            ))
                        };
                        let [loc, group, gfd, dfd, cidx] = parts.as_slice() else {
                            return Err(invalid());
                        };
                        h.devices.push(HandedDevice {
                            location: loc.parse().map_err(|_| invalid())?,
                            group: group.parse().map_err(|_| invalid())?,
                            group_fd: parse_fd(gfd).ok_or_else(invalid)?,
                            device_fd: parse_fd(dfd).ok_or_else(invalid)?,
                            container: cidx.parse().map_err(|_| invalid())?,
                        });
                    }
                }
                _ => return Err(bad(format!("unknown field '{key}'"))),
            }
        }
        if !version {
            return Err(bad("no version field"));
        }
        // Device fds are unique; a group fd is shared only by devices of the same group.
        let mut group_fds: std::collections::HashMap<RawFd, u32> = Default::default();
        let mut locations = std::collections::HashSet::new();
        for d in &h.devices {
            if d.container >= h.containers.len() {
                return Err(bad(format!(
                    "device {} refers to container {} of {}",
                    d.location,
                    d.container,
                    h.containers.len()
                )));
            }
            if !locations.insert(d.location) {
                return Err(bad(format!("device {} named twice", d.location)));
            }
            if !seen.insert(d.device_fd) {
                return Err(bad(format!("fd {} named twice", d.device_fd)));
            }
            match group_fds.get(&d.group_fd) {
                Some(g) if *g != d.group => {
                    return Err(bad(format!("fd {} named for two groups", d.group_fd)))
                }
                Some(_) => {}
                None => {
                    if seen.contains(&d.group_fd) {
                        return Err(bad(format!("fd {} named twice", d.group_fd)));
                    }
                    group_fds.insert(d.group_fd, d.group);
                }
            }
        }
        if h.simulated && !(h.containers.is_empty() && h.devices.is_empty()) {
            return Err(bad("a simulated primary hands over no fds"));
        }
        Ok(h)
    }

    /// Reads [`SECONDARY_ENV`]: None when this is not a secondary.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(SECONDARY_ENV) {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => Self::decode(&text).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(bad("not valid UTF-8")),
        }
    }

    /// Every fd the secondary must inherit (each once).
    pub fn fds(&self) -> Vec<RawFd> {
        let mut fds: Vec<RawFd> = self.containers.iter().map(|c| c.fd).collect();
        for d in &self.devices {
            for fd in [d.group_fd, d.device_fd] {
                if !fds.contains(&fd) {
                    fds.push(fd);
                }
            }
        }
        fds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Handover {
        Handover {
            simulated: false,
            through_manager: false,
            window: Some(IovaRange::new(0x100_0000, 0x1ff_ffff)),
            containers: vec![HandedContainer {
                fd: 4,
                iommu_type: 3,
            }],
            devices: vec![
                HandedDevice {
                    location: "0000:00:03.0".parse().unwrap(),
                    group: 3,
                    group_fd: 5,
                    device_fd: 6,
                    container: 0,
                },
                HandedDevice {
                    location: "0000:00:03.1".parse().unwrap(),
                    group: 3,
                    group_fd: 5,
                    device_fd: 7,
                    container: 0,
                },
            ],
        }
    }

    #[test]
    fn round_trip_and_text() {
        let h = sample();
        let text = h.encode();
        assert_eq!(
            text,
            "v=1 sim=0 window=0x1000000-0x1ffffff containers=4:3 devices=0000:00:03.0/3/5/6/0,0000:00:03.1/3/5/7/0"
        );
        assert_eq!(Handover::decode(&text).unwrap(), h);
        assert_eq!(h.fds(), vec![4, 5, 6, 7]);
        let sim = Handover {
            simulated: true,
            window: None,
            ..Handover::default()
        };
        assert_eq!(Handover::decode(&sim.encode()).unwrap(), sim);
    }

    #[test]
    fn inconsistent_text_is_refused() {
        for text in [
            "",
            "v=2 sim=0 window=none containers= devices=",
            "v=1 window=0x10-0x1",
            "v=1 containers=4:3 devices=0000:00:03.0/3/4/6/0",
            "v=1 containers=4:3 devices=0000:00:03.0/3/5/6/1",
            "v=1 containers=4:3 devices=0000:00:03.0/3/5/6/0,0000:00:04.0/4/5/7/0",
            "v=1 containers=4:3 devices=0000:00:03.0/3/5/6/0,0000:00:03.0/3/5/7/0",
            "v=1 containers=-1:3",
            "v=1 sim=1 containers=4:3",
            "v=1 v=1",
            "v=1 bogus=1",
            "v=1 devices=garbage",
        ] {
            let e = Handover::decode(text).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("invalid FPGA_SIO_SECONDARY environment"),
                "{text}: {e}"
            );
        }
    }
}
