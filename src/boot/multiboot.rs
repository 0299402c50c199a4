//! The Multiboot v1 hand-over: the magic in EAX and the information
//! structure EBX points to (Multiboot specification 0.6.96, section 3.3).
//! Only the fields this kernel reads are interpreted.

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
    /// The modules the loader passed.
    ///
    /// # Safety
    /// As for `cmdline`: the loader's list at `mods_addr` must be intact.
    pub unsafe fn modules(&self) -> &'static [Module] {
        if !self.flags().contains(InfoFlags::MODULES) || self.mods_count == 0 {
            return &[];
        }
        // SAFETY: forwarded from the caller.
        unsafe {
            core::slice::from_raw_parts(
                self.mods_addr as usize as *const Module,
                self.mods_count as usize,
            )
        }
    }

    pub fn flags(&self) -> InfoFlags {
        InfoFlags::from_bits_truncate(self.flags)
    }

    /// The command line, if the loader passed one and it is UTF-8.
    ///
    /// # Safety
    /// `self` must be the loader's structure, whose string pointers are
    /// valid physical (= virtual here) addresses of NUL-terminated strings
    /// the kernel never overwrites.
    pub unsafe fn cmdline(&self) -> Option<&'static str> {
        // SAFETY: forwarded from the caller.
        unsafe { self.string(InfoFlags::CMDLINE, self.cmdline) }
    }

    /// The boot loader's name ("qemu", "GRUB 2.06"), if given.
    ///
    /// # Safety
    /// As for `cmdline`.
    pub unsafe fn loader_name(&self) -> Option<&'static str> {
        // SAFETY: forwarded from the caller.
        unsafe { self.string(InfoFlags::LOADER_NAME, self.boot_loader_name) }
    }

    unsafe fn string(&self, flag: InfoFlags, address: u32) -> Option<&'static str> {
        if !self.flags().contains(flag) || address == 0 {
            return None;
        }
        // SAFETY: the caller guarantees a valid NUL-terminated string.
        let bytes =
            unsafe { core::ffi::CStr::from_ptr(address as usize as *const core::ffi::c_char) };
        bytes.to_str().ok()
    }
}

/// What the kernel keeps of the loader's hand-over, copied into kernel
/// memory before paging is enabled. The loader may put the command line
/// and modules anywhere in RAM (GRUB put a module at 0x004EB000, inside
/// the user region, which is cleared when a program is loaded), while
/// paging maps only the first 8 MiB.
#[cfg(target_os = "none")]
pub struct Handover {
    pub loader: &'static str,
    pub cmdline: &'static str,
    /// The first module's bytes, if there was one and it fitted.
    pub module: Option<&'static [u8]>,
    /// Modules passed, and the size of a first module too large to keep.
    pub modules: u32,
    pub module_too_large: Option<u32>,
}

#[cfg(target_os = "none")]
mod staging {
    /// Room for the command line and loader name.
    pub const STRING_BYTES: usize = 512;
    /// Room for one user program: its file may not be larger.
    pub const MODULE_BYTES: usize = 512 * 1024;
    pub static mut CMDLINE: [u8; STRING_BYTES] = [0; STRING_BYTES];
    pub static mut LOADER: [u8; STRING_BYTES] = [0; STRING_BYTES];
    pub static mut MODULE: [u8; MODULE_BYTES] = [0; MODULE_BYTES];
}

#[cfg(target_os = "none")]
impl Handover {
    /// Copies what the kernel needs out of the loader's memory.
    ///
    /// # Safety
    /// Paging must still be off (physical addresses are used as they are),
    /// `info` must be the loader's intact structure, and this must run
    /// once, before anything else uses the staging buffers.
    pub unsafe fn copy_from(info: &Info) -> Handover {
        fn keep(text: Option<&str>, buffer: &'static mut [u8]) -> &'static str {
            let text = text.unwrap_or("");
            // Cut at a character boundary if the loader's string is too long.
            let mut len = text.len().min(buffer.len());
            while !text.is_char_boundary(len) {
                len -= 1;
            }
            buffer[..len].copy_from_slice(&text.as_bytes()[..len]);
            core::str::from_utf8(&buffer[..len]).unwrap_or("")
        }
        // SAFETY: the caller guarantees the structure and single use; the
        // strings and module are read at their physical addresses with
        // paging off, and the buffers are borrowed exactly once.
        unsafe {
            let cmdline = keep(info.cmdline(), &mut *(&raw mut staging::CMDLINE));
            let loader = keep(info.loader_name(), &mut *(&raw mut staging::LOADER));
            let modules = info.modules();
            let (mut module, mut module_too_large) = (None, None);
            if let Some(first) = modules.first() {
                let size = first.end.saturating_sub(first.start);
                let buffer = &mut *(&raw mut staging::MODULE);
                if size as usize <= buffer.len() {
                    let bytes = core::slice::from_raw_parts(
                        first.start as usize as *const u8,
                        size as usize,
                    );
                    buffer[..bytes.len()].copy_from_slice(bytes);
                    module = Some(&buffer[..bytes.len()]);
                } else {
                    module_too_large = Some(size);
                }
            }
            Handover { loader, cmdline, module, modules: modules.len() as u32, module_too_large }
        }
    }
}

/// Largest module the kernel keeps (bytes).
#[cfg(target_os = "none")]
pub const MAX_MODULE_BYTES: usize = staging::MODULE_BYTES;

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

    #[test]
    fn info_layout_matches_the_spec_offsets() {
        assert_eq!(core::mem::offset_of!(Info, cmdline), 16);
        assert_eq!(core::mem::offset_of!(Info, mods_addr), 24);
        assert_eq!(core::mem::offset_of!(Info, boot_loader_name), 64);
    }
}
