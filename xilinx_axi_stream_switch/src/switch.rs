//! The switch's routing operations (designs_after_seed.md §2.3). The number of ports is not
//! readable from the registers, so the caller supplies it (from the design record).

use vfio_access::Mmio;

use crate::registers::{
    mi_mux, CONTROL, CONTROL_REG_UPDATE, MAX_PORTS, MI_MUX_DISABLE, MI_MUX_SLAVE_MASK,
};

/// The route of one master port: which slave port feeds it, and whether it is enabled.
/// The slave is kept for a disabled port too (MI_MUX returns its bits either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub master_port: u8,
    pub slave_port: u8,
    pub enabled: bool,
}

impl Route {
    pub const fn enabled(master_port: u8, slave_port: u8) -> Self {
        Self {
            master_port,
            slave_port,
            enabled: true,
        }
    }

    /// A disabled master port (written as 0x8000_0000 | slave, slave normally 0).
    pub const fn disabled(master_port: u8) -> Self {
        Self {
            master_port,
            slave_port: 0,
            enabled: false,
        }
    }

    fn mi_mux_value(&self) -> u32 {
        let disable = if self.enabled { 0 } else { MI_MUX_DISABLE };
        disable | (u32::from(self.slave_port) & MI_MUX_SLAVE_MASK)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwitchError {
    #[error("AXI4-Stream Switch with {master_ports} master and {slave_ports} slave ports is not possible (1..16 each)")]
    BadPortCount { master_ports: u8, slave_ports: u8 },
    #[error("master_port {master_port} outside of range of the AXI4-Stream Switch's {master_ports} master ports")]
    MasterPortOutOfRange { master_port: u8, master_ports: u8 },
    #[error("slave_port {slave_port} outside of range of the AXI4-Stream Switch's {slave_ports} slave ports")]
    SlavePortOutOfRange { slave_port: u8, slave_ports: u8 },
    #[error(
        "AXI4-Stream Switch register frame of 0x{0:x} bytes is too small for its master ports"
    )]
    FrameTooSmall(u64),
}

/// Whether a conditional update wrote the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteUpdate {
    Updated,
    Unchanged,
}

/// One switch, through its register frame.
#[derive(Debug, Clone)]
pub struct AxiStreamSwitch {
    regs: Mmio,
    master_ports: u8,
    slave_ports: u8,
}

impl AxiStreamSwitch {
    pub fn new(regs: Mmio, master_ports: u8, slave_ports: u8) -> Result<Self, SwitchError> {
        if !(1..=MAX_PORTS).contains(&master_ports) || !(1..=MAX_PORTS).contains(&slave_ports) {
            return Err(SwitchError::BadPortCount {
                master_ports,
                slave_ports,
            });
        }
        if regs.len() < mi_mux(master_ports) {
            return Err(SwitchError::FrameTooSmall(regs.len()));
        }
        Ok(Self {
            regs,
            master_ports,
            slave_ports,
        })
    }

    pub fn master_ports(&self) -> u8 {
        self.master_ports
    }

    pub fn slave_ports(&self) -> u8 {
        self.slave_ports
    }

    fn check(&self, route: &Route) -> Result<(), SwitchError> {
        if route.master_port >= self.master_ports {
            return Err(SwitchError::MasterPortOutOfRange {
                master_port: route.master_port,
                master_ports: self.master_ports,
            });
        }
        if route.slave_port >= self.slave_ports {
            return Err(SwitchError::SlavePortOutOfRange {
                slave_port: route.slave_port,
                slave_ports: self.slave_ports,
            });
        }
        Ok(())
    }

    /// The route of `master_port` as MI_MUX reads it.
    pub fn read_route(&self, master_port: u8) -> Result<Route, SwitchError> {
        if master_port >= self.master_ports {
            return Err(SwitchError::MasterPortOutOfRange {
                master_port,
                master_ports: self.master_ports,
            });
        }
        let value = self.regs.read32(mi_mux(master_port));
        Ok(Route {
            master_port,
            slave_port: (value & MI_MUX_SLAVE_MASK) as u8,
            enabled: value & MI_MUX_DISABLE == 0,
        })
    }

    /// Every master port's route, in port order.
    pub fn read_routes(&self) -> Vec<Route> {
        (0..self.master_ports)
            .map(|m| {
                let value = self.regs.read32(mi_mux(m));
                Route {
                    master_port: m,
                    slave_port: (value & MI_MUX_SLAVE_MASK) as u8,
                    enabled: value & MI_MUX_DISABLE == 0,
                }
            })
            .collect()
    }

    /// Writes MI_MUX of every listed master port, then commits (which soft-resets the
    /// switch for a few clocks). Ports not listed keep their value. Duplicate slaves are not
    /// checked, as in the original: the lowest enabled master wins in the hardware.
    pub fn set_routes(&self, routes: &[Route]) -> Result<(), SwitchError> {
        for r in routes {
            self.check(r)?;
        }
        for r in routes {
            self.regs.write32(mi_mux(r.master_port), r.mi_mux_value());
        }
        self.regs.write32(CONTROL, CONTROL_REG_UPDATE);
        Ok(())
    }

    /// Sets the routes only if some listed port differs (enabled flag or slave bits, the
    /// slave compared even for disabled ports), avoiding a needless soft reset.
    pub fn update_routes(&self, routes: &[Route]) -> Result<RouteUpdate, SwitchError> {
        for r in routes {
            self.check(r)?;
        }
        let unchanged = routes
            .iter()
            .all(|r| self.read_route(r.master_port).is_ok_and(|now| now == *r));
        if unchanged {
            return Ok(RouteUpdate::Unchanged);
        }
        self.set_routes(routes)?;
        Ok(RouteUpdate::Updated)
    }
}
