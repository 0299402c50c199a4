//! getrandom (Linux drivers/char/random.c; zCore linux-syscall misc.rs).

use super::errno::{Errno, SysResult};
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
pub(super) fn getrandom(buf: u32, len: u32, flags: u32, kernel: &mut impl Services) -> SysResult {
    let both = GRND_RANDOM | GRND_INSECURE;
    if flags & !(GRND_NONBLOCK | both) != 0 || flags & both == both {
        return Err(Errno::EINVAL);
    }
    // Linux's limit for one call; more may come in another.
    let len = len.min(GETRANDOM_MAX);
    let user = UserRange::new(buf, len).ok_or(Errno::EFAULT)?;
    let mut bytes = [0u8; BOUNCE_BYTES];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(bytes.len() as u32);
        kernel.random(&mut bytes[..n as usize]);
        let piece = user.part(done, n).expect("inside the checked range");
        if kernel.copy_to_user(&bytes[..n as usize], piece).is_err() {
            return if done > 0 { Ok(done) } else { Err(Errno::EFAULT) };
        }
        done += n;
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::syscall::fake::{Fake, BASE, SIZE};
    use Errno::*;

    #[test]
    fn getrandom_fills_the_buffer_and_checks_flags_and_pages() {
        let mut k = Fake::new();
        assert_eq!(getrandom(BASE, 4, GRND_NONBLOCK, &mut k), Ok(4));
        assert_eq!(k.memory[..5], [0x80, 0x81, 0x82, 0x83, 0]);
        assert_eq!(getrandom(BASE, 600, 0, &mut k), Ok(600));
        assert_eq!(k.memory[599], 0x80 | (599 % 256) as u8);
        assert_eq!(getrandom(BASE, 0, GRND_INSECURE, &mut k), Ok(0));
        assert_eq!(getrandom(BASE, 4, 8, &mut k), Err(EINVAL));
        assert_eq!(getrandom(BASE, 4, GRND_RANDOM | GRND_INSECURE, &mut k), Err(EINVAL));
        assert_eq!(getrandom(0xC000_0000, 4, 0, &mut k), Err(EFAULT));
        // 300 bytes asked at 256 before the end: the first 256 arrive.
        assert_eq!(getrandom(BASE + SIZE - 256, 300, 0, &mut k), Ok(256));
    }
}
