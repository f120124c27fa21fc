//! SMBus 2.0 pieces shared by the bus drivers and the decoders: packet error code, the
//! status values that appear in user-visible messages, and the message layer over any
//! embedded-hal bus.

pub mod pec;
pub mod status;
pub mod transfer;
