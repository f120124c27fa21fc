//! identify_design
