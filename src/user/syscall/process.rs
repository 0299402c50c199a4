//! The process and its one thread: set_thread_area, ugetrlimit,
//! set_tid_address, sched_yield, and the two start-up calls refused on
//! purpose, set_robust_list and rseq (xv6 sysproc.c; Linux kernel/sys.c,
//! arch/x86/kernel/tls.c). exit and getpid are `dispatch`'s own arms.

use super::errno::{Errno, SysResult};
use super::services::Services;
use super::uaccess::copy_out;
use crate::fd::MAX_FDS;
use crate::user::abi;
use crate::user::layout::STACK_SIZE;
use crate::user::tls::{self, Refused, UserDesc, USER_DESC_BYTES};
use crate::user::umem::UserRange;

/// getrlimit's resources: the stack, and the number of descriptors.
pub const RLIMIT_STACK: u32 = 3;
pub const RLIMIT_NOFILE: u32 = 7;

/// ugetrlimit: the two resources with a true answer. RLIMIT_STACK:
/// 128 KiB, the stack every process gets, and it never grows; glibc
/// sizes new threads' stacks by it (and uses a default when the call
/// fails). RLIMIT_NOFILE: the descriptor table's size, the bound dup2
/// and F_DUPFD check against (glibc's sysconf(_SC_OPEN_MAX) asks it).
/// Every other resource: -EINVAL, as for one Linux does not know.
pub(super) fn getrlimit(resource: u32, out: u32, kernel: &mut impl Services) -> SysResult {
    let limit = match resource {
        RLIMIT_STACK => STACK_SIZE,
        RLIMIT_NOFILE => MAX_FDS as u32,
        _ => return Err(Errno::EINVAL),
    };
    copy_out(&abi::rlimit(limit, limit), out, kernel)?;
    Ok(0)
}

/// set_thread_area: see src/user/tls.rs for the checks and
/// src/cpu/gdt.rs for why thread-local storage lives in the GDT. glibc's
/// start-up cannot do without it (it exits with "set_thread_area failed
/// when setting up thread-local storage").
pub(super) fn set_thread_area(desc: u32, kernel: &mut impl Services) -> SysResult {
    let user = UserRange::new(desc, USER_DESC_BYTES as u32).ok_or(Errno::EFAULT)?;
    let mut raw = [0u8; USER_DESC_BYTES];
    kernel.copy_from_user(user, &mut raw)?;
    let grant = match tls::grant(&UserDesc::parse(&raw), &kernel.tls()) {
        Ok(grant) => grant,
        Err(Refused::Invalid) => return Err(Errno::EINVAL),
        Err(Refused::NoFreeSlot) => return Err(Errno::ESRCH),
    };
    if let Some(index) = grant.write_back {
        let entry = user.part(0, 4).expect("inside the checked range");
        kernel.copy_to_user(&index.to_le_bytes(), entry)?;
    }
    kernel.set_tls(grant.slot, grant.descriptor);
    Ok(0)
}

/// set_tid_address: glibc stores the answer as the thread's tid (raise()
/// and the pthread functions name the thread by it). One thread per
/// process here, so its tid is the pid, as for a main thread on Linux.
/// The pointer is for waking a joining thread when this thread exits;
/// with no other threads, nobody joins.
pub(super) fn set_tid_address(_pointer: u32, kernel: &mut impl Services) -> SysResult {
    Ok(kernel.pid())
}

/// sched_yield: another ready process runs first, if there is one.
pub(super) fn sched_yield(kernel: &mut impl Services) -> SysResult {
    kernel.yield_cpu();
    Ok(0)
}

/// set_robust_list: robust futex lists tell the kernel which locks to
/// release when a thread dies; there are no futexes here. glibc takes
/// -ENOSYS to mean "no robust mutexes" and carries on (checked by failing
/// the call on Linux with strace's fault injection). Not logged as
/// unknown: it is refused on purpose.
pub(super) fn set_robust_list() -> SysResult {
    Err(Errno::ENOSYS)
}

/// rseq: restartable sequences need the kernel to update the area on
/// every preemption and migration; not done here. glibc takes -ENOSYS as
/// "not registered" and uses its fallbacks. Not logged as unknown either.
pub(super) fn rseq() -> SysResult {
    Err(Errno::ENOSYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::syscall::fake::{Fake, BASE, SIZE};
    use Errno::*;

    #[test]
    fn set_thread_area_picks_a_slot_writes_it_back_and_refuses_bad_input() {
        let mut k = Fake::new();
        let desc = |entry: u32, flags: u32| {
            [
                entry.to_le_bytes(),
                0x0900_0000u32.to_le_bytes(),
                0xF_FFFFu32.to_le_bytes(),
                flags.to_le_bytes(),
            ]
            .concat()
        };
        // glibc's request: entry -1, seg_32bit | limit_in_pages | useable.
        k.poke(BASE, &desc(u32::MAX, 0x51));
        assert_eq!(set_thread_area(BASE, &mut k), Ok(0));
        assert_eq!(k.word(BASE), 6, "the chosen GDT entry is written back");
        assert_ne!(k.tls[0], 0);
        k.poke(BASE, &desc(u32::MAX, 0x51));
        assert_eq!(set_thread_area(BASE, &mut k), Ok(0));
        assert_eq!(k.word(BASE), 7);
        // The same user_desc again now names entry 7: it is replaced in place.
        let before = k.tls;
        assert_eq!(set_thread_area(BASE, &mut k), Ok(0));
        assert_eq!(k.tls, before);
        k.poke(BASE, &desc(u32::MAX, 0x51));
        assert_eq!(set_thread_area(BASE, &mut k), Ok(0));
        k.poke(BASE, &desc(u32::MAX, 0x51));
        assert_eq!(set_thread_area(BASE, &mut k), Err(ESRCH));
        // Bad slots, a code segment, unreadable and read-only user_descs.
        k.poke(BASE, &desc(12, 0x51));
        assert_eq!(set_thread_area(BASE, &mut k), Err(EINVAL));
        k.poke(BASE, &desc(6, 0x51 | 4));
        assert_eq!(set_thread_area(BASE, &mut k), Err(EINVAL));
        assert_eq!(set_thread_area(0xC000_0000, &mut k), Err(EFAULT));
        assert_eq!(set_thread_area(BASE + SIZE - 8, &mut k), Err(EFAULT));
        // Clearing slot 7 with the documented empty form frees it again.
        let empty = [7u32.to_le_bytes(), [0; 4], [0; 4], 0x28u32.to_le_bytes()].concat();
        k.poke(BASE, &empty);
        assert_eq!(set_thread_area(BASE, &mut k), Ok(0));
        assert_eq!(k.tls[1], 0);
        k.poke(BASE, &desc(u32::MAX, 0x51));
        assert_eq!(set_thread_area(BASE, &mut k), Ok(0));
        assert_eq!(k.word(BASE), 7);
    }

    #[test]
    fn start_up_calls_answer_as_glibc_needs() {
        let mut k = Fake::new();
        assert_eq!(set_tid_address(BASE, &mut k), Ok(7));
        assert_eq!(set_robust_list(), Err(ENOSYS));
        assert_eq!(rseq(), Err(ENOSYS));
        assert_eq!(getrlimit(RLIMIT_STACK, BASE, &mut k), Ok(0));
        assert_eq!((k.word(BASE), k.word(BASE + 4)), (128 * 1024, 128 * 1024));
        assert_eq!(getrlimit(RLIMIT_NOFILE, BASE, &mut k), Ok(0));
        assert_eq!((k.word(BASE), k.word(BASE + 4)), (32, 32));
        assert_eq!(getrlimit(6, BASE, &mut k), Err(EINVAL));
        assert_eq!(getrlimit(RLIMIT_STACK, 0xC000_0000, &mut k), Err(EFAULT));
        assert_eq!(sched_yield(&mut k), Ok(0));
        assert_eq!(k.yields, 1);
    }
}
