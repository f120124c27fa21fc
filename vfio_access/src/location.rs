//! PCI locations (`dddd:bb:dd.f`) and the location filters built from them.

use std::fmt;
use std::str::FromStr;

use crate::error::VfioError;

/// A PCI function address: domain, bus, device, function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciLocation {
    pub domain: u32,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl PciLocation {
    pub const fn new(domain: u32, bus: u8, device: u8, function: u8) -> Self {
        Self {
            domain,
            bus,
            device,
            function,
        }
    }

    /// The slot part (`dddd:bb:dd`) used by `/sys/bus/pci/slots/*/address`.
    pub fn slot_address(&self) -> String {
        format!("{:04x}:{:02x}:{:02x}", self.domain, self.bus, self.device)
    }
}

impl fmt::Display for PciLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

impl FromStr for PciLocation {
    type Err = VfioError;

    /// Parses `<domain>:<bus>:<dev>.<func>` with every field in hex (the original parsed the
    /// domain as decimal, a bug), or the short `<bus>:<dev>.<func>` form meaning domain 0.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || VfioError::InvalidLocation(text.to_string());
        let (head, func) = text.rsplit_once('.').ok_or_else(invalid)?;
        let parts: Vec<&str> = head.split(':').collect();
        let (domain, bus, dev) = match parts.as_slice() {
            [d, b, v] => (*d, *b, *v),
            [b, v] => ("0", *b, *v),
            _ => return Err(invalid()),
        };
        let hex = |s: &str, max: u32| -> Result<u32, VfioError> {
            if s.is_empty() || s.len() > 8 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(invalid());
            }
            let v = u32::from_str_radix(s, 16).map_err(|_| invalid())?;
            if v > max {
                return Err(invalid());
            }
            Ok(v)
        };
        Ok(PciLocation {
            domain: hex(domain, 0xffff)?,
            bus: hex(bus, 0xff)? as u8,
            device: hex(dev, 0x1f)? as u8,
            function: hex(func, 0x7)? as u8,
        })
    }
}

/// The set of locations a user asked for with `-d`. Empty means "any location".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationFilters {
    locations: Vec<PciLocation>,
}

impl LocationFilters {
    pub fn new(locations: &[PciLocation]) -> Self {
        let mut filters = Self::default();
        for &l in locations {
            filters.add(l);
        }
        filters
    }

    /// Adds a location; a duplicate is not added twice. There is no fixed maximum.
    pub fn add(&mut self, location: PciLocation) {
        if !self.locations.contains(&location) {
            self.locations.push(location);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }

    pub fn locations(&self) -> &[PciLocation] {
        &self.locations
    }

    pub fn matches(&self, location: PciLocation) -> bool {
        self.locations.is_empty() || self.locations.contains(&location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_short_forms_in_hex() {
        let l: PciLocation = "0000:2e:00.0".parse().unwrap();
        assert_eq!(l, PciLocation::new(0, 0x2e, 0, 0));
        assert_eq!(l.to_string(), "0000:2e:00.0");
        let l: PciLocation = "10:15:1f.7".parse().unwrap();
        assert_eq!(l, PciLocation::new(0x10, 0x15, 0x1f, 7));
        assert_eq!(l.to_string(), "0010:15:1f.7");
        let l: PciLocation = "03:00.1".parse().unwrap();
        assert_eq!(l, PciLocation::new(0, 3, 0, 1));
    }

    #[test]
    fn rejects_bad_text_with_the_text_in_the_error() {
        for bad in [
            "garbage",
            "",
            "0000:2e:00",
            "0000:2e:00.8",
            "0000:2e:20.0",
            "0000:100:00.0",
            "10000:00:00.0",
            "0000:2e:00.0x",
            "0000:2e:00.0.1",
            "a:b:c:d.0",
            "0000:-1:00.0",
        ] {
            let err = bad.parse::<PciLocation>().unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("Invalid PCI device location filter {bad}")
            );
        }
    }

    #[test]
    fn filters_deduplicate_and_match() {
        let a: PciLocation = "0000:15:00.0".parse().unwrap();
        let b: PciLocation = "0000:30:00.0".parse().unwrap();
        let f = LocationFilters::new(&[a, a, b]);
        assert_eq!(f.locations().len(), 2);
        assert!(f.matches(a));
        assert!(!f.matches(PciLocation::new(0, 0x2e, 0, 0)));
        assert!(LocationFilters::default().matches(a));
    }
}
