//! Copies between the kernel and a program's memory that more than one
//! call needs (Linux lib/usercopy.c, strncpy_from_user, import_iovec):
//! every one goes through a `UserRange` and the `Services` copies, which
//! check each page against the process's page tables.

use super::services::{Fault, Services};
use crate::cpu::paging::PAGE_SIZE;
use crate::user::abi;
use crate::user::umem::UserRange;

/// Bytes copied through the kernel per step of a read or write.
pub(super) const BOUNCE_BYTES: usize = 256;

/// Entry `i` of the iovec array `array`: (base, length).
pub(super) fn iovec_at(
    array: UserRange,
    i: u32,
    kernel: &mut impl Services,
) -> Result<(u32, u32), Fault> {
    let mut raw = [0u8; 8];
    kernel.copy_from_user(array.part(i * 8, 8).ok_or(Fault)?, &mut raw)?;
    Ok(abi::iovec(&raw))
}

/// Copies `bytes` to the program at `to`.
pub(super) fn copy_out(bytes: &[u8], to: u32, kernel: &mut impl Services) -> Result<(), Fault> {
    let user = UserRange::new(to, bytes.len() as u32).ok_or(Fault)?;
    kernel.copy_to_user(bytes, user)
}

/// Reads the NUL-terminated string at `at` into `out`, a page at a time
/// (so a short string at the end of the last mapped page is fine):
/// Ok(Some(length)), Ok(None) if it is longer than `out`, Err on a page
/// the program may not read.
pub(super) fn read_c_string(
    at: u32,
    out: &mut [u8],
    kernel: &mut impl Services,
) -> Result<Option<usize>, Fault> {
    let mut done = 0;
    while done < out.len() {
        let address = at.checked_add(done as u32).ok_or(Fault)?;
        let to_page_end = (PAGE_SIZE - address % PAGE_SIZE) as usize;
        let n = to_page_end.min(out.len() - done);
        let range = UserRange::new(address, n as u32).ok_or(Fault)?;
        kernel.copy_from_user(range, &mut out[done..done + n])?;
        if let Some(nul) = out[done..done + n].iter().position(|&b| b == 0) {
            return Ok(Some(done + nul));
        }
        done += n;
    }
    Ok(None)
}
