//! getrandom (Linux drivers/char/random.c; zCore linux-syscall misc.rs).

use super::errno::{EFAULT, EINVAL};
use super::services::Services;
use super::uaccess::BOUNCE_BYTES;
use crate::user::umem::UserRange;

/// getrandom's flags: don't block, the "random" pool, don't wait for
/// the pool to be ready. This kernel never blocks in getrandom.
pub const GRND_NONBLOCK: u32 = 1;
pub const GRND_RANDOM: u32 = 2;
pub const GRND_INSECURE: u32 = 4;
/// The most bytes one getrandom returns (Linux: 32 MiB - 1).
pub const GETRANDOM_MAX: u32 = (32 << 20) - 1;

/// getrandom: glibc asks for 4 bytes at start-up for malloc's tcache key
/// (without them it falls back to the clock). Never blocks, and returns
/// at most GETRANDOM_MAX bytes, as Linux; flags other
/// than the three Linux knows, or GRND_RANDOM with GRND_INSECURE, are
/// -EINVAL. A page the program may not write stops the fill: the bytes
/// before it are the answer, or -EFAULT.
pub(super) fn getrandom(buf: u32, len: u32, flags: u32, kernel: &mut impl Services) -> i32 {
    let both = GRND_RANDOM | GRND_INSECURE;
    if flags & !(GRND_NONBLOCK | both) != 0 || flags & both == both {
        return -EINVAL;
    }
    // Linux's limit for one call; more may come in another.
    let len = len.min(GETRANDOM_MAX);
    let Some(user) = UserRange::new(buf, len) else { return -EFAULT };
    let mut bytes = [0u8; BOUNCE_BYTES];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(bytes.len() as u32);
        kernel.random(&mut bytes[..n as usize]);
        let piece = user.part(done, n).expect("inside the checked range");
        if kernel.copy_to_user(&bytes[..n as usize], piece).is_err() {
            return if done > 0 { done as i32 } else { -EFAULT };
        }
        done += n;
    }
    len as i32
}
