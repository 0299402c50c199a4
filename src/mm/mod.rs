//! Memory: physical frames and address spaces.
//!
//! `frames` hands out 4 KiB frames of the RAM the loader's memory map
//! reports; `space` builds one page directory per process. At boot,
//! `init` takes the RAM, reserves what is already used (the first MiB,
//! the kernel image, the loader's modules), and replaces the boot stub's
//! directory of 4 MiB pages with the kernel's own: 4 KiB page tables that
//! map all RAM at KERNEL_BASE, supervisor-only, with a guard page under
//! the kernel stack and nothing at all in the user half, and one empty
//! page table for the device window, which drivers fill at boot
//! (`map_device`). The directory's kernel entries never change
//! afterwards, so every process's directory can share the kernel's page
//! tables (src/mm/space.rs), device pages included.

pub mod frames;
pub mod space;

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use spin::Mutex;

    use super::frames::{Frame, FrameAllocator, Region};
    use super::space::PhysMemory;
    use crate::cpu::paging::{
        self, directory_index, entry, physical_to_virtual, table_index, virtual_to_physical,
        PageFlags, DEVICE_WINDOW, ENTRIES, KERNEL_BASE, KERNEL_FIRST_ENTRY, KERNEL_SPAN, PAGE_SIZE,
        TABLE_SPAN,
    };
    use crate::cpu::without_interrupts;

    /// The frames of all RAM. Locked with interrupts off: no interrupt
    /// handler allocates, but the rule keeps that from becoming a deadlock.
    static FRAMES: Mutex<FrameAllocator> = Mutex::new(FrameAllocator::new());

    /// The kernel's page directory (physical), built by `init`: what the
    /// idle loop and the double-fault task run with, and the source of
    /// every process's kernel half.
    static KERNEL_DIRECTORY: spin::Once<Frame> = spin::Once::new();

    /// The device window's page table (physical), and the window's next
    /// free page: drivers map their registers there, once each, at boot.
    static DEVICE_TABLE: spin::Once<Frame> = spin::Once::new();
    static DEVICE_NEXT: Mutex<u32> = Mutex::new(DEVICE_WINDOW);

    unsafe extern "C" {
        /// linker.ld: the first byte after the kernel image (kernel half).
        static __kernel_end: u8;
    }

    /// The first MiB: BIOS data, the VGA buffer, ROMs. Never handed out.
    const LOW_MEMORY: u64 = 1 << 20;

    /// What `init` did, for the boot log.
    pub struct Layout {
        /// Frames of usable RAM, and how many are free after boot.
        pub ram_frames: usize,
        pub free_frames: usize,
        /// Physical memory mapped at KERNEL_BASE (bytes).
        pub mapped: u64,
        /// The kernel's directory (physical): CR3 from now on.
        pub directory: u32,
    }

    /// Takes the RAM in `memory`, reserves the kernel image and `reserved`
    /// (the loader's modules), builds the kernel's page tables and loads
    /// them. Runs once, on the boot path, on the boot stub's directory.
    pub fn init(memory: &[Region], reserved: &[(u32, u32)]) -> Layout {
        let kernel_end = virtual_to_physical(&raw const __kernel_end as u32);
        let top = without_interrupts(|| {
            let mut frames = FRAMES.lock();
            for region in memory {
                frames.add_ram(region.start, region.end);
            }
            frames.reserve(0, LOW_MEMORY);
            frames.reserve(LOW_MEMORY, u64::from(kernel_end));
            for &(start, end) in reserved {
                frames.reserve(u64::from(start), u64::from(end));
            }
            memory.iter().map(|r| r.end).max().unwrap_or(0).min(KERNEL_SPAN)
        });
        let directory = build_kernel_directory(top);
        KERNEL_DIRECTORY.call_once(|| directory);
        // SAFETY: the new directory maps the kernel half as the boot
        // directory did (all RAM at KERNEL_BASE, with 4 KiB pages now),
        // and the frames are the kernel's for good.
        unsafe { paging::load_directory(directory.address()) };
        let (ram_frames, free_frames) = without_interrupts(|| {
            let frames = FRAMES.lock();
            (frames.ram_frames(), frames.free_frames())
        });
        Layout { ram_frames, free_frames, mapped: top, directory: directory.address() }
    }

    /// A directory mapping physical `[0, top)` at KERNEL_BASE with 4 KiB
    /// pages (supervisor, writable), except the kernel stack's guard page.
    fn build_kernel_directory(top: u64) -> Frame {
        let mut memory = DirectMap;
        let directory = memory.allocate_zeroed().expect("a frame for the kernel's directory");
        let guard = paging::stack_guard();
        let flags = PageFlags::PRESENT | PageFlags::WRITABLE;
        let tables = top.div_ceil(u64::from(TABLE_SPAN)) as usize;
        for t in 0..tables.min(ENTRIES - KERNEL_FIRST_ENTRY) {
            let table = memory.allocate_zeroed().expect("a frame for a kernel page table");
            let first = t as u32 * TABLE_SPAN;
            let entries = memory.entries(table);
            for (i, pte) in entries.iter_mut().enumerate() {
                let physical = first + i as u32 * PAGE_SIZE;
                let unmapped = u64::from(physical) >= top || physical_to_virtual(physical) == guard;
                *pte = if unmapped { 0 } else { entry(physical, flags) };
            }
            memory.entries(directory)[KERNEL_FIRST_ENTRY + t] = entry(table.address(), flags);
        }
        // The device window's table, empty for now: its directory entry
        // is in place before any process copies the kernel half.
        let table = memory.allocate_zeroed().expect("a frame for the device window's table");
        memory.entries(directory)[directory_index(DEVICE_WINDOW)] = entry(table.address(), flags);
        DEVICE_TABLE.call_once(|| table);
        directory
    }

    /// The device window is full: the 4 MiB hold no more registers.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct WindowFull;

    /// Maps `bytes` of device registers at physical `physical` into the
    /// device window, uncached (PCD and PWT: every read and write reaches
    /// the device, in order), supervisor only, and returns the virtual
    /// address of `physical`. Every address space sees the mapping at
    /// once: they all share the window's page table.
    pub fn map_device(physical: u32, bytes: u32) -> Result<u32, WindowFull> {
        let first = physical & !(PAGE_SIZE - 1);
        let pages = (physical - first + bytes).div_ceil(PAGE_SIZE);
        let table = *DEVICE_TABLE.get().expect("mm::init has run");
        let start = without_interrupts(|| {
            let mut next = DEVICE_NEXT.lock();
            let start = *next;
            let room = (0u32.wrapping_sub(start)) / PAGE_SIZE;
            if start < DEVICE_WINDOW || pages > room {
                return Err(WindowFull);
            }
            *next = start.wrapping_add(pages * PAGE_SIZE);
            Ok(start)
        })?;
        let flags = PageFlags::PRESENT
            | PageFlags::WRITABLE
            | PageFlags::WRITE_THROUGH
            | PageFlags::CACHE_DISABLE;
        let mut memory = DirectMap;
        let entries = memory.entries(table);
        for i in 0..pages {
            let page = start + i * PAGE_SIZE;
            entries[table_index(page)] = entry(first + i * PAGE_SIZE, flags);
            paging::invalidate_page(page);
        }
        Ok(start + (physical - first))
    }

    /// The kernel's directory (physical), once `init` has run.
    pub fn kernel_directory() -> Frame {
        *KERNEL_DIRECTORY.get().expect("mm::init has run")
    }

    /// The kernel's directory entries: the kernel half every process shares.
    pub fn kernel_entries() -> &'static [u32; ENTRIES] {
        // SAFETY: the kernel directory is written only by `init`; its
        // frame is the kernel's for good.
        unsafe { &*(physical_to_virtual(kernel_directory().address()) as *const [u32; ENTRIES]) }
    }

    /// Frames free now: the number that must come back to its boot value
    /// when every process has ended.
    pub fn free_frames() -> usize {
        without_interrupts(|| FRAMES.lock().free_frames())
    }

    /// Physical memory as the kernel reaches it: frames from `FRAMES`,
    /// their bytes at KERNEL_BASE + their address.
    pub struct DirectMap;

    impl PhysMemory for DirectMap {
        fn allocate_zeroed(&mut self) -> Option<Frame> {
            let frame = without_interrupts(|| FRAMES.lock().allocate())?;
            self.bytes(frame).fill(0);
            Some(frame)
        }

        fn free(&mut self, frame: Frame) {
            without_interrupts(|| FRAMES.lock().free(frame));
        }

        fn bytes(&mut self, frame: Frame) -> &mut [u8; PAGE_SIZE as usize] {
            debug_assert!(frame.address() < !KERNEL_BASE);
            // SAFETY: every frame of RAM is mapped at KERNEL_BASE + its
            // address, and the one asked for belongs to the caller (the
            // allocator handed it to them).
            unsafe { &mut *(physical_to_virtual(frame.address()) as *mut [u8; PAGE_SIZE as usize]) }
        }

        fn entries(&mut self, frame: Frame) -> &mut [u32; ENTRIES] {
            // SAFETY: as in `bytes`; a frame is 4096 bytes, 4-aligned.
            unsafe { &mut *(physical_to_virtual(frame.address()) as *mut [u32; ENTRIES]) }
        }
    }

    /// A run of `pages` consecutive frames (a kernel stack), and where the
    /// kernel half maps it; None when memory is exhausted.
    pub fn allocate_run(pages: usize) -> Option<Frame> {
        without_interrupts(|| FRAMES.lock().allocate_run(pages))
    }

    /// Gives back a run from `allocate_run`.
    pub fn free_run(first: Frame, pages: usize) {
        without_interrupts(|| {
            let mut frames = FRAMES.lock();
            for i in 0..pages as u32 {
                frames.free(Frame::containing(first.address() + i * PAGE_SIZE));
            }
        });
    }
}
