//! Where things are in a process's address space (the user half, below
//! KERNEL_BASE; the kernel half is the same in every process).
//!
//! ```text
//!   0xC0000000  KERNEL_BASE = STACK_TOP: argc, argv, envp, auxv, strings
//!               the stack, STACK_SIZE, mapped when the process starts
//!   STACK_BOTTOM
//!               one unmapped guard page: a runaway stack faults here
//!   STACK_GUARD
//!               free: the heap grows up into it (brk), never past here
//!   brk         the break: the end of the heap
//!               the heap, from the page after the program
//!               the program's segments, at the addresses it was linked
//!               for (ld's default 0x08048000), or a flat binary at
//!               FLAT_BASE
//!   0x00001000  LOWEST_ADDRESS
//!   0x00000000  page 0, never mapped: a null pointer faults
//! ```

use crate::cpu::paging::{KERNEL_BASE, PAGE_SIZE};

/// Nothing is ever mapped below this: page 0 stays empty.
pub const LOWEST_ADDRESS: u32 = PAGE_SIZE;
/// Where a flat binary (no ELF header, so no address of its own) is
/// loaded and entered: assemble it with `org 0x00400000`.
pub const FLAT_BASE: u32 = 0x0040_0000;
/// The initial stack pointer's ceiling: the top of user space.
pub const STACK_TOP: u32 = KERNEL_BASE;
/// The stack, mapped in full when the process starts.
pub const STACK_SIZE: u32 = 128 * 1024;
pub const STACK_BOTTOM: u32 = STACK_TOP - STACK_SIZE;
/// The unmapped page below the stack; segments and the heap end below it.
pub const STACK_GUARD: u32 = STACK_BOTTOM - PAGE_SIZE;

/// `address` rounded up to a page boundary (saturating at the top).
pub const fn page_up(address: u32) -> u32 {
    match address.checked_add(PAGE_SIZE - 1) {
        Some(a) => a & !(PAGE_SIZE - 1),
        None => !(PAGE_SIZE - 1),
    }
}

/// `address` rounded down to a page boundary.
pub const fn page_down(address: u32) -> u32 {
    address & !(PAGE_SIZE - 1)
}
