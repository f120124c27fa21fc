//! Generates valid 7-series / UltraScale configuration bitstreams for simulated flash.
