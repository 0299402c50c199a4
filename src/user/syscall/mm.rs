//! The program's memory: brk and mprotect (Linux mm/mmap.c,
//! mm/mprotect.c).

use super::errno::{Errno, SysResult};
use super::services::Services;
use crate::cpu::paging::{KERNEL_BASE, PAGE_SIZE};
use crate::mm::space::Protection;

/// mprotect's bits.
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;
/// "Atomic operations may be used here": meaningless without other CPUs
/// or shared memory, accepted as Linux accepts it.
pub const PROT_SEM: u32 = 8;

/// brk: the kernel's Services move the break. glibc's static start-up
/// takes its TLS block and TCB from the heap (brk(0), then brk(0 + about
/// 2 KiB)) before set_thread_area. If brk refuses it tries mmap2, which
/// is -ENOSYS here, and then it dies: "Fatal glibc error: Cannot allocate
/// TLS block", exit 127. malloc grows the heap with brk and turns to
/// mmap2 only when brk refuses (or for one request of 128 KiB or more).
/// Refusing means answering the old break, as Linux does: glibc's brk()
/// takes an answer below the address it asked for as failure (ENOMEM).
/// A negative errno would be read as a break far above it, a success:
/// malloc then corrupts its heap and aborts (all checked on Linux with
/// strace -e inject=brk:retval=... and inject=brk:error=ENOMEM). So brk
/// never answers an Err.
pub(super) fn brk(address: u32, kernel: &mut impl Services) -> SysResult {
    Ok(kernel.brk(address))
}

/// mprotect: changes the protection of pages the program has. glibc's
/// static start-up makes its RELRO range (data written once at start-up,
/// such as the GOT) read-only, and a failure there is fatal ("cannot
/// apply additional memory protection after relocation", exit 127): so
/// it is done, for real. The start must be page-aligned and the bits
/// known (-EINVAL); every page of the range must be mapped, or -ENOMEM
/// and nothing changes, as on Linux. PROT_EXEC adds nothing: without a
/// no-execute bit, readable is executable.
pub(super) fn mprotect(start: u32, len: u32, prot: u32, kernel: &mut impl Services) -> SysResult {
    let known = PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM;
    if !start.is_multiple_of(PAGE_SIZE) || prot & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let pages = len.div_ceil(PAGE_SIZE);
    let fits = pages.checked_mul(PAGE_SIZE).and_then(|bytes| start.checked_add(bytes));
    if !fits.is_some_and(|end| end <= KERNEL_BASE) {
        return Err(Errno::ENOMEM);
    }
    if pages == 0 {
        return Ok(0);
    }
    let protection = if prot & PROT_WRITE != 0 {
        Protection::ReadWrite
    } else if prot & (PROT_READ | PROT_EXEC) != 0 {
        Protection::Read
    } else {
        Protection::None
    };
    // Not a copy's fault: a page that is not mapped.
    kernel.protect(start, pages, protection).map_err(|_| Errno::ENOMEM)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::syscall::fake::{Fake, BASE, SIZE};
    use Errno::*;

    #[test]
    fn brk_moves_the_break_or_answers_the_old_one() {
        let mut k = Fake::new();
        assert_eq!(brk(0, &mut k), Ok(0x0805_0000));
        assert_eq!(brk(0x0806_0000, &mut k), Ok(0x0806_0000));
        // Refused: the break stays where it was, as Linux answers.
        assert_eq!(brk(0xC000_0000, &mut k), Ok(0x0806_0000));
    }

    #[test]
    fn mprotect_validates_and_protects_whole_pages() {
        let mut k = Fake::new();
        let mut call3 = |a, b, c| mprotect(a, b, c, &mut k);
        assert_eq!(call3(BASE + 0x1000, 12288, PROT_READ), Ok(0));
        assert_eq!(call3(BASE, 1, PROT_READ | PROT_WRITE), Ok(0));
        assert_eq!(call3(BASE, 4096, 0), Ok(0));
        assert_eq!(call3(BASE, 4096, PROT_EXEC), Ok(0));
        assert_eq!(call3(BASE, 0, PROT_READ), Ok(0));
        assert_eq!(call3(BASE + 1, 4096, PROT_READ), Err(EINVAL));
        assert_eq!(call3(BASE, 4096, 0x10), Err(EINVAL));
        assert_eq!(call3(BASE, 4096, PROT_SEM), Ok(0));
        assert_eq!(call3(BASE, SIZE + 1, PROT_READ), Err(ENOMEM));
        assert_eq!(call3(0xBFFF_F000, 0x2000, PROT_READ), Err(ENOMEM));
        assert_eq!(call3(0xC000_0000, 0x1000, PROT_READ), Err(ENOMEM));
        assert_eq!(call3(0x1000, u32::MAX, PROT_READ), Err(ENOMEM));
        assert_eq!(
            k.protected,
            [
                (BASE + 0x1000, 3, Protection::Read),
                (BASE, 1, Protection::ReadWrite),
                (BASE, 1, Protection::None),
                (BASE, 1, Protection::Read),
                // PROT_SEM alone: no access.
                (BASE, 1, Protection::None)
            ],
            "no refused call reached the page tables"
        );
    }
}
