//! The benchmark's ring-3 programs (src/bench/stubs.rs, src/bench/nic.rs):
//! flat binaries that end in a data block, started as processes like any
//! other, and read back from their memory once they have ended.
//!
//! The kernel writes a program's parameters into the block of its copy
//! of the image before starting it; the program leaves its results in
//! the block (and in the bytes after it, if it has more to say: the NIC
//! program's samples), and `collect` reads them before the process's
//! memory is freed.

use core::marker::PhantomData;
use core::mem::{size_of, MaybeUninit};

use super::timing::Failure;
use crate::mm::DirectMap;
use crate::user::layout::FLAT_BASE;
use crate::{cpu, sched, user};

/// A data block that any bytes make a valid value of: plain integers.
///
/// # Safety
/// The type must be `#[repr(C)]`, made of integers and arrays of them
/// only, so that the bytes a ring-3 program left can be read back as one.
pub unsafe trait Block: Copy {}

/// Bytes of the largest image `start` copies (the NIC program, with its
/// samples, is the largest).
const IMAGE_BYTES: usize = 8192;

/// Where `start` builds the image of the next process: too big for the
/// 64 KiB boot stack, next to everything else the benchmark keeps.
static IMAGE: spin::Mutex<[u8; IMAGE_BYTES]> = spin::Mutex::new([0; IMAGE_BYTES]);

/// A ring-3 program, and where its block of type `B` starts.
pub(super) struct Program<B: Block> {
    code: &'static [u8],
    data_at: usize,
    block: PhantomData<B>,
}

impl<B: Block> Program<B> {
    /// The program `code`, whose block is at offset `data_at`.
    pub fn new((code, data_at): (&'static [u8], usize)) -> Program<B> {
        assert!(data_at + size_of::<B>() <= code.len() && code.len() <= IMAGE_BYTES);
        Program { code, data_at, block: PhantomData }
    }

    /// Starts a copy of the program with `block` as its parameters, as a
    /// process whose memory the kernel keeps after it ends (`collect`).
    pub fn start(&self, block: B, name: &str) -> Result<u32, Failure> {
        let mut image = IMAGE.lock();
        let image = &mut image[..self.code.len()];
        image.copy_from_slice(self.code);
        // SAFETY: data_at + size_of::<B>() <= image.len() (checked in new).
        unsafe { image.as_mut_ptr().add(self.data_at).cast::<B>().write_unaligned(block) };
        let pid = user::start(image, &[name]).map_err(|_| "ring 3: cannot start the program")?;
        sched::keep(pid);
        Ok(pid)
    }

    /// Runs processes until `pid` has ended; its data block, and in
    /// `after` the bytes that follow the block. The program must have
    /// exited with status 0. Interrupts are off on return, as every batch
    /// expects (collect turns them on to let the processes run).
    pub fn collect(&self, pid: u32, after: &mut [u8]) -> Result<B, Failure> {
        let block = sched::collect(pid, |p| {
            let mut block = MaybeUninit::<B>::zeroed();
            // SAFETY: the zeroed bytes of `block`, as many as B has.
            let bytes = unsafe {
                core::slice::from_raw_parts_mut(block.as_mut_ptr().cast::<u8>(), size_of::<B>())
            };
            let space = p.space.as_ref().ok_or("ring 3: the program has no memory")?;
            let at = FLAT_BASE + self.data_at as u32;
            space
                .read(&mut DirectMap, at, bytes)
                .and_then(|()| space.read(&mut DirectMap, at + size_of::<B>() as u32, after))
                .map_err(|_| "ring 3: the program's data block is gone")?;
            if p.exit != Some(sched::Exit::Exited(0)) {
                return Err("ring 3: the benchmark program did not exit(0)");
            }
            // SAFETY: B: Block, so the bytes it was given are a valid B.
            Ok(unsafe { block.assume_init() })
        });
        cpu::disable_interrupts();
        block
    }
}
