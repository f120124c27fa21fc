//! The `--device_routing <domain>:<bus>:<dev>.<func>[,<master_port>:<slave_port>]...` option
//! (designs_after_seed.md §2.6): a device location and zero or more routes to enable on it.
//! Ranges are checked later, against the design found at the location (§2.5).

use vfio_access::PciLocation;

/// Most devices the option may name.
pub const MAX_DEVICES: usize = 8;
/// Most `master:slave` pairs per device.
pub const MAX_ROUTES_PER_DEVICE: usize = 16;

/// The usage text shared by every program taking `--device_routing` (§2.6, exact).
pub const DEVICE_ROUTING_USAGE: &str = "\
--device_routing <domain>:<bus>:<dev>.<func>[,<master_port>:<slave_port>]
  Specify a PCI device to set the AXI4-Stream Switch routing for.
  The routing in specified as zero or more pairs of the master port and the
  slave port used for the route. Unspecified master ports are left disabled
  May be used more than once.";

/// One occurrence of the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRouting {
    pub location: PciLocation,
    /// The device field as written (named in the "too many routes" message).
    pub device_text: String,
    /// `(master_port, slave_port)` pairs as given; a leading minus wraps, as C's `%u` does,
    /// so that the range check rejects it.
    pub routes: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceRoutingError {
    #[error("Failed to extract device from {0}")]
    Device(String),
    #[error("Failed to extract ports from {0}")]
    Ports(String),
    #[error("Maximum number of routes reached for {0}")]
    TooManyRoutes(String),
    #[error("Maximum number of devices reached")]
    TooManyDevices,
}

/// Domain decimal; bus, device and function hexadecimal; nothing after the function.
fn parse_device(text: &str) -> Option<PciLocation> {
    let (domain, rest) = text.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (device, function) = rest.split_once('.')?;
    let hex = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(s, 16).ok())
            .flatten()
    };
    let domain = (!domain.is_empty() && domain.bytes().all(|b| b.is_ascii_digit()))
        .then(|| domain.parse::<u32>().ok())
        .flatten()?;
    let bus = u8::try_from(hex(bus)?).ok()?;
    let device = hex(device).filter(|d| *d < 32)? as u8;
    let function = hex(function).filter(|f| *f < 8)? as u8;
    Some(PciLocation::new(domain, bus, device, function))
}

/// An unsigned decimal number; a leading minus wraps modulo 2^32 (C `%u`).
fn parse_port(text: &str) -> Option<u32> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits.parse::<u32>().ok()?;
    Some(if negative {
        0u32.wrapping_sub(value)
    } else {
        value
    })
}

impl DeviceRouting {
    /// Parses one option argument; empty comma-separated fields are ignored.
    pub fn parse(argument: &str) -> Result<Self, DeviceRoutingError> {
        let mut fields = argument.split(',').filter(|f| !f.is_empty());
        let device_text = fields
            .next()
            .ok_or_else(|| DeviceRoutingError::Device(argument.to_string()))?;
        let location = parse_device(device_text)
            .ok_or_else(|| DeviceRoutingError::Device(argument.to_string()))?;
        let mut routes = Vec::new();
        for pair in fields {
            let ports = pair
                .split_once(':')
                .and_then(|(m, s)| Some((parse_port(m)?, parse_port(s)?)))
                .ok_or_else(|| DeviceRoutingError::Ports(pair.to_string()))?;
            if routes.len() == MAX_ROUTES_PER_DEVICE {
                return Err(DeviceRoutingError::TooManyRoutes(device_text.to_string()));
            }
            routes.push(ports);
        }
        Ok(Self {
            location,
            device_text: device_text.to_string(),
            routes,
        })
    }
}

/// Every occurrence of the option, in command-line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceRoutings(Vec<DeviceRouting>);

impl DeviceRoutings {
    /// Parses every occurrence; the ninth device is refused.
    pub fn parse<'a>(
        arguments: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, DeviceRoutingError> {
        let mut all = Vec::new();
        for a in arguments {
            if all.len() == MAX_DEVICES {
                return Err(DeviceRoutingError::TooManyDevices);
            }
            all.push(DeviceRouting::parse(a)?);
        }
        Ok(Self(all))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &DeviceRouting> {
        self.0.iter()
    }

    /// The first entry naming `location`.
    pub fn for_location(&self, location: PciLocation) -> Option<&DeviceRouting> {
        self.0.iter().find(|d| d.location == location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_and_pairs() {
        let r = DeviceRouting::parse("0:15:00.0,0:1,,1:0").unwrap();
        assert_eq!(r.location, PciLocation::new(0, 0x15, 0, 0));
        assert_eq!(r.routes, vec![(0, 1), (1, 0)]);
        let bare = DeviceRouting::parse("0000:30:00.0").unwrap();
        assert!(bare.routes.is_empty());
        // The domain is decimal: "10" is domain ten.
        assert_eq!(
            DeviceRouting::parse("10:ab:1f.7").unwrap().location,
            PciLocation::new(10, 0xab, 0x1f, 7)
        );
        assert_eq!(
            DeviceRouting::parse("0:15:00.0,-1:0").unwrap().routes,
            vec![(u32::MAX, 0)]
        );
    }

    #[test]
    fn errors_name_what_failed() {
        for bad in [
            "",
            ",",
            "0:15:00",
            "0:15:00.0x",
            "x:15:00.0",
            "0010:1:2.8",
            "0:100:00.0",
        ] {
            assert_eq!(
                DeviceRouting::parse(bad).unwrap_err().to_string(),
                format!("Failed to extract device from {bad}")
            );
        }
        for (arg, pair) in [
            ("0:15:00.0,1", "1"),
            ("0:15:00.0,1:x", "1:x"),
            ("0:15:00.0,1:2:3", "1:2:3"),
            ("0:15:00.0,1: 2", "1: 2"),
        ] {
            assert_eq!(
                DeviceRouting::parse(arg).unwrap_err().to_string(),
                format!("Failed to extract ports from {pair}")
            );
        }
        let seventeen = format!("0:15:00.0{}", ",0:0".repeat(17));
        assert_eq!(
            DeviceRouting::parse(&seventeen).unwrap_err().to_string(),
            "Maximum number of routes reached for 0:15:00.0"
        );
        assert!(DeviceRouting::parse(&format!("0:15:00.0{}", ",0:0".repeat(16))).is_ok());
        let nine: Vec<String> = (1..=9).map(|b| format!("0:{b:x}:00.0")).collect();
        assert_eq!(
            DeviceRoutings::parse(nine.iter().map(String::as_str)).unwrap_err(),
            DeviceRoutingError::TooManyDevices
        );
        assert_eq!(
            DeviceRoutings::parse(nine[..8].iter().map(String::as_str))
                .unwrap()
                .iter()
                .count(),
            8
        );
    }

    #[test]
    fn first_entry_for_a_location_wins() {
        let all = DeviceRoutings::parse(["0:15:00.0,0:0", "0:15:00.0,1:1"]).unwrap();
        assert_eq!(
            all.for_location(PciLocation::new(0, 0x15, 0, 0))
                .unwrap()
                .routes,
            vec![(0, 0)]
        );
        assert!(all.for_location(PciLocation::new(0, 0x16, 0, 0)).is_none());
    }
}
