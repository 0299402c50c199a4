//! Reading a user program from a Multiboot module: a static ELF32 i386
//! executable, or else a flat binary (loaded at the start of the user
//! region and entered at its first byte).
//!
//! Pure parsing, host-tested: it checks the headers and that every
//! loadable segment lies inside the user region, and returns what to copy
//! where. ELF specification: System V ABI, chapter 4 and 5 (ELF header,
//! program headers); the i386 supplement for EM_386.

use crate::cpu::paging::{USER_PROGRAM, USER_START};

/// Whether `[start, start + len)` fits in the program part of the user
/// region (below the stack and its guard page).
fn in_program_area(start: u32, len: u32) -> bool {
    start.checked_add(len).is_some_and(|end| start >= USER_PROGRAM.start && end <= USER_PROGRAM.end)
}

/// One loadable segment: copy `file_size` bytes from `offset` in the file
/// to `address`, then zero up to `mem_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub address: u32,
    pub offset: u32,
    pub file_size: u32,
    pub mem_size: u32,
}

pub const MAX_SEGMENTS: usize = 8;

/// A program ready to be copied into the user region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Image {
    pub entry: u32,
    pub segments: [Option<Segment>; MAX_SEGMENTS],
    pub elf: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// An ELF file, but not a 32-bit little-endian i386 executable.
    NotI386Executable,
    /// A header or segment lies beyond the end of the file.
    Truncated,
    /// A segment, or the entry point, is outside the user region.
    OutsideUserRegion,
    TooManySegments,
    /// A flat binary larger than the user region.
    TooLarge,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::NotI386Executable => {
                "ELF file is not a 32-bit i386 executable (ET_EXEC, EM_386)"
            }
            Error::Truncated => "ELF file is truncated",
            Error::OutsideUserRegion => {
                "a segment or the entry point lies outside 0x00400000-0x007eefff \
                 (the user region below its stack)"
            }
            Error::TooManySegments => "ELF file has more than 8 loadable segments",
            Error::TooLarge => "flat binary is larger than the user region below its stack",
        })
    }
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const ELFCLASS32: u8 = 1;
const ELFDATA2LSB: u8 = 1;
const ET_EXEC: u16 = 2;
const EM_386: u16 = 3;
const PT_LOAD: u32 = 1;
const PHDR_SIZE: usize = 32;

fn u16_at(b: &[u8], at: usize) -> Result<u16, Error> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or(Error::Truncated)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, Error> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or(Error::Truncated)
}

/// Parses `file` as an ELF32 executable, or as a flat binary if it does
/// not start with the ELF magic.
pub fn parse(file: &[u8]) -> Result<Image, Error> {
    let mut segments = [None; MAX_SEGMENTS];
    if !file.starts_with(ELF_MAGIC) {
        let size = u32::try_from(file.len()).map_err(|_| Error::TooLarge)?;
        if !in_program_area(USER_START, size) {
            return Err(Error::TooLarge);
        }
        segments[0] =
            Some(Segment { address: USER_START, offset: 0, file_size: size, mem_size: size });
        return Ok(Image { entry: USER_START, segments, elf: false });
    }
    if file.get(4) != Some(&ELFCLASS32) || file.get(5) != Some(&ELFDATA2LSB) {
        return Err(Error::NotI386Executable);
    }
    if u16_at(file, 16)? != ET_EXEC || u16_at(file, 18)? != EM_386 {
        return Err(Error::NotI386Executable);
    }
    let entry = u32_at(file, 24)?;
    let phoff = u32_at(file, 28)? as usize;
    let phentsize = u16_at(file, 42)? as usize;
    let phnum = u16_at(file, 44)? as usize;
    if phentsize < PHDR_SIZE {
        return Err(Error::NotI386Executable);
    }
    let mut count = 0;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(file, ph)? != PT_LOAD {
            continue;
        }
        let segment = Segment {
            offset: u32_at(file, ph + 4)?,
            address: u32_at(file, ph + 8)?,
            file_size: u32_at(file, ph + 16)?,
            mem_size: u32_at(file, ph + 20)?,
        };
        if segment.file_size > segment.mem_size
            || !in_program_area(segment.address, segment.mem_size)
        {
            return Err(Error::OutsideUserRegion);
        }
        let end = segment.offset.checked_add(segment.file_size).ok_or(Error::Truncated)?;
        if end as usize > file.len() {
            return Err(Error::Truncated);
        }
        *segments.get_mut(count).ok_or(Error::TooManySegments)? = Some(segment);
        count += 1;
    }
    let entry_in_code =
        segments.iter().flatten().any(|s| (s.address..s.address + s.mem_size).contains(&entry));
    if !entry_in_code {
        return Err(Error::OutsideUserRegion);
    }
    Ok(Image { entry, segments, elf: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A minimal ELF32 executable with one PT_LOAD segment of `code`.
    fn elf(address: u32, entry: u32, code: &[u8], machine: u16) -> Vec<u8> {
        let mut f = std::vec![0u8; 84];
        f[..4].copy_from_slice(ELF_MAGIC);
        f[4] = ELFCLASS32;
        f[5] = ELFDATA2LSB;
        f[6] = 1;
        f[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        f[18..20].copy_from_slice(&machine.to_le_bytes());
        f[24..28].copy_from_slice(&entry.to_le_bytes());
        f[28..32].copy_from_slice(&52u32.to_le_bytes());
        f[42..44].copy_from_slice(&32u16.to_le_bytes());
        f[44..46].copy_from_slice(&1u16.to_le_bytes());
        let ph = 52;
        f[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        f[ph + 4..ph + 8].copy_from_slice(&84u32.to_le_bytes());
        f[ph + 8..ph + 12].copy_from_slice(&address.to_le_bytes());
        f[ph + 16..ph + 20].copy_from_slice(&(code.len() as u32).to_le_bytes());
        f[ph + 20..ph + 24].copy_from_slice(&(code.len() as u32 + 64).to_le_bytes());
        f.extend_from_slice(code);
        f
    }

    #[test]
    fn flat_binary_runs_from_the_user_region_start() {
        let image = parse(&[0x90, 0xcc]).unwrap();
        assert!(!image.elf);
        assert_eq!(image.entry, USER_START);
        assert_eq!(
            image.segments[0],
            Some(Segment { address: USER_START, offset: 0, file_size: 2, mem_size: 2 })
        );
    }

    #[test]
    fn elf_segments_and_entry() {
        let image = parse(&elf(0x0040_1000, 0x0040_1000, &[0x90; 16], EM_386)).unwrap();
        assert!(image.elf);
        assert_eq!(image.entry, 0x0040_1000);
        assert_eq!(
            image.segments[0],
            Some(Segment { address: 0x0040_1000, offset: 84, file_size: 16, mem_size: 80 })
        );
        assert_eq!(image.segments[1], None);
    }

    #[test]
    fn elf_outside_the_user_region_is_refused() {
        assert_eq!(
            parse(&elf(0x0010_0000, 0x0010_0000, &[0x90; 16], EM_386)),
            Err(Error::OutsideUserRegion)
        );
        assert_eq!(
            parse(&elf(0x007F_FFF0, 0x007F_FFF0, &[0x90; 16], EM_386)),
            Err(Error::OutsideUserRegion)
        );
        assert_eq!(
            parse(&elf(0x0040_1000, 0x0010_0000, &[0x90; 16], EM_386)),
            Err(Error::OutsideUserRegion)
        );
    }

    #[test]
    fn wrong_machine_and_truncation() {
        assert_eq!(
            parse(&elf(0x0040_1000, 0x0040_1000, &[0x90; 16], 62)),
            Err(Error::NotI386Executable)
        );
        let mut f = elf(0x0040_1000, 0x0040_1000, &[0x90; 16], EM_386);
        f.truncate(90);
        assert_eq!(parse(&f), Err(Error::Truncated));
        assert_eq!(parse(b"\x7fELF"), Err(Error::NotI386Executable));
    }
}
