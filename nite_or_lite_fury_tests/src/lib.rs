//! nite_or_lite_fury_tests
