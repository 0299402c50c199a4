//! Reading a program: a static ELF32 i386 executable, or else a flat
//! binary.
//!
//! Pure parsing, host-tested: it checks the headers and that every
//! loadable segment lies in the user half, above page 0, below the
//! stack, and overlaps no other segment (two segments may share a page,
//! as ld's output often does, but not a byte), and returns what to copy
//! where. An ELF executable runs at the addresses it was linked for:
//! `ld -m elf_i386`'s default 0x08048000, `gcc -m32 -static`'s, or any
//! other. A flat binary has no addresses of its own: it is loaded at
//! FLAT_BASE and entered at its first byte.
//!
//! ELF specification: System V ABI, chapters 4 and 5 (ELF header, program
//! headers); the i386 supplement for EM_386.

use super::layout::{FLAT_BASE, LOWEST_ADDRESS, STACK_GUARD};

/// One loadable segment: copy `file_size` bytes from `offset` in the file
/// to `address`, then zero up to `mem_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub address: u32,
    pub offset: u32,
    pub file_size: u32,
    pub mem_size: u32,
    /// The program may write to it (PF_W).
    pub writable: bool,
}

impl Segment {
    /// The first address after the segment (checked not to overflow).
    pub fn end(&self) -> u32 {
        self.address + self.mem_size
    }
}

pub const MAX_SEGMENTS: usize = 8;

/// A program ready to be copied into an address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Image {
    pub entry: u32,
    pub segments: [Option<Segment>; MAX_SEGMENTS],
    pub elf: bool,
    /// Where the program headers are in memory, how many, and their size:
    /// AT_PHDR, AT_PHNUM and AT_PHENT of the initial stack (0 when they
    /// are not in a loaded segment).
    pub phdr: u32,
    pub phnum: u32,
    pub phent: u32,
}

impl Image {
    /// The first address above every segment: where the heap starts
    /// (rounded up to a page by the loader).
    pub fn end(&self) -> u32 {
        self.segments.iter().flatten().map(Segment::end).max().unwrap_or(FLAT_BASE)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// An ELF file, but not a 32-bit little-endian i386 executable.
    NotI386Executable,
    /// A header or segment lies beyond the end of the file.
    Truncated,
    /// A segment lies outside the user part of the address space.
    OutsideUserSpace {
        address: u32,
    },
    /// Two segments claim the same bytes.
    Overlap {
        address: u32,
    },
    /// The entry point is in no segment.
    EntryOutside {
        entry: u32,
    },
    TooManySegments,
    /// A flat binary that does not fit below the stack.
    TooLarge,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Error::NotI386Executable => {
                f.write_str("ELF file is not a 32-bit i386 executable (ET_EXEC, EM_386)")
            }
            Error::Truncated => f.write_str("ELF file is truncated"),
            Error::OutsideUserSpace { address } => write!(
                f,
                "the segment at {address:#010x} is not in user space \
                 ({LOWEST_ADDRESS:#010x}-{:#010x}, below the stack)",
                STACK_GUARD - 1
            ),
            Error::Overlap { address } => {
                write!(f, "the segment at {address:#010x} overlaps another segment")
            }
            Error::EntryOutside { entry } => {
                write!(f, "the entry point {entry:#010x} is in no loadable segment")
            }
            Error::TooManySegments => f.write_str("ELF file has more than 8 loadable segments"),
            Error::TooLarge => f.write_str("flat binary does not fit below the stack"),
        }
    }
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const ELFCLASS32: u8 = 1;
const ELFDATA2LSB: u8 = 1;
const ET_EXEC: u16 = 2;
const EM_386: u16 = 3;
const PT_LOAD: u32 = 1;
/// Segment flag: writable.
const PF_W: u32 = 2;
const PHDR_SIZE: usize = 32;

fn u16_at(b: &[u8], at: usize) -> Result<u16, Error> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or(Error::Truncated)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, Error> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or(Error::Truncated)
}

/// Whether `[start, end)` is in the part of user space programs may use.
fn in_user_space(start: u32, end: u32) -> bool {
    start >= LOWEST_ADDRESS && end <= STACK_GUARD
}

/// Parses `file` as an ELF32 executable, or as a flat binary if it does
/// not start with the ELF magic.
pub fn parse(file: &[u8]) -> Result<Image, Error> {
    let mut segments = [None; MAX_SEGMENTS];
    if !file.starts_with(ELF_MAGIC) {
        let size = u32::try_from(file.len()).map_err(|_| Error::TooLarge)?;
        let end = FLAT_BASE.checked_add(size).ok_or(Error::TooLarge)?;
        if !in_user_space(FLAT_BASE, end) {
            return Err(Error::TooLarge);
        }
        segments[0] = Some(Segment {
            address: FLAT_BASE,
            offset: 0,
            file_size: size,
            mem_size: size,
            writable: true,
        });
        return Ok(Image { entry: FLAT_BASE, segments, elf: false, phdr: 0, phnum: 0, phent: 0 });
    }
    if file.get(4) != Some(&ELFCLASS32) || file.get(5) != Some(&ELFDATA2LSB) {
        return Err(Error::NotI386Executable);
    }
    if u16_at(file, 16)? != ET_EXEC || u16_at(file, 18)? != EM_386 {
        return Err(Error::NotI386Executable);
    }
    let entry = u32_at(file, 24)?;
    let phoff = u32_at(file, 28)?;
    let phentsize = u16_at(file, 42)? as usize;
    let phnum = u16_at(file, 44)? as usize;
    if phentsize < PHDR_SIZE {
        return Err(Error::NotI386Executable);
    }
    let mut count = 0;
    for i in 0..phnum {
        let ph = phoff as usize + i * phentsize;
        if u32_at(file, ph)? != PT_LOAD {
            continue;
        }
        let segment = Segment {
            offset: u32_at(file, ph + 4)?,
            address: u32_at(file, ph + 8)?,
            file_size: u32_at(file, ph + 16)?,
            mem_size: u32_at(file, ph + 20)?,
            writable: u32_at(file, ph + 24)? & PF_W != 0,
        };
        let outside = Error::OutsideUserSpace { address: segment.address };
        let end = segment.address.checked_add(segment.mem_size).ok_or(outside)?;
        if segment.file_size > segment.mem_size || !in_user_space(segment.address, end) {
            return Err(outside);
        }
        let file_end = segment.offset.checked_add(segment.file_size).ok_or(Error::Truncated)?;
        if file_end as usize > file.len() {
            return Err(Error::Truncated);
        }
        let overlaps = |other: &Segment| segment.address < other.end() && other.address < end;
        if segments.iter().flatten().any(overlaps) {
            return Err(Error::Overlap { address: segment.address });
        }
        *segments.get_mut(count).ok_or(Error::TooManySegments)? = Some(segment);
        count += 1;
    }
    let in_segment = |s: &Segment| (s.address..s.end()).contains(&entry);
    if !segments.iter().flatten().any(in_segment) {
        return Err(Error::EntryOutside { entry });
    }
    // The program headers' address in memory: inside the segment whose
    // file bytes hold them (glibc's start-up finds its TLS template there).
    let table_end = phoff as u64 + (phnum * phentsize) as u64;
    let phdr = segments
        .iter()
        .flatten()
        .find(|s| s.offset <= phoff && table_end <= u64::from(s.offset) + u64::from(s.file_size))
        .map_or(0, |s| s.address + (phoff - s.offset));
    Ok(Image { entry, segments, elf: true, phdr, phnum: phnum as u32, phent: phentsize as u32 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    /// A minimal ELF32 executable with one PT_LOAD segment per
    /// (address, code, writable), the headers in none of them.
    fn elf(segments: &[(u32, &[u8], bool)], entry: u32, machine: u16) -> Vec<u8> {
        let headers = 52 + 32 * segments.len();
        let mut f = std::vec![0u8; headers];
        f[..4].copy_from_slice(ELF_MAGIC);
        f[4] = ELFCLASS32;
        f[5] = ELFDATA2LSB;
        f[6] = 1;
        f[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        f[18..20].copy_from_slice(&machine.to_le_bytes());
        f[24..28].copy_from_slice(&entry.to_le_bytes());
        f[28..32].copy_from_slice(&52u32.to_le_bytes());
        f[42..44].copy_from_slice(&32u16.to_le_bytes());
        f[44..46].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for (i, (address, code, writable)) in segments.iter().enumerate() {
            let ph = 52 + 32 * i;
            let offset = f.len() as u32;
            f[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
            f[ph + 4..ph + 8].copy_from_slice(&offset.to_le_bytes());
            f[ph + 8..ph + 12].copy_from_slice(&address.to_le_bytes());
            f[ph + 16..ph + 20].copy_from_slice(&(code.len() as u32).to_le_bytes());
            f[ph + 20..ph + 24].copy_from_slice(&(code.len() as u32 + 64).to_le_bytes());
            let flags: u32 = if *writable { 6 } else { 5 };
            f[ph + 24..ph + 28].copy_from_slice(&flags.to_le_bytes());
            f.extend_from_slice(code);
        }
        f
    }

    #[test]
    fn flat_binary_runs_from_flat_base() {
        let image = parse(&[0x90, 0xcc]).unwrap();
        assert!(!image.elf);
        assert_eq!(image.entry, FLAT_BASE);
        assert_eq!(image.segments[0].unwrap().address, FLAT_BASE);
        assert_eq!(image.end(), FLAT_BASE + 2);
    }

    #[test]
    fn ld_default_address_and_segments() {
        let f = elf(
            &[(0x0804_8000, &[0x90; 16], false), (0x0804_9010, &[1; 8], true)],
            0x0804_8000,
            EM_386,
        );
        let image = parse(&f).unwrap();
        assert!(image.elf);
        assert_eq!(image.entry, 0x0804_8000);
        let code = image.segments[0].unwrap();
        assert_eq!(
            (code.address, code.file_size, code.mem_size, code.writable),
            (0x0804_8000, 16, 80, false)
        );
        assert!(image.segments[1].unwrap().writable);
        assert_eq!(image.end(), 0x0804_9010 + 8 + 64);
        assert_eq!((image.phnum, image.phent, image.phdr), (2, 32, 0));
    }

    #[test]
    fn segments_in_kernel_space_or_page_zero_are_refused_by_address() {
        let err = parse(&elf(&[(0xC010_0000, &[0x90; 16], false)], 0xC010_0000, EM_386));
        assert_eq!(err, Err(Error::OutsideUserSpace { address: 0xC010_0000 }));
        let err = parse(&elf(&[(0x0000_0100, &[0x90; 16], false)], 0x100, EM_386));
        assert_eq!(err, Err(Error::OutsideUserSpace { address: 0x100 }));
        let err = parse(&elf(&[(0xFFFF_FFF0, &[0x90; 16], false)], 0xFFFF_FFF0, EM_386));
        assert_eq!(err, Err(Error::OutsideUserSpace { address: 0xFFFF_FFF0 }));
        let m = Error::OutsideUserSpace { address: 0xC010_0000 }.to_string();
        assert!(m.starts_with("the segment at 0xc0100000 is not in user space"), "{m}");
    }

    #[test]
    fn overlapping_segments_are_refused_but_a_shared_page_is_fine() {
        let err = parse(&elf(
            &[(0x0804_8000, &[0x90; 16], false), (0x0804_8040, &[1; 8], true)],
            0x0804_8000,
            EM_386,
        ));
        assert_eq!(err, Err(Error::Overlap { address: 0x0804_8040 }));
        // 16 + 64 bytes from 0x08048000 end at 0x08048050: the next may
        // start right there, in the same page.
        let ok = parse(&elf(
            &[(0x0804_8000, &[0x90; 16], false), (0x0804_8050, &[1; 8], true)],
            0x0804_8000,
            EM_386,
        ));
        assert!(ok.is_ok());
    }

    #[test]
    fn entry_must_be_in_a_segment() {
        let err = parse(&elf(&[(0x0804_8000, &[0x90; 16], false)], 0x0900_0000, EM_386));
        assert_eq!(err, Err(Error::EntryOutside { entry: 0x0900_0000 }));
    }

    #[test]
    fn program_headers_are_found_in_the_segment_that_holds_them() {
        // A segment from file offset 0 holds the headers (at offset 52).
        let mut f = elf(&[(0x0804_8000, &[0x90; 16], false)], 0x0804_8000, EM_386);
        f[52 + 4..52 + 8].copy_from_slice(&0u32.to_le_bytes());
        let len = f.len() as u32;
        f[52 + 16..52 + 20].copy_from_slice(&len.to_le_bytes());
        f[52 + 20..52 + 24].copy_from_slice(&len.to_le_bytes());
        let image = parse(&f).unwrap();
        assert_eq!(image.phdr, 0x0804_8000 + 52);
    }

    #[test]
    fn wrong_machine_and_truncation() {
        let f = elf(&[(0x0804_8000, &[0x90; 16], false)], 0x0804_8000, 62);
        assert_eq!(parse(&f), Err(Error::NotI386Executable));
        let mut f = elf(&[(0x0804_8000, &[0x90; 16], false)], 0x0804_8000, EM_386);
        f.truncate(90);
        assert_eq!(parse(&f), Err(Error::Truncated));
        assert_eq!(parse(b"\x7fELF"), Err(Error::NotI386Executable));
    }
}
