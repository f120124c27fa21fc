//! SMBus 2.0 pieces shared by the bus drivers and the decoders: packet error code and
//! the status values that appear in user-visible messages.

pub mod pec;
pub mod status;
