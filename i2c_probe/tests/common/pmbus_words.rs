//! PMBus raw words of spec 8.3 (command, page 0 or single word, page 1 word) and the
//! printed values, per device.

#![allow(dead_code)]

/// (command, page0/single word, page0 text, page1 word (None = not paged), page1 text)
pub type WordRow = (u8, u16, &'static str, Option<u16>, &'static str);

pub const WORDS_0X40: [WordRow; 28] = [
    (0x88, 0xD307, "12.109", None, ""),
    (0x89, 0xAA6F, "0.304", None, ""),
    (0x8e, 0xE3BD, "59.812", None, ""),
    (0xde, 0xD309, "12.141", None, ""),
    (0xf4, 0xE3CE, "60.875", None, ""),
    (0x8b, 0x1800, "1.500", Some(0x4000), "4.000"),
    (0xed, 0xA2C9, "0.174", Some(0xA214), "0.130"),
    (0x8c, 0xBA35, "1.104", Some(0xAA68), "0.301"),
    (0x8d, 0xE2A3, "42.188", Some(0xE2B7), "43.438"),
    (0x94, 0xD33F, "12.984", Some(0xE214), "33.250"),
    (0x96, 0xBB4F, "1.654", Some(0xBA68), "1.203"),
    (0xdd, 0x1804, "1.501", Some(0x4004), "4.001"),
    (0xdf, 0xE2B3, "43.188", Some(0xE2C9), "44.562"),
    (0xd7, 0xBA3D, "1.119", Some(0xAAB2), "0.337"),
    (0x24, 0x19CF, "1.613", Some(0x44CD), "4.300"),
    (0x40, 0x1A66, "1.650", Some(0x4666), "4.400"),
    (0x42, 0x19CF, "1.613", Some(0x44CD), "4.300"),
    (0x25, 0x1933, "1.575", Some(0x4333), "4.200"),
    (0x21, 0x1800, "1.500", Some(0x4000), "4.000"),
    (0x26, 0x16CD, "1.425", Some(0x3CCD), "3.800"),
    (0x43, 0x1673, "1.403", Some(0x3BD7), "3.740"),
    (0x44, 0x1652, "1.395", Some(0x3B85), "3.720"),
    (0xa5, 0x2C00, "2.750", Some(0x5B33), "5.700"),
    (0x46, 0xDADB, "22.844", Some(0xDADB), "22.844"),
    (0x4a, 0xD3E6, "15.594", Some(0xD3E6), "15.594"),
    (0x4f, 0xF200, "128.000", Some(0xF200), "128.000"),
    (0x51, 0xEBE8, "125.000", Some(0xEBE8), "125.000"),
    (0x53, 0xE530, "-45.000", Some(0xE530), "-45.000"),
];

pub const WORDS_0X4F: [WordRow; 28] = [
    (0x88, 0xD30A, "12.156", None, ""),
    (0x89, 0x9B3B, "0.101", None, ""),
    (0x8e, 0xE357, "53.438", None, ""),
    (0xde, 0xD30B, "12.172", None, ""),
    (0xf4, 0xE363, "54.188", None, ""),
    (0x8b, 0x1004, "1.001", Some(0x1004), "1.001"),
    (0xed, 0x93B6, "0.058", Some(0x92C1), "0.043"),
    (0x8c, 0xAA9A, "0.325", Some(0xA26F), "0.152"),
    (0x8d, 0xE280, "40.000", Some(0xE28E), "40.875"),
    (0x94, 0xD226, "8.594", Some(0xD223), "8.547"),
    (0x96, 0xAA9A, "0.325", Some(0xA26F), "0.152"),
    (0xdd, 0x1008, "1.002", Some(0x1008), "1.002"),
    (0xdf, 0xE28E, "40.875", Some(0xE29E), "41.875"),
    (0xd7, 0xB3FB, "0.995", Some(0xB38B), "0.886"),
    (0x24, 0x1137, "1.076", Some(0x1137), "1.076"),
    (0x40, 0x119E, "1.101", Some(0x119E), "1.101"),
    (0x42, 0x1137, "1.076", Some(0x1137), "1.076"),
    (0x25, 0x10D1, "1.051", Some(0x10D1), "1.051"),
    (0x21, 0x1004, "1.001", Some(0x1004), "1.001"),
    (0x26, 0x0F37, "0.951", Some(0x0F37), "0.951"),
    (0x43, 0x0EFA, "0.936", Some(0x0EFA), "0.936"),
    (0x44, 0x0EE5, "0.931", Some(0x0EE5), "0.931"),
    (0xa5, 0x2C00, "2.750", Some(0x2C00), "2.750"),
    (0x46, 0xDADB, "22.844", Some(0xDADB), "22.844"),
    (0x4a, 0xD3E6, "15.594", Some(0xD3E6), "15.594"),
    (0x4f, 0xF200, "128.000", Some(0xF200), "128.000"),
    (0x51, 0xEBE8, "125.000", Some(0xEBE8), "125.000"),
    (0x53, 0xE530, "-45.000", Some(0xE530), "-45.000"),
];
