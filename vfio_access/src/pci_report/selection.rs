//! Which devices `dump_pci_info` lists: positional filters as the original took them
//! (`dddd:bb:dd.f` or `bb:dd.f`, `vid:did`, `vid`, all hex) plus `-d` locations.

use std::str::FromStr;

use crate::filter::PciIdentity;
use crate::location::PciLocation;

/// One positional filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSelector {
    Location(PciLocation),
    Ids { vendor_id: u16, device_id: u16 },
    Vendor(u16),
}

fn hex16(text: &str) -> Option<u16> {
    let t = text.strip_prefix("0x").unwrap_or(text);
    if t.is_empty() || t.len() > 4 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(t, 16).ok()
}

impl FromStr for DeviceSelector {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!("Invalid device filter {text} (expected dddd:bb:dd.f, vendor:device or vendor, in hex)")
        };
        if text.contains('.') {
            return text
                .parse::<PciLocation>()
                .map(Self::Location)
                .map_err(|e| e.to_string());
        }
        match text.split_once(':') {
            Some((v, d)) => Ok(Self::Ids {
                vendor_id: hex16(v).ok_or_else(invalid)?,
                device_id: hex16(d).ok_or_else(invalid)?,
            }),
            None => hex16(text).map(Self::Vendor).ok_or_else(invalid),
        }
    }
}

/// The combined selection: a device is listed when it is at one of the locations (if any
/// were given) and has one of the identities (if any were given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub locations: Vec<PciLocation>,
    /// (vendor, device or any).
    pub identities: Vec<(u16, Option<u16>)>,
}

impl Selection {
    pub fn new(
        selectors: &[DeviceSelector],
        locations: &[PciLocation],
        vendor: Option<u16>,
    ) -> Self {
        let mut s = Selection {
            locations: locations.to_vec(),
            identities: vendor.map(|v| (v, None)).into_iter().collect(),
        };
        for sel in selectors {
            match *sel {
                DeviceSelector::Location(l) => s.locations.push(l),
                DeviceSelector::Ids {
                    vendor_id,
                    device_id,
                } => s.identities.push((vendor_id, Some(device_id))),
                DeviceSelector::Vendor(v) => s.identities.push((v, None)),
            }
        }
        s
    }

    pub fn matches(&self, location: PciLocation, identity: &PciIdentity) -> bool {
        let at = self.locations.is_empty() || self.locations.contains(&location);
        let is = self.identities.is_empty()
            || self.identities.iter().any(|&(v, d)| {
                v == identity.vendor_id && d.is_none_or(|d| d == identity.device_id)
            });
        at && is
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(v: u16, d: u16) -> PciIdentity {
        PciIdentity {
            vendor_id: v,
            device_id: d,
            subsystem_vendor_id: 0,
            subsystem_device_id: 0,
        }
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            "0000:15:00.0".parse::<DeviceSelector>(),
            Ok(DeviceSelector::Location(PciLocation::new(0, 0x15, 0, 0)))
        );
        assert_eq!(
            "30:00.1".parse::<DeviceSelector>(),
            Ok(DeviceSelector::Location(PciLocation::new(0, 0x30, 0, 1)))
        );
        assert_eq!(
            "10ee:7024".parse::<DeviceSelector>(),
            Ok(DeviceSelector::Ids {
                vendor_id: 0x10ee,
                device_id: 0x7024
            })
        );
        assert_eq!(
            "1af4".parse::<DeviceSelector>(),
            Ok(DeviceSelector::Vendor(0x1af4))
        );
        for bad in [
            "",
            "xyz",
            "10ee:",
            ":7024",
            "12345",
            "10ee:7024:1",
            "0000:15:00.9",
        ] {
            let e = bad.parse::<DeviceSelector>().unwrap_err();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn locations_and_identities_combine() {
        let loc_a = PciLocation::new(0, 0x15, 0, 0);
        let loc_b = PciLocation::new(0, 0x30, 0, 0);
        let all = Selection::default();
        assert!(all.matches(loc_a, &id(1, 2)));
        let s = Selection::new(
            &[
                DeviceSelector::Ids {
                    vendor_id: 0x10ee,
                    device_id: 0x7024,
                },
                DeviceSelector::Vendor(0x1af4),
            ],
            &[],
            None,
        );
        assert!(s.matches(loc_a, &id(0x10ee, 0x7024)));
        assert!(!s.matches(loc_a, &id(0x10ee, 0x7011)));
        assert!(s.matches(loc_a, &id(0x1af4, 0x1041)));
        let s = Selection::new(&[DeviceSelector::Location(loc_b)], &[loc_a], Some(0x10ee));
        assert!(s.matches(loc_a, &id(0x10ee, 1)) && s.matches(loc_b, &id(0x10ee, 2)));
        assert!(!s.matches(loc_b, &id(0x1af4, 2)));
        assert!(!s.matches(PciLocation::new(0, 1, 0, 0), &id(0x10ee, 2)));
    }
}
