//! The program's memory: mprotect (Linux mm/mprotect.c). brk is one
//! call to the kernel's Services, answered in `dispatch`.

use super::errno::{EINVAL, ENOMEM};
use super::services::{Fault, Services};
use crate::cpu::paging::{KERNEL_BASE, PAGE_SIZE};
use crate::mm::space::Protection;

/// mprotect's bits.
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;
/// "Atomic operations may be used here": meaningless without other CPUs
/// or shared memory, accepted as Linux accepts it.
pub const PROT_SEM: u32 = 8;

/// mprotect: changes the protection of pages the program has. glibc's
/// static start-up makes its RELRO range (data written once at start-up,
/// such as the GOT) read-only, and a failure there is fatal ("cannot
/// apply additional memory protection after relocation", exit 127): so
/// it is done, for real. The start must be page-aligned and the bits
/// known (-EINVAL); every page of the range must be mapped, or -ENOMEM
/// and nothing changes, as on Linux. PROT_EXEC adds nothing: without a
/// no-execute bit, readable is executable.
pub(super) fn mprotect(start: u32, len: u32, prot: u32, kernel: &mut impl Services) -> i32 {
    let known = PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM;
    if !start.is_multiple_of(PAGE_SIZE) || prot & !known != 0 {
        return -EINVAL;
    }
    let pages = len.div_ceil(PAGE_SIZE);
    let fits = pages.checked_mul(PAGE_SIZE).and_then(|bytes| start.checked_add(bytes));
    if !fits.is_some_and(|end| end <= KERNEL_BASE) {
        return -ENOMEM;
    }
    if pages == 0 {
        return 0;
    }
    let protection = if prot & PROT_WRITE != 0 {
        Protection::ReadWrite
    } else if prot & (PROT_READ | PROT_EXEC) != 0 {
        Protection::Read
    } else {
        Protection::None
    };
    match kernel.protect(start, pages, protection) {
        Ok(()) => 0,
        Err(Fault) => -ENOMEM,
    }
}
