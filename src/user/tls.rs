//! set_thread_area: a program's request for a thread-local-storage
//! segment, checked and turned into a GDT descriptor.
//!
//! The program passes a `struct user_desc` (Linux's asm/ldt.h), 16 bytes:
//!
//! ```text
//!   +0  entry_number   a GDT slot, 6 to 8, or -1: "any free one", and the
//!                      kernel writes the slot it chose back here
//!   +4  base_addr      where GS:0 will be (glibc: its thread control block)
//!   +8  limit          20 bits, in bytes or (limit_in_pages) in 4 KiB pages
//!   +12 flags          bit 0 seg_32bit, bits 1-2 contents, bit 3
//!                      read_exec_only, bit 4 limit_in_pages, bit 5
//!                      seg_not_present, bit 6 useable
//! ```
//!
//! What is accepted follows Linux's rules (arch/x86/kernel/tls.c): a
//! 32-bit, present data segment (contents 0, or 1 for expand-down); or
//! "no segment", which empties the slot, asked for either by the
//! documented empty form (read_exec_only and seg_not_present set, the
//! rest 0) or by all zeros, which programs have long used for it. Code
//! segments, 16-bit segments and not-present ones are -EINVAL. The
//! segment is always DPL 3 and its base may be anywhere: paging, not the
//! segment, keeps a program out of the kernel (GS:0 at a kernel address
//! is a #PF like any other access there).
//!
//! Pure, host-tested; the system call (src/user/syscall/process.rs) copies the
//! struct in and out, the scheduler installs the result (src/cpu/gdt.rs).

use crate::cpu::gdt::{descriptor, Access, Flags, TlsDescriptors, TLS_ENTRIES, TLS_FIRST_INDEX};

/// `struct user_desc`, read from the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserDesc {
    pub entry_number: u32,
    pub base: u32,
    pub limit: u32,
    pub flags: u32,
}

/// Bytes of a `struct user_desc`.
pub const USER_DESC_BYTES: usize = 16;

const SEG_32BIT: u32 = 1 << 0;
const CONTENTS_SHIFT: u32 = 1;
const CONTENTS_MASK: u32 = 3 << CONTENTS_SHIFT;
const READ_EXEC_ONLY: u32 = 1 << 3;
const LIMIT_IN_PAGES: u32 = 1 << 4;
const SEG_NOT_PRESENT: u32 = 1 << 5;
const USEABLE: u32 = 1 << 6;
/// The flag bits that mean something on i386 (bit 7, `lm`, is x86-64's).
const KNOWN_FLAGS: u32 =
    SEG_32BIT | CONTENTS_MASK | READ_EXEC_ONLY | LIMIT_IN_PAGES | SEG_NOT_PRESENT | USEABLE;
/// contents 1: a data segment that expands down (a stack).
const CONTENTS_EXPAND_DOWN: u32 = 1;
/// entry_number -1: "choose a free slot and tell me which".
pub const ANY_FREE_ENTRY: u32 = u32::MAX;

/// Why a request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a segment a program may have, or not a TLS slot (-EINVAL).
    Invalid,
    /// entry_number -1, but every slot is taken (-ESRCH).
    NoFreeSlot,
}

/// What to do: put `descriptor` (0: empty the slot) into TLS slot `slot`
/// (0 to TLS_ENTRIES - 1); if `write_back`, the program asked for any
/// free slot and must be told its GDT index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub slot: usize,
    pub descriptor: u64,
    pub write_back: Option<u32>,
}

impl UserDesc {
    pub fn parse(b: &[u8; USER_DESC_BYTES]) -> UserDesc {
        let word = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        UserDesc { entry_number: word(0), base: word(4), limit: word(8), flags: word(12) }
    }

    fn contents(&self) -> u32 {
        (self.flags & CONTENTS_MASK) >> CONTENTS_SHIFT
    }

    /// "No segment": the documented empty form, or all zeros.
    fn is_empty_request(&self) -> bool {
        let known = self.flags & KNOWN_FLAGS;
        self.base == 0
            && self.limit == 0
            && (known == READ_EXEC_ONLY | SEG_NOT_PRESENT || known == 0)
    }

    /// The GDT descriptor this asks for: 0 for "no segment", or a DPL-3
    /// data segment.
    pub fn descriptor(&self) -> Result<u64, Refused> {
        if self.is_empty_request() {
            return Ok(0);
        }
        let f = self.flags;
        if f & SEG_32BIT == 0 || self.contents() > CONTENTS_EXPAND_DOWN || f & SEG_NOT_PRESENT != 0
        {
            return Err(Refused::Invalid);
        }
        let mut access = Access::PRESENT | Access::CODE_DATA | Access::DPL_RING3 | Access::ACCESSED;
        if f & READ_EXEC_ONLY == 0 {
            access |= Access::READ_WRITE;
        }
        if self.contents() == CONTENTS_EXPAND_DOWN {
            access |= Access::CONFORMING; // for a data segment: expand-down
        }
        let mut flags = Flags::SIZE_32;
        if f & LIMIT_IN_PAGES != 0 {
            flags |= Flags::GRANULARITY_4K;
        }
        if f & USEABLE != 0 {
            flags |= Flags::AVAILABLE;
        }
        Ok(descriptor(self.base, self.limit & 0xF_FFFF, access, flags))
    }
}

/// Decides a set_thread_area call, in Linux's order: the segment is
/// checked first, then a free slot is found for entry_number -1, then
/// the slot number is checked.
pub fn grant(request: &UserDesc, slots: &TlsDescriptors) -> Result<Grant, Refused> {
    let descriptor = request.descriptor()?;
    let (index, write_back) = if request.entry_number == ANY_FREE_ENTRY {
        let free = slots.iter().position(|&d| d == 0).ok_or(Refused::NoFreeSlot)?;
        let index = (TLS_FIRST_INDEX + free) as u32;
        (index, Some(index))
    } else {
        (request.entry_number, None)
    };
    let slot = (index as usize).checked_sub(TLS_FIRST_INDEX).filter(|&s| s < TLS_ENTRIES);
    let slot = slot.ok_or(Refused::Invalid)?;
    Ok(Grant { slot, descriptor, write_back })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What glibc 2.36's static start-up asks for (strace on Linux):
    /// entry -1, base = its TCB, limit 0xfffff in pages, seg_32bit,
    /// useable.
    fn glibc(base: u32) -> UserDesc {
        UserDesc {
            entry_number: ANY_FREE_ENTRY,
            base,
            limit: 0xF_FFFF,
            flags: SEG_32BIT | LIMIT_IN_PAGES | USEABLE,
        }
    }

    #[test]
    fn parse_reads_the_four_words() {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        b[4..8].copy_from_slice(&0x0902_0380u32.to_le_bytes());
        b[8..12].copy_from_slice(&0xF_FFFFu32.to_le_bytes());
        b[12..].copy_from_slice(&0x51u32.to_le_bytes());
        assert_eq!(UserDesc::parse(&b), glibc(0x0902_0380));
    }

    #[test]
    fn glibcs_request_gets_slot_6_and_a_flat_dpl3_data_segment_at_its_base() {
        let g = grant(&glibc(0x0902_0380), &[0; 3]).unwrap();
        assert_eq!((g.slot, g.write_back), (0, Some(6)));
        // base 0x09020380 split 0380 / 02 / 09; limit f ffff; access 0xf3
        // (present, DPL 3, data, writable, accessed); flags 0xd (G, D, AVL).
        assert_eq!(g.descriptor, 0x09DF_F302_0380_FFFF);
    }

    #[test]
    fn any_free_slot_takes_the_first_empty_one_and_runs_out() {
        let d = glibc(0x1000).descriptor().unwrap();
        assert_eq!(grant(&glibc(0x1000), &[d, 0, 0]).unwrap().write_back, Some(7));
        assert_eq!(grant(&glibc(0x1000), &[d, d, 0]).unwrap().write_back, Some(8));
        assert_eq!(grant(&glibc(0x1000), &[d, d, d]), Err(Refused::NoFreeSlot));
    }

    #[test]
    fn explicit_slots_6_to_8_only() {
        for (entry, slot) in [(6, Some(0)), (8, Some(2)), (5, None), (9, None), (0, None)] {
            let r = grant(&UserDesc { entry_number: entry, ..glibc(0x1000) }, &[0; 3]);
            assert_eq!(r.map(|g| g.slot), slot.ok_or(Refused::Invalid), "entry {entry}");
        }
        let r = grant(&UserDesc { entry_number: 0x8000_0006, ..glibc(0) }, &[0; 3]);
        assert_eq!(r, Err(Refused::Invalid));
    }

    #[test]
    fn empty_requests_clear_the_slot() {
        let documented = UserDesc {
            entry_number: 7,
            base: 0,
            limit: 0,
            flags: READ_EXEC_ONLY | SEG_NOT_PRESENT,
        };
        assert_eq!(
            grant(&documented, &[1, 1, 1]).unwrap(),
            Grant { slot: 1, descriptor: 0, write_back: None }
        );
        let zeros = UserDesc { entry_number: 8, base: 0, limit: 0, flags: 0 };
        assert_eq!(grant(&zeros, &[1, 1, 1]).unwrap().descriptor, 0);
    }

    #[test]
    fn code_16_bit_and_not_present_segments_are_refused() {
        let code = UserDesc { flags: SEG_32BIT | (2 << CONTENTS_SHIFT), ..glibc(0x1000) };
        let conforming = UserDesc { flags: SEG_32BIT | (3 << CONTENTS_SHIFT), ..glibc(0x1000) };
        let sixteen = UserDesc { flags: LIMIT_IN_PAGES, ..glibc(0x1000) };
        let absent = UserDesc { flags: SEG_32BIT | SEG_NOT_PRESENT, ..glibc(0x1000) };
        for bad in [code, conforming, sixteen, absent] {
            assert_eq!(grant(&bad, &[0; 3]), Err(Refused::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn read_only_and_expand_down_data_segments() {
        let ro = UserDesc { flags: SEG_32BIT | READ_EXEC_ONLY, limit: 0xFFF, ..glibc(0x1000) };
        let d = ro.descriptor().unwrap();
        assert_eq!((d >> 40) & 0xFF, 0xF1, "present, DPL 3, data, read-only, accessed");
        assert_eq!((d >> 52) & 0xF, 0x4, "32-bit, byte granular");
        let down = UserDesc { flags: SEG_32BIT | (1 << CONTENTS_SHIFT), ..glibc(0) };
        assert_eq!((down.descriptor().unwrap() >> 40) & 0xFF, 0xF7);
    }

    #[test]
    fn a_kernel_base_is_allowed_paging_guards_it() {
        let d = glibc(0xC010_0000).descriptor().unwrap();
        assert_eq!(d >> 56, 0xC0);
        assert_eq!((d >> 45) & 3, 3, "still DPL 3");
    }
}
