//! The process and its thread: set_thread_area and ugetrlimit (xv6
//! sysproc.c; Linux kernel/sys.c, arch/x86/kernel/tls.c).

use super::errno::{EFAULT, EINVAL, ESRCH};
use super::services::Services;
use super::uaccess::copy_out;
use crate::user::abi;
use crate::user::layout::STACK_SIZE;
use crate::user::tls::{self, Refused, UserDesc, USER_DESC_BYTES};
use crate::user::umem::UserRange;

/// getrlimit's resource for the stack.
pub const RLIMIT_STACK: u32 = 3;

/// ugetrlimit: only RLIMIT_STACK, which has a true answer: 128 KiB, the
/// stack every process gets, and it never grows. glibc sizes new
/// threads' stacks by it (and uses a default when the call fails).
/// Every other resource: -EINVAL, as for one Linux does not know.
pub(super) fn getrlimit(resource: u32, out: u32, kernel: &mut impl Services) -> i32 {
    if resource != RLIMIT_STACK {
        return -EINVAL;
    }
    copy_out(&abi::rlimit(STACK_SIZE, STACK_SIZE), out, kernel).map_or(-EFAULT, |()| 0)
}

/// set_thread_area: see src/user/tls.rs for the checks and
/// src/cpu/gdt.rs for why thread-local storage lives in the GDT. glibc's
/// start-up cannot do without it (it exits with "set_thread_area failed
/// when setting up thread-local storage").
pub(super) fn set_thread_area(desc: u32, kernel: &mut impl Services) -> i32 {
    let Some(user) = UserRange::new(desc, USER_DESC_BYTES as u32) else { return -EFAULT };
    let mut raw = [0u8; USER_DESC_BYTES];
    if kernel.copy_from_user(user, &mut raw).is_err() {
        return -EFAULT;
    }
    let grant = match tls::grant(&UserDesc::parse(&raw), &kernel.tls()) {
        Ok(grant) => grant,
        Err(Refused::Invalid) => return -EINVAL,
        Err(Refused::NoFreeSlot) => return -ESRCH,
    };
    if let Some(index) = grant.write_back {
        let entry = user.part(0, 4).expect("inside the checked range");
        if kernel.copy_to_user(&index.to_le_bytes(), entry).is_err() {
            return -EFAULT;
        }
    }
    kernel.set_tls(grant.slot, grant.descriptor);
    0
}
