//! Address spaces: one page directory per process.
//!
//! Each process has its own directory. Its kernel half (entries 768-1023)
//! is a copy of the kernel's own directory: the same page tables, so the
//! kernel is mapped identically in every process, supervisor-only. Its
//! user half starts empty; `map_new` gives it zeroed pages as the program
//! is loaded or grows, with page tables made on demand, and `destroy`
//! gives every one of them back.
//!
//! The kernel never touches a user page through its user address: it
//! finds the frame with `translate` and goes through the kernel's own
//! mapping of physical memory (`PhysMemory`). So a copy to or from any
//! process works whichever directory is loaded, and a page the program
//! may not use (not present, supervisor-only, read-only for a write) is
//! reported as a fault to the caller, never taken by the CPU.
//!
//! Written against the `PhysMemory` trait: the kernel implements it with
//! the frame allocator and its map of physical memory (src/mm/mod.rs),
//! the host tests with plain vectors.

use super::frames::Frame;
use crate::cpu::paging::{
    directory_index, entry, entry_address, entry_flags, table_index, PageFlags, ENTRIES,
    KERNEL_BASE, KERNEL_FIRST_ENTRY, PAGE_SIZE,
};

/// Physical memory as the page-table code needs it.
pub trait PhysMemory {
    /// A new frame, filled with zeros; None when memory is exhausted.
    fn allocate_zeroed(&mut self) -> Option<Frame>;
    /// Gives a frame back.
    fn free(&mut self, frame: Frame);
    /// The 4096 bytes of a frame.
    fn bytes(&mut self, frame: Frame) -> &mut [u8; PAGE_SIZE as usize];
    /// A frame seen as the 1024 entries of a page directory or table.
    fn entries(&mut self, frame: Frame) -> &mut [u32; ENTRIES];
}

/// Physical memory ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

/// A user address the program may not use for the access asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAddress(pub u32);

/// The mapping a page is asked for: what the program may do with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// What a program may do with a page, as mprotect sets it. Legacy 32-bit
/// paging has no no-execute bit: a page it may read, it may execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    None,
    Read,
    ReadWrite,
}

/// One process's page directory, and how many user pages it maps.
#[derive(Debug)]
pub struct AddressSpace {
    directory: Frame,
    /// User pages mapped (not counting the page tables).
    pages: usize,
    /// Page tables made for the user half.
    tables: usize,
}

impl AddressSpace {
    /// A new address space: a directory whose kernel half is `kernel`'s.
    pub fn new(
        memory: &mut impl PhysMemory,
        kernel: &[u32; ENTRIES],
    ) -> Result<AddressSpace, OutOfMemory> {
        let directory = memory.allocate_zeroed().ok_or(OutOfMemory)?;
        memory.entries(directory)[KERNEL_FIRST_ENTRY..]
            .copy_from_slice(&kernel[KERNEL_FIRST_ENTRY..]);
        Ok(AddressSpace { directory, pages: 0, tables: 0 })
    }

    /// The directory's physical address: what CR3 holds while it runs.
    pub fn directory(&self) -> Frame {
        self.directory
    }

    /// Frames this address space holds: user pages, user page tables and
    /// the directory itself.
    pub fn frames(&self) -> usize {
        self.pages + self.tables + 1
    }

    /// Maps a new zeroed page at user address `page` (page-aligned, below
    /// KERNEL_BASE, not mapped yet) with `access`, and returns its frame.
    pub fn map_new(
        &mut self,
        memory: &mut impl PhysMemory,
        page: u32,
        access: Access,
    ) -> Result<Frame, OutOfMemory> {
        assert!(
            page.is_multiple_of(PAGE_SIZE) && page < KERNEL_BASE,
            "not a user page: {page:#010x}"
        );
        let table = self.table_for(memory, page)?;
        let slot = &mut memory.entries(table)[table_index(page)];
        assert!(*slot == 0, "page {page:#010x} mapped twice");
        let frame = memory.allocate_zeroed().ok_or(OutOfMemory)?;
        let mut flags = PageFlags::PRESENT | PageFlags::USER;
        if access == Access::Write {
            flags |= PageFlags::WRITABLE;
        }
        memory.entries(table)[table_index(page)] = entry(frame.address(), flags);
        self.pages += 1;
        Ok(frame)
    }

    /// The page table that maps `page`, made if there is none yet.
    fn table_for(&mut self, memory: &mut impl PhysMemory, page: u32) -> Result<Frame, OutOfMemory> {
        let pde = memory.entries(self.directory)[directory_index(page)];
        if pde != 0 {
            return Ok(Frame::containing(entry_address(pde)));
        }
        let table = memory.allocate_zeroed().ok_or(OutOfMemory)?;
        // The directory entry allows everything; each page's own entry
        // then says what the program may do there.
        let flags = PageFlags::PRESENT | PageFlags::WRITABLE | PageFlags::USER;
        memory.entries(self.directory)[directory_index(page)] = entry(table.address(), flags);
        self.tables += 1;
        Ok(table)
    }

    /// Whether user address `page` is mapped.
    pub fn is_mapped(&self, memory: &mut impl PhysMemory, page: u32) -> bool {
        self.lookup(memory, page).is_some()
    }

    /// The frame and flags of the page holding user address `address`.
    fn lookup(&self, memory: &mut impl PhysMemory, address: u32) -> Option<(Frame, PageFlags)> {
        if address >= KERNEL_BASE {
            return None;
        }
        let pde = memory.entries(self.directory)[directory_index(address)];
        if pde & PageFlags::PRESENT.bits() == 0 {
            return None;
        }
        let table = Frame::containing(entry_address(pde));
        let pte = memory.entries(table)[table_index(address)];
        let flags = entry_flags(pte);
        flags.contains(PageFlags::PRESENT).then(|| (Frame::containing(entry_address(pte)), flags))
    }

    /// The frame behind user address `address`, if the program may use it
    /// for `access`: present, user, and writable for a write.
    pub fn translate(
        &self,
        memory: &mut impl PhysMemory,
        address: u32,
        access: Access,
    ) -> Result<Frame, BadAddress> {
        match self.lookup(memory, address) {
            Some((frame, flags))
                if flags.contains(PageFlags::USER)
                    && (access == Access::Read || flags.contains(PageFlags::WRITABLE)) =>
            {
                Ok(frame)
            }
            _ => Err(BadAddress(address)),
        }
    }

    /// Copies the program's bytes at `[address, address + out.len())` into
    /// `out`, page by page. Nothing is copied unless every page may be read.
    pub fn read(
        &self,
        memory: &mut impl PhysMemory,
        address: u32,
        out: &mut [u8],
    ) -> Result<(), BadAddress> {
        self.check(memory, address, out.len(), Access::Read)?;
        self.each_piece(memory, address, out.len(), |bytes, done| {
            out[done..done + bytes.len()].copy_from_slice(bytes)
        })
    }

    /// Copies `data` into the program's memory at `address`, page by page.
    /// Nothing is written unless every page may be written.
    pub fn write(
        &self,
        memory: &mut impl PhysMemory,
        address: u32,
        data: &[u8],
    ) -> Result<(), BadAddress> {
        self.copy_in(memory, address, data, Access::Write)
    }

    /// Copies `data` to `address` if every page may be used for `access`.
    fn copy_in(
        &self,
        memory: &mut impl PhysMemory,
        address: u32,
        data: &[u8],
        access: Access,
    ) -> Result<(), BadAddress> {
        self.check(memory, address, data.len(), access)?;
        self.each_piece(memory, address, data.len(), |bytes, done| {
            bytes.copy_from_slice(&data[done..done + bytes.len()])
        })
    }

    /// Every page of `[address, address + len)` may be used for `access`.
    fn check(
        &self,
        memory: &mut impl PhysMemory,
        address: u32,
        len: usize,
        access: Access,
    ) -> Result<(), BadAddress> {
        let end = u64::from(address) + len as u64;
        if end > u64::from(KERNEL_BASE) {
            return Err(BadAddress(address));
        }
        let mut page = address & !(PAGE_SIZE - 1);
        while u64::from(page) < end {
            self.translate(memory, page, access).map_err(|_| BadAddress(page.max(address)))?;
            page += PAGE_SIZE;
        }
        Ok(())
    }

    /// Calls `f` with each page's part of `[address, address + len)` (as
    /// kernel-accessible bytes) and how many bytes came before it. The
    /// range must have passed `check`.
    fn each_piece(
        &self,
        memory: &mut impl PhysMemory,
        address: u32,
        len: usize,
        mut f: impl FnMut(&mut [u8], usize),
    ) -> Result<(), BadAddress> {
        let mut done = 0;
        while done < len {
            let at = address + done as u32;
            let offset = (at % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - offset).min(len - done);
            let (frame, _) = self.lookup(memory, at).ok_or(BadAddress(at))?;
            f(&mut memory.bytes(frame)[offset..offset + n], done);
            done += n;
        }
        Ok(())
    }

    /// Lets the program write to its page at `page` too (a page shared by
    /// a read-only and a writable segment).
    pub fn allow_write(&mut self, memory: &mut impl PhysMemory, page: u32) {
        if self.lookup(memory, page).is_some() {
            let pde = memory.entries(self.directory)[directory_index(page)];
            let table = Frame::containing(entry_address(pde));
            memory.entries(table)[table_index(page)] |= PageFlags::WRITABLE.bits();
        }
    }

    /// Changes what the program may do with its pages `[start, start +
    /// pages * PAGE_SIZE)` (mprotect): all of them, or, if one is not
    /// mapped, none (and that page is the error). `Protection::None`
    /// keeps the page and its frame but makes it supervisor-only, so the
    /// program's own accesses fault and the kernel's checked copies
    /// refuse it. The caller flushes the TLB for the changed pages.
    pub fn protect(
        &mut self,
        memory: &mut impl PhysMemory,
        start: u32,
        pages: u32,
        protection: Protection,
    ) -> Result<(), BadAddress> {
        let range = (0..pages).map(|i| start + i * PAGE_SIZE);
        if let Some(page) = range.clone().find(|&page| self.lookup(memory, page).is_none()) {
            return Err(BadAddress(page));
        }
        let (set, clear) = match protection {
            Protection::None => (PageFlags::empty(), PageFlags::USER | PageFlags::WRITABLE),
            Protection::Read => (PageFlags::USER, PageFlags::WRITABLE),
            Protection::ReadWrite => (PageFlags::USER | PageFlags::WRITABLE, PageFlags::empty()),
        };
        for page in range {
            let pde = memory.entries(self.directory)[directory_index(page)];
            let slot =
                &mut memory.entries(Frame::containing(entry_address(pde)))[table_index(page)];
            *slot = (*slot | set.bits()) & !clear.bits();
        }
        Ok(())
    }

    /// Copies `data` to user address `address` for the loader: into pages
    /// the program may read, whether or not it may write them (its code).
    pub fn load(
        &self,
        memory: &mut impl PhysMemory,
        address: u32,
        data: &[u8],
    ) -> Result<(), BadAddress> {
        self.copy_in(memory, address, data, Access::Read)
    }

    /// Unmaps the user page at `page` and frees its frame (the heap
    /// shrinking). Does nothing if it was not mapped.
    pub fn unmap(&mut self, memory: &mut impl PhysMemory, page: u32) {
        if let Some((frame, _)) = self.lookup(memory, page) {
            let pde = memory.entries(self.directory)[directory_index(page)];
            memory.entries(Frame::containing(entry_address(pde)))[table_index(page)] = 0;
            memory.free(frame);
            self.pages -= 1;
        }
    }

    /// Frees every user page, every user page table and the directory.
    /// The directory must not be the one loaded in CR3.
    pub fn destroy(self, memory: &mut impl PhysMemory) {
        for d in 0..KERNEL_FIRST_ENTRY {
            let pde = memory.entries(self.directory)[d];
            if pde & PageFlags::PRESENT.bits() == 0 {
                continue;
            }
            let table = Frame::containing(entry_address(pde));
            for t in 0..ENTRIES {
                let pte = memory.entries(table)[t];
                if pte & PageFlags::PRESENT.bits() != 0 {
                    memory.free(Frame::containing(entry_address(pte)));
                }
            }
            memory.free(table);
        }
        memory.free(self.directory);
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::boxed::Box;
    use std::collections::BTreeMap;

    /// Physical memory as a map from frame address to 4 KiB, allocated
    /// from a counter; counts what is in use.
    pub struct FakeMemory {
        frames: BTreeMap<u32, Box<[u32; ENTRIES]>>,
        next: u32,
        pub limit: usize,
    }

    impl FakeMemory {
        pub fn new() -> FakeMemory {
            FakeMemory { frames: BTreeMap::new(), next: 0x0010_0000, limit: usize::MAX }
        }
        pub fn in_use(&self) -> usize {
            self.frames.len()
        }
    }

    impl PhysMemory for FakeMemory {
        fn allocate_zeroed(&mut self) -> Option<Frame> {
            if self.frames.len() >= self.limit {
                return None;
            }
            let frame = Frame::containing(self.next);
            self.next += PAGE_SIZE;
            self.frames.insert(frame.address(), Box::new([0; ENTRIES]));
            Some(frame)
        }
        fn free(&mut self, frame: Frame) {
            assert!(self.frames.remove(&frame.address()).is_some(), "double free");
        }
        fn bytes(&mut self, frame: Frame) -> &mut [u8; PAGE_SIZE as usize] {
            let words = self.frames.get_mut(&frame.address()).expect("frame in use");
            // SAFETY: [u32; 1024] and [u8; 4096] have the same size, and
            // u8's alignment is 1.
            unsafe { &mut *(&mut **words as *mut [u32; ENTRIES] as *mut [u8; 4096]) }
        }
        fn entries(&mut self, frame: Frame) -> &mut [u32; ENTRIES] {
            self.frames.get_mut(&frame.address()).expect("frame in use")
        }
    }

    fn kernel_directory() -> [u32; ENTRIES] {
        let mut d = [0; ENTRIES];
        d[KERNEL_FIRST_ENTRY] = 0x0020_0003;
        d[ENTRIES - 1] = 0x0030_0003;
        d
    }

    #[test]
    fn a_new_space_shares_the_kernel_half_only() {
        let mut m = FakeMemory::new();
        let space = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        let dir = *m.entries(space.directory());
        assert_eq!(dir[KERNEL_FIRST_ENTRY], 0x0020_0003);
        assert_eq!(dir[ENTRIES - 1], 0x0030_0003);
        assert!(dir[..KERNEL_FIRST_ENTRY].iter().all(|&e| e == 0));
        assert_eq!(space.frames(), 1);
    }

    #[test]
    fn mapped_pages_read_back_and_keep_their_permissions() {
        let mut m = FakeMemory::new();
        let mut space = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        space.map_new(&mut m, 0x0804_8000, Access::Read).unwrap();
        space.map_new(&mut m, 0x0804_9000, Access::Write).unwrap();
        assert_eq!(space.frames(), 2 + 1 + 1);
        // Writing across the two pages: the first is read-only.
        assert_eq!(space.write(&mut m, 0x0804_8ffe, b"abcd"), Err(BadAddress(0x0804_8ffe)));
        space.write(&mut m, 0x0804_9ffe, b"ab").unwrap();
        let mut out = [0u8; 2];
        space.read(&mut m, 0x0804_9ffe, &mut out).unwrap();
        assert_eq!(&out, b"ab");
        // Reading across into an unmapped page fails and copies nothing.
        let mut out = [7u8; 4];
        assert_eq!(space.read(&mut m, 0x0804_9ffe, &mut out), Err(BadAddress(0x0804_a000)));
        assert_eq!(out, [7; 4]);
    }

    #[test]
    fn the_loader_fills_read_only_pages_and_shared_pages_become_writable() {
        let mut m = FakeMemory::new();
        let mut space = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        space.map_new(&mut m, 0x0804_8000, Access::Read).unwrap();
        space.load(&mut m, 0x0804_8000, b"code").unwrap();
        assert!(space.write(&mut m, 0x0804_8000, b"x").is_err());
        space.allow_write(&mut m, 0x0804_8000);
        space.write(&mut m, 0x0804_8002, b"DE").unwrap();
        let mut out = [0u8; 4];
        space.read(&mut m, 0x0804_8000, &mut out).unwrap();
        assert_eq!(&out, b"coDE");
    }

    #[test]
    fn two_spaces_keep_their_own_data_at_the_same_address() {
        let mut m = FakeMemory::new();
        let mut a = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        let mut b = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        a.map_new(&mut m, 0x0040_0000, Access::Write).unwrap();
        b.map_new(&mut m, 0x0040_0000, Access::Write).unwrap();
        a.write(&mut m, 0x0040_0000, b"A").unwrap();
        b.write(&mut m, 0x0040_0000, b"B").unwrap();
        let mut out = [0u8; 1];
        a.read(&mut m, 0x0040_0000, &mut out).unwrap();
        assert_eq!(&out, b"A");
    }

    #[test]
    fn kernel_addresses_and_wraparound_are_refused() {
        let mut m = FakeMemory::new();
        let space = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        let mut out = [0u8; 8];
        assert!(space.read(&mut m, 0xC010_0000, &mut out).is_err());
        assert!(space.read(&mut m, 0xBFFF_FFFC, &mut out).is_err());
        assert!(space.read(&mut m, 0xFFFF_FFFC, &mut out).is_err());
        assert!(space.translate(&mut m, 0xC000_0000, Access::Read).is_err());
    }

    #[test]
    fn protect_changes_every_page_or_none() {
        let mut memory = FakeMemory::new();
        let mut space = AddressSpace::new(&mut memory, &kernel_directory()).unwrap();
        for page in [0x0804_8000, 0x0804_9000, 0x0804_B000] {
            space.map_new(&mut memory, page, Access::Write).unwrap();
        }
        // One page of the three is missing: nothing changes.
        assert_eq!(
            space.protect(&mut memory, 0x0804_8000, 4, Protection::Read),
            Err(BadAddress(0x0804_A000))
        );
        assert!(space.write(&mut memory, 0x0804_8000, &[1]).is_ok());
        space.protect(&mut memory, 0x0804_8000, 2, Protection::Read).unwrap();
        assert_eq!(space.write(&mut memory, 0x0804_9FFF, &[1]), Err(BadAddress(0x0804_9FFF)));
        assert!(space.read(&mut memory, 0x0804_8000, &mut [0; 8192]).is_ok());
        space.protect(&mut memory, 0x0804_9000, 1, Protection::None).unwrap();
        assert!(space.read(&mut memory, 0x0804_9000, &mut [0]).is_err());
        assert!(space.is_mapped(&mut memory, 0x0804_9000), "the frame stays");
        space.protect(&mut memory, 0x0804_9000, 1, Protection::ReadWrite).unwrap();
        assert!(space.write(&mut memory, 0x0804_9000, &[1]).is_ok());
        let frames = space.frames();
        space.destroy(&mut memory);
        assert_eq!(memory.in_use(), 0, "{frames} frames, all back");
    }

    #[test]
    fn destroy_gives_back_every_frame() {
        let mut m = FakeMemory::new();
        let mut space = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        for page in [0x0000_1000, 0x0040_0000, 0x0804_8000, 0xBFFF_E000] {
            space.map_new(&mut m, page, Access::Write).unwrap();
        }
        space.unmap(&mut m, 0x0040_0000);
        assert_eq!(m.in_use(), space.frames());
        space.destroy(&mut m);
        assert_eq!(m.in_use(), 0);
    }

    #[test]
    fn running_out_of_memory_is_an_error_not_a_crash() {
        let mut m = FakeMemory::new();
        m.limit = 2;
        let mut space = AddressSpace::new(&mut m, &kernel_directory()).unwrap();
        space.map_new(&mut m, 0x1000, Access::Read).unwrap_err();
        assert_eq!(m.in_use(), 2); // the directory and the table
        space.destroy(&mut m);
        assert_eq!(m.in_use(), 0);
    }
}
