//! The Multiboot v1 hand-over: the magic in EAX and the information
//! structure EBX points to (Multiboot specification 0.6.96, section 3.3).
//! Only the fields this kernel reads are interpreted: the command line,
//! the loader's name, the memory map and the modules. Every pointer in it
//! is physical; the kernel reads them at KERNEL_BASE + the address, and
//! refuses one outside the memory it maps instead of following it.

use bitflags::bitflags;

/// What a Multiboot-compliant loader leaves in EAX.
pub const BOOTLOADER_MAGIC: u32 = 0x2BAD_B002;

bitflags! {
    /// `flags`: which of the later fields the loader filled in.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct InfoFlags: u32 {
        const MEMORY      = 1 << 0;
        const BOOT_DEVICE = 1 << 1;
        const CMDLINE     = 1 << 2;
        const MODULES     = 1 << 3;
        /// mmap_addr and mmap_length hold the memory map.
        const MEMORY_MAP  = 1 << 6;
        const LOADER_NAME = 1 << 9;
    }
}

/// The start of the Multiboot information structure.
#[repr(C)]
pub struct Info {
    pub flags: u32,
    pub mem_lower: u32,
    pub mem_upper: u32,
    pub boot_device: u32,
    pub cmdline: u32,
    pub mods_count: u32,
    pub mods_addr: u32,
    pub syms: [u32; 4],
    pub mmap_length: u32,
    pub mmap_addr: u32,
    pub drives_length: u32,
    pub drives_addr: u32,
    pub config_table: u32,
    pub boot_loader_name: u32,
}

/// Checks the hand-over magic.
pub fn check_magic(magic: u32) -> Result<(), BadMagic> {
    if magic == BOOTLOADER_MAGIC {
        Ok(())
    } else {
        Err(BadMagic(magic))
    }
}

/// A wrong EAX at entry: the kernel was not started by a Multiboot loader
/// (or was jumped into some other way), and EBX cannot be trusted.
#[derive(Debug, PartialEq, Eq)]
pub struct BadMagic(pub u32);

impl core::fmt::Display for BadMagic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "multiboot: bad magic {:#010x} in EAX (expected {:#010x}): \
             not started by a Multiboot loader; halting",
            self.0, BOOTLOADER_MAGIC
        )
    }
}

/// One entry of the module list (`mods_addr`): a file the loader put in
/// memory (QEMU's -initrd, GRUB's `module` line).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Module {
    pub start: u32,
    pub end: u32,
    pub string: u32,
    pub reserved: u32,
}

impl Info {
    pub fn flags(&self) -> InfoFlags {
        InfoFlags::from_bits_truncate(self.flags)
    }

    /// The modules the loader passed.
    ///
    /// # Safety
    /// The loader's list at `mods_addr` must be intact and readable at
    /// KERNEL_BASE + its physical address.
    pub unsafe fn modules(&self) -> &'static [Module] {
        if !self.flags().contains(InfoFlags::MODULES) || self.mods_count == 0 {
            return &[];
        }
        let list = crate::cpu::paging::physical_to_virtual(self.mods_addr) as *const Module;
        // SAFETY: forwarded from the caller.
        unsafe { core::slice::from_raw_parts(list, self.mods_count as usize) }
    }
}

pub use crate::mm::frames::Region;

/// Memory-map entry type 1: available RAM (everything else is reserved,
/// ACPI, defective...).
const MMAP_AVAILABLE: u32 = 1;

/// The available regions of a Multiboot memory map (`mmap_addr`,
/// `mmap_length`): each entry is `size` (u32, the bytes that follow it),
/// `base_addr` (u64), `length` (u64), `type` (u32). Fills `out` and
/// returns how many were found; a region that does not fit in `out` is
/// dropped, and a malformed entry ends the walk.
pub fn available_regions(map: &[u8], out: &mut [Region]) -> usize {
    let mut found = 0;
    let mut at = 0;
    while at + 24 <= map.len() {
        let word = |i: usize| u32::from_le_bytes([map[i], map[i + 1], map[i + 2], map[i + 3]]);
        let size = word(at) as usize;
        if size < 20 {
            break;
        }
        let base = u64::from(word(at + 4)) | u64::from(word(at + 8)) << 32;
        let length = u64::from(word(at + 12)) | u64::from(word(at + 16)) << 32;
        if word(at + 20) == MMAP_AVAILABLE && length > 0 && found < out.len() {
            out[found] = Region { start: base, end: base.saturating_add(length) };
            found += 1;
        }
        at += 4 + size;
    }
    found
}

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use super::*;
    use crate::cpu::paging::{physical_to_virtual, KERNEL_SPAN};

    /// Regions of the memory map kept; more are ignored (and said so).
    pub const MAX_REGIONS: usize = 32;
    /// Modules kept: one program each. More are reported and ignored.
    pub const MAX_MODULES: usize = 16;
    /// Room for the command line, the loader's name and the modules'
    /// strings together.
    const STRING_BYTES: usize = 4096;

    /// A module the loader put in memory (QEMU's -initrd, GRUB's `module`),
    /// left where it is: its frames are reserved (src/mm/mod.rs).
    #[derive(Clone, Copy, Debug)]
    pub struct ModuleFile {
        /// Physical address of its first byte, and of the byte after it.
        pub start: u32,
        pub end: u32,
        /// Its string: the file name and the arguments after it.
        pub string: &'static str,
    }

    impl ModuleFile {
        /// The module's bytes, through the kernel's map of physical memory.
        pub fn bytes(&self) -> &'static [u8] {
            let len = (self.end - self.start) as usize;
            // SAFETY: `copy_from` kept only modules inside the memory the
            // kernel half maps; their frames are reserved, so nothing else
            // is ever put there, and nothing writes to them.
            unsafe {
                core::slice::from_raw_parts(physical_to_virtual(self.start) as *const u8, len)
            }
        }
    }

    /// What the kernel keeps of the loader's hand-over: copies of the
    /// strings (the loader may have put them anywhere), the memory map,
    /// and where the modules are.
    pub struct Handover {
        pub loader: &'static str,
        pub cmdline: &'static str,
        /// Available RAM, from the memory map (or mem_upper without one).
        pub memory: &'static [Region],
        /// Where `memory` came from: "memory map" or "mem_lower/mem_upper".
        pub memory_source: &'static str,
        pub modules: &'static [ModuleFile],
        /// Modules the loader passed that are not in `modules`, and why.
        pub modules_ignored: u32,
        pub ignored_why: &'static str,
    }

    /// What cannot be read at all: the kernel says so and halts.
    #[derive(Debug)]
    pub struct BadInfo(pub &'static str, pub u32);

    impl core::fmt::Display for BadInfo {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "multiboot: bad hand-over: {} ({:#010x}); halting", self.0, self.1)
        }
    }

    mod staging {
        use super::*;
        pub static mut STRINGS: [u8; STRING_BYTES] = [0; STRING_BYTES];
        pub static mut REGIONS: [Region; MAX_REGIONS] = [Region { start: 0, end: 0 }; MAX_REGIONS];
        pub static mut MODULES: [ModuleFile; MAX_MODULES] =
            [ModuleFile { start: 0, end: 0, string: "" }; MAX_MODULES];
    }

    /// Whether `[start, start + len)` lies in the physical memory the
    /// kernel half maps, so that it can be read at all.
    fn readable(start: u32, len: u64) -> bool {
        u64::from(start) + len <= KERNEL_SPAN
    }

    /// A structure of the loader's, read through the kernel half.
    ///
    /// # Safety
    /// `physical` must hold a valid `T` (the loader's structure).
    unsafe fn at<T>(physical: u32) -> &'static T {
        // SAFETY: forwarded; the caller checked it is mapped.
        unsafe { &*(physical_to_virtual(physical) as *const T) }
    }

    /// A NUL-terminated string of the loader's, at most 4 KiB long.
    ///
    /// # Safety
    /// `physical` must point to the loader's NUL-terminated string.
    unsafe fn c_string(physical: u32) -> Option<&'static str> {
        if physical == 0 || !readable(physical, 4096) {
            return None;
        }
        let text = physical_to_virtual(physical) as *const core::ffi::c_char;
        // SAFETY: forwarded from the caller; mapped (checked above).
        unsafe { core::ffi::CStr::from_ptr(text) }.to_str().ok()
    }

    /// The loader's command line where the loader left it, read in place:
    /// for the one look `kernel_main` takes before its first byte on COM1
    /// (`test=hang_silent`, src/main.rs). None when the magic is not
    /// Multiboot's, the loader gave no command line, or it lies outside
    /// the mapped memory. Reads only; `Handover::copy_from` still makes
    /// the copy that everything else uses.
    ///
    /// # Safety
    /// `magic` and `info` must be what the boot stub passed to
    /// `kernel_main`, with nothing written over the loader's memory yet,
    /// and KERNEL_BASE must be where linker.ld put the kernel (the boot
    /// stub maps the low memory there).
    pub unsafe fn cmdline_in_place(magic: u32, info: u32) -> Option<&'static str> {
        check_magic(magic).ok()?;
        if !readable(info, core::mem::size_of::<Info>() as u64) {
            return None;
        }
        // SAFETY: a Multiboot loader's structure (the magic says so), in
        // mapped memory (checked).
        let info: &Info = unsafe { at(info) };
        if !info.flags().contains(InfoFlags::CMDLINE) {
            return None;
        }
        // SAFETY: the flag says the loader put a string there.
        unsafe { c_string(info.cmdline) }
    }

    impl Handover {
        /// Copies what the kernel needs out of the loader's memory, before
        /// anything can allocate frames (which could be where it lies).
        ///
        /// # Safety
        /// `info` must be the physical address a Multiboot loader passed
        /// (the magic was checked), and this must run once, before
        /// anything else uses the staging buffers.
        pub unsafe fn copy_from(info: u32) -> Result<Handover, BadInfo> {
            if !readable(info, core::mem::size_of::<Info>() as u64) {
                return Err(BadInfo("the information structure is not in mapped memory", info));
            }
            // SAFETY: the loader's structure, in mapped memory (checked).
            let info: &Info = unsafe { at(info) };
            // SAFETY: the caller guarantees single use of the buffers.
            let strings = unsafe { &mut *(&raw mut staging::STRINGS) };
            let mut free: &'static mut [u8] = strings;
            let mut keep = |text: Option<&str>| -> &'static str {
                let text = text.unwrap_or("");
                let mut len = text.len().min(free.len());
                while !text.is_char_boundary(len) {
                    len -= 1;
                }
                let (kept, rest) = core::mem::take(&mut free).split_at_mut(len);
                kept.copy_from_slice(&text.as_bytes()[..len]);
                free = rest;
                core::str::from_utf8(kept).unwrap_or("")
            };
            let flags = info.flags();
            let cmdline = keep(if flags.contains(InfoFlags::CMDLINE) {
                // SAFETY: the flag says the loader put a string there.
                unsafe { c_string(info.cmdline) }
            } else {
                None
            });
            let loader = keep(if flags.contains(InfoFlags::LOADER_NAME) {
                // SAFETY: the flag says the loader put a string there.
                unsafe { c_string(info.boot_loader_name) }
            } else {
                None
            });

            // SAFETY: single use of the buffers.
            let regions = unsafe { &mut *(&raw mut staging::REGIONS) };
            let (count, memory_source) = if flags.contains(InfoFlags::MEMORY_MAP)
                && readable(info.mmap_addr, u64::from(info.mmap_length))
            {
                // SAFETY: the loader's map, in mapped memory (checked).
                let map = unsafe {
                    core::slice::from_raw_parts(
                        physical_to_virtual(info.mmap_addr) as *const u8,
                        info.mmap_length as usize,
                    )
                };
                (available_regions(map, regions), "memory map")
            } else if flags.contains(InfoFlags::MEMORY) {
                // No map: the RAM from 1 MiB up, mem_upper KiB of it.
                let end = (1 << 20) + u64::from(info.mem_upper) * 1024;
                regions[0] = Region { start: 1 << 20, end };
                (1, "mem_lower/mem_upper")
            } else {
                return Err(BadInfo(
                    "neither a memory map nor mem_upper: how much RAM is there?",
                    0,
                ));
            };

            // SAFETY: single use of the buffers.
            let modules = unsafe { &mut *(&raw mut staging::MODULES) };
            let (mut kept, mut ignored, mut ignored_why) = (0, 0, "");
            let list_ok = readable(info.mods_addr, u64::from(info.mods_count) * 16);
            // SAFETY: the loader's list, in mapped memory (checked).
            let list = if list_ok { unsafe { info.modules() } } else { &[] };
            if !list_ok && info.mods_count > 0 {
                ignored = info.mods_count;
                ignored_why = "the module list is not in mapped memory";
            }
            for module in list {
                let len = u64::from(module.end.saturating_sub(module.start));
                if module.end < module.start || !readable(module.start, len) {
                    ignored += 1;
                    ignored_why = "a module lies outside the memory the kernel maps";
                } else if kept == MAX_MODULES {
                    ignored += 1;
                    ignored_why = "more modules than the kernel keeps (16)";
                } else {
                    // SAFETY: the loader's string for this module.
                    let string = keep(unsafe { c_string(module.string) });
                    modules[kept] = ModuleFile { start: module.start, end: module.end, string };
                    kept += 1;
                }
            }
            Ok(Handover {
                loader,
                cmdline,
                memory: &regions[..count],
                memory_source,
                modules: &modules[..kept],
                modules_ignored: ignored,
                ignored_why,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn magic() {
        assert_eq!(check_magic(0x2BADB002), Ok(()));
        let err = check_magic(0xDEADBEEF).unwrap_err();
        assert_eq!(
            err.to_string(),
            "multiboot: bad magic 0xdeadbeef in EAX (expected 0x2badb002): \
             not started by a Multiboot loader; halting"
        );
    }

    fn entry(size: u32, base: u64, length: u64, kind: u32) -> std::vec::Vec<u8> {
        let mut e = std::vec::Vec::new();
        e.extend_from_slice(&size.to_le_bytes());
        e.extend_from_slice(&base.to_le_bytes());
        e.extend_from_slice(&length.to_le_bytes());
        e.extend_from_slice(&kind.to_le_bytes());
        e
    }

    #[test]
    fn memory_map_keeps_available_ram_only() {
        // What QEMU passes for -m 32M: low RAM, the BIOS hole, RAM above 1 MiB.
        let mut map = entry(20, 0, 0x9fc00, 1);
        map.extend(entry(20, 0x9fc00, 0x400, 2));
        map.extend(entry(20, 0xf0000, 0x10000, 2));
        map.extend(entry(20, 0x100000, 0x1ee0000, 1));
        map.extend(entry(20, 0xfffc0000, 0x40000, 2));
        let mut out = [Region::default(); 8];
        let n = available_regions(&map, &mut out);
        assert_eq!(
            &out[..n],
            [Region { start: 0, end: 0x9fc00 }, Region { start: 0x100000, end: 0x1fe0000 }]
        );
    }

    #[test]
    fn memory_map_with_bad_sizes_or_too_many_entries() {
        // An entry whose size is too small ends the walk; a larger size
        // (extra fields) is skipped over.
        let mut map = entry(24, 0x100000, 0x1000, 1);
        map.extend_from_slice(&[0, 0, 0, 0]);
        map.extend(entry(20, 0x200000, 0x1000, 1));
        map.extend(entry(4, 0x300000, 0x1000, 1));
        let mut out = [Region::default(); 1];
        assert_eq!(available_regions(&map, &mut out), 1);
        let mut out = [Region::default(); 8];
        assert_eq!(available_regions(&map, &mut out), 2);
        assert_eq!(out[1], Region { start: 0x200000, end: 0x201000 });
        assert_eq!(available_regions(&[1, 2, 3], &mut out), 0);
    }

    #[test]
    fn info_layout_matches_the_spec_offsets() {
        assert_eq!(core::mem::offset_of!(Info, cmdline), 16);
        assert_eq!(core::mem::offset_of!(Info, mods_addr), 24);
        assert_eq!(core::mem::offset_of!(Info, mmap_addr), 48);
        assert_eq!(core::mem::offset_of!(Info, boot_loader_name), 64);
    }
}
