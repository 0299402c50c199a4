//! Physical memory, one 4 KiB frame at a time.
//!
//! The loader's memory map (Multiboot, section 3.3: `mmap_addr`) says
//! which ranges of physical memory are RAM the kernel may use. Every
//! page a process gets (its page directory and page tables, its code,
//! data, heap and stack, its kernel stack) is a frame taken from here,
//! and every one is given back when the process ends; `free_frames`
//! before and after shows a leak at once.
//!
//! A bitmap, one bit per frame of the first `MAX_MEMORY` bytes: set =
//! in use or not RAM. Simple to read, and a run of free frames (a
//! kernel stack) is easy to find. Pure, host-tested; the kernel keeps one
//! instance behind a lock (src/mm/mod.rs).

use crate::cpu::paging::{KERNEL_SPAN, PAGE_SIZE};

/// Physical memory the allocator can hand out: the first 1 GiB less the
/// 4 MiB device window, all the kernel maps at KERNEL_BASE
/// (src/cpu/paging.rs).
pub const MAX_MEMORY: u64 = KERNEL_SPAN;
/// Frames in MAX_MEMORY.
pub const MAX_FRAMES: usize = (MAX_MEMORY / PAGE_SIZE as u64) as usize;
const WORDS: usize = MAX_FRAMES / 32;

/// A range of physical memory the loader's memory map calls available RAM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
}

/// The physical address of a 4 KiB frame (a multiple of PAGE_SIZE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Frame(u32);

impl Frame {
    /// The frame that holds physical address `address`.
    pub const fn containing(address: u32) -> Frame {
        Frame(address & !(PAGE_SIZE - 1))
    }

    pub const fn address(self) -> u32 {
        self.0
    }

    const fn index(self) -> usize {
        (self.0 / PAGE_SIZE) as usize
    }
}

pub struct FrameAllocator {
    /// Bit n set: frame n is in use, or not usable RAM.
    used: [u32; WORDS],
    /// Frames that are usable RAM (free or in use).
    ram: usize,
    free: usize,
    /// Where the next search starts: frames below it were in use when
    /// last looked at, so the common allocation does not rescan them.
    hint: usize,
}

impl FrameAllocator {
    /// An allocator with no memory: every frame in use until `add_ram`.
    pub const fn new() -> FrameAllocator {
        FrameAllocator { used: [u32::MAX; WORDS], ram: 0, free: 0, hint: 0 }
    }

    /// Marks the whole frames inside `[start, end)` as free RAM. Parts of
    /// a frame at either end, and anything above MAX_MEMORY, are left out.
    pub fn add_ram(&mut self, start: u64, end: u64) {
        let first = start.div_ceil(u64::from(PAGE_SIZE));
        let last = (end.min(MAX_MEMORY) / u64::from(PAGE_SIZE)).max(first);
        for index in first as usize..last as usize {
            if self.is_used(index) {
                self.set(index, false);
                self.ram += 1;
                self.free += 1;
            }
        }
        self.hint = 0;
    }

    /// Takes the frames touching `[start, end)` out of use for good (the
    /// kernel image, the loader's modules, the first MiB).
    pub fn reserve(&mut self, start: u64, end: u64) {
        let first = start / u64::from(PAGE_SIZE);
        let last = end.min(MAX_MEMORY).div_ceil(u64::from(PAGE_SIZE));
        for index in first as usize..last.max(first) as usize {
            if !self.is_used(index) {
                self.set(index, true);
                self.ram -= 1;
                self.free -= 1;
            }
        }
    }

    /// One free frame, now in use; None when memory is exhausted.
    pub fn allocate(&mut self) -> Option<Frame> {
        self.allocate_run(1)
    }

    /// `count` consecutive free frames, now in use: the first of them.
    pub fn allocate_run(&mut self, count: usize) -> Option<Frame> {
        let mut run = 0;
        let mut index = self.hint;
        let mut wrapped = false;
        loop {
            if index >= MAX_FRAMES {
                if wrapped {
                    return None;
                }
                wrapped = true;
                index = 0;
                run = 0;
            }
            // Skip a whole word of used frames at once.
            if run == 0 && index.is_multiple_of(32) && self.used[index / 32] == u32::MAX {
                index += 32;
                continue;
            }
            if self.is_used(index) {
                run = 0;
            } else {
                run += 1;
                if run == count {
                    let first = index + 1 - count;
                    (first..=index).for_each(|i| self.set(i, true));
                    self.free -= count;
                    self.hint = if count == 1 { index + 1 } else { self.hint };
                    return Some(Frame(first as u32 * PAGE_SIZE));
                }
            }
            index += 1;
        }
    }

    /// Gives back a frame that `allocate` handed out.
    ///
    /// Panics on a frame that is not in use: a double free is a kernel bug
    /// that must not pass silently.
    pub fn free(&mut self, frame: Frame) {
        let index = frame.index();
        assert!(self.is_used(index), "frame {:#010x} freed twice", frame.address());
        self.set(index, false);
        self.free += 1;
        self.hint = self.hint.min(index);
    }

    /// Frames free now.
    pub fn free_frames(&self) -> usize {
        self.free
    }

    /// Frames of usable RAM, free or in use.
    pub fn ram_frames(&self) -> usize {
        self.ram
    }

    fn is_used(&self, index: usize) -> bool {
        index >= MAX_FRAMES || self.used[index / 32] & (1 << (index % 32)) != 0
    }

    fn set(&mut self, index: usize, used: bool) {
        let bit = 1 << (index % 32);
        if used {
            self.used[index / 32] |= bit;
        } else {
            self.used[index / 32] &= !bit;
        }
    }
}

impl Default for FrameAllocator {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;

    const MIB: u64 = 1 << 20;

    fn allocator() -> Box<FrameAllocator> {
        Box::new(FrameAllocator::new())
    }

    #[test]
    fn only_ram_is_handed_out_and_partial_frames_are_not() {
        let mut a = allocator();
        assert_eq!(a.allocate(), None);
        a.add_ram(MIB + 100, MIB + 3 * 4096 + 5);
        // 0x100064..0x103005: only the frames 0x101000 and 0x102000 are whole.
        assert_eq!(a.free_frames(), 2);
        assert_eq!(a.allocate().map(Frame::address), Some(0x101000));
        assert_eq!(a.allocate().map(Frame::address), Some(0x102000));
        assert_eq!(a.allocate(), None);
    }

    #[test]
    fn reserved_ranges_are_never_handed_out() {
        let mut a = allocator();
        a.add_ram(0, 4 * MIB);
        a.reserve(0, MIB); // the first MiB
        a.reserve(MIB, MIB + 4096 + 1); // a kernel image ending inside a frame
        let first = a.allocate().unwrap();
        assert_eq!(first.address(), (MIB + 2 * 4096) as u32);
        assert_eq!(a.ram_frames(), (3 * MIB / 4096) as usize - 2);
    }

    #[test]
    fn every_frame_comes_back() {
        let mut a = allocator();
        a.add_ram(MIB, 2 * MIB);
        let before = a.free_frames();
        let frames: std::vec::Vec<Frame> = core::iter::from_fn(|| a.allocate()).collect();
        assert_eq!(frames.len(), before);
        assert_eq!(a.free_frames(), 0);
        frames.iter().rev().for_each(|&f| a.free(f));
        assert_eq!(a.free_frames(), before);
        // And they are handed out again.
        assert_eq!(a.allocate().map(Frame::address), Some(MIB as u32));
    }

    #[test]
    fn runs_are_consecutive_and_skip_holes() {
        let mut a = allocator();
        a.add_ram(MIB, MIB + 16 * 4096);
        let hole = Frame::containing((MIB + 2 * 4096) as u32);
        a.reserve(u64::from(hole.address()), u64::from(hole.address()) + 4096);
        let run = a.allocate_run(4).unwrap();
        assert_eq!(run.address(), (MIB + 3 * 4096) as u32);
        assert_eq!(a.allocate_run(20), None);
        assert_eq!(a.allocate().map(Frame::address), Some(MIB as u32));
    }

    #[test]
    #[should_panic(expected = "freed twice")]
    fn double_free_is_caught() {
        let mut a = allocator();
        a.add_ram(MIB, 2 * MIB);
        let f = a.allocate().unwrap();
        a.free(f);
        a.free(f);
    }

    #[test]
    fn memory_above_the_limit_is_ignored() {
        let mut a = allocator();
        a.add_ram(MAX_MEMORY - 4096, MAX_MEMORY + 1024 * MIB);
        assert_eq!(a.free_frames(), 1);
    }
}
