//! Decoding the error codes the CPU pushes (Intel SDM Vol. 3A, 6.13 and
//! 4.7): pure, host-tested, used by the exception reports.

use core::fmt;

/// How `vector`'s error code is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// #TS, #NP, #SS, #GP: a segment selector or IDT vector index.
    Selector,
    /// #PF: what kind of access faulted.
    PageFault,
    /// #DF, #AC and the rest: always 0 or model-specific; shown raw.
    Raw,
}

pub fn format(vector: u8) -> Format {
    match vector {
        10..=13 => Format::Selector,
        14 => Format::PageFault,
        _ => Format::Raw,
    }
}

/// Selector-format bits (SDM 3A, figure 6-6).
const EXT: u32 = 1 << 0; // raised by an event external to the program
const IDT: u32 = 1 << 1; // the index names an IDT gate
const TI: u32 = 1 << 2; // with IDT clear: 1 = LDT, 0 = GDT

/// Page-fault bits (SDM 3A, figure 4-12).
const PF_PRESENT: u32 = 1 << 0;
const PF_WRITE: u32 = 1 << 1;
const PF_USER: u32 = 1 << 2;
const PF_RESERVED: u32 = 1 << 3;
/// I/D: the access was an instruction fetch. The CPU sets this bit only
/// when it could refuse a fetch that a read would be allowed: with PAE
/// paging and NX enabled, or with SMEP (SDM 3A, 4.7). Under the 32-bit
/// paging this kernel uses, neither exists, so a fetch from a page the
/// code may not use is reported as a read (the report then points out
/// that CR2 equals EIP).
const PF_FETCH: u32 = 1 << 4;

/// `Display`s an error code in words: `[GDT selector 0x1238 (index 583)]`,
/// `[IDT vector 0x99, external]`, `[write to a not-present page, from ring 3]`.
pub struct Decoded {
    pub vector: u8,
    pub code: u32,
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code;
        match format(self.vector) {
            Format::Selector if code == 0 => {
                f.write_str("[no selector: null or not segment-related]")
            }
            Format::Selector => {
                let index = code >> 3;
                if code & IDT != 0 {
                    write!(f, "[IDT vector {index:#04x}")?;
                } else {
                    let table = if code & TI != 0 { "LDT" } else { "GDT" };
                    write!(f, "[{table} selector {:#06x} (index {index})", code & !(EXT | IDT))?;
                }
                if code & EXT != 0 {
                    f.write_str(", external event")?;
                }
                f.write_str("]")
            }
            Format::PageFault => {
                let access = if code & PF_FETCH != 0 {
                    "instruction fetch from"
                } else if code & PF_WRITE != 0 {
                    "write to"
                } else {
                    "read from"
                };
                let page =
                    if code & PF_PRESENT != 0 { "a protected page" } else { "a not-present page" };
                let ring = if code & PF_USER != 0 { "ring 3" } else { "ring 0" };
                write!(f, "[{access} {page}, from {ring}")?;
                if code & PF_RESERVED != 0 {
                    f.write_str(", reserved bit set in a paging entry")?;
                }
                f.write_str("]")
            }
            Format::Raw => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    fn text(vector: u8, code: u32) -> std::string::String {
        Decoded { vector, code }.to_string()
    }

    #[test]
    fn selector_errors() {
        assert_eq!(text(13, 0x1238), "[GDT selector 0x1238 (index 583)]");
        assert_eq!(text(13, 0x1238 | 4), "[LDT selector 0x123c (index 583)]");
        assert_eq!(text(13, (0x80 << 3) | 2), "[IDT vector 0x80]");
        assert_eq!(text(11, 0x28 | 1), "[GDT selector 0x0028 (index 5), external event]");
        assert_eq!(text(13, 0), "[no selector: null or not segment-related]");
    }

    #[test]
    fn page_fault_errors() {
        assert_eq!(text(14, 0b000), "[read from a not-present page, from ring 0]");
        assert_eq!(text(14, 0b010), "[write to a not-present page, from ring 0]");
        assert_eq!(text(14, 0b101), "[read from a protected page, from ring 3]");
        assert_eq!(text(14, 0b10100), "[instruction fetch from a not-present page, from ring 3]");
        assert_eq!(
            text(14, 0b1001),
            "[read from a protected page, from ring 0, reserved bit set in a paging entry]"
        );
    }

    #[test]
    fn others_are_raw() {
        assert_eq!(format(8), Format::Raw);
        assert_eq!(format(17), Format::Raw);
        assert_eq!(text(8, 0), "");
    }
}
