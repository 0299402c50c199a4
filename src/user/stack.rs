//! The stack a new process starts with, as Linux i386 builds it.
//!
//! System V ABI, i386 supplement, "Process Initialization": at the entry
//! point, ESP points at argc; above it lie argv's pointers and a NULL,
//! envp's pointers and a NULL, then the auxiliary vector, (type, value)
//! pairs ending with AT_NULL, which tells the C library what the kernel
//! knows about the program (where its program headers are, the page
//! size, 16 random bytes for its stack protector). The strings they point
//! to lie at the top of the stack.
//!
//! ```text
//!   STACK_TOP   the argument and environment strings, the 16 random bytes
//!               (padding)
//!               AT_NULL, 0 / ... / AT_PAGESZ, 4096     the auxiliary vector
//!               NULL                                   end of envp
//!               envp[0] ...
//!               NULL                                   end of argv
//!               argv[argc - 1] ... argv[0]
//!   ESP  ->     argc                                   16-byte aligned
//! ```
//!
//! A tutorial's `_start: pop eax` gets argc. Pure, host-tested: the
//! loader copies the bytes built here into the new stack.

use crate::cpu::paging::PAGE_SIZE;

/// Auxiliary vector types (Linux's include/uapi/linux/auxvec.h).
pub const AT_NULL: u32 = 0;
pub const AT_PHDR: u32 = 3;
pub const AT_PHENT: u32 = 4;
pub const AT_PHNUM: u32 = 5;
pub const AT_PAGESZ: u32 = 6;
pub const AT_ENTRY: u32 = 9;
pub const AT_UID: u32 = 11;
pub const AT_EUID: u32 = 12;
pub const AT_GID: u32 = 13;
pub const AT_EGID: u32 = 14;
pub const AT_CLKTCK: u32 = 17;
pub const AT_SECURE: u32 = 23;
pub const AT_RANDOM: u32 = 25;
pub const AT_EXECFN: u32 = 31;

/// What the new process is told.
pub struct StartInfo<'a> {
    pub args: &'a [&'a str],
    pub env: &'a [&'a str],
    pub entry: u32,
    /// AT_PHDR, AT_PHNUM, AT_PHENT: 0 when the headers are not loaded.
    pub phdr: u32,
    pub phnum: u32,
    pub phent: u32,
    /// Timer ticks per second (AT_CLKTCK).
    pub ticks_per_second: u32,
    /// AT_RANDOM's 16 bytes.
    pub random: [u8; 16],
}

/// The arguments and environment do not fit in the room given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge;

/// Builds the initial stack for a stack whose top is `top`, in `room`,
/// which stands for `[top - room.len(), top)`. Returns the initial ESP;
/// the bytes to copy are `room[room.len() - (top - esp)..]`.
pub fn build(top: u32, info: &StartInfo, room: &mut [u8]) -> Result<u32, TooLarge> {
    let base = top - room.len() as u32;
    let mut at = room.len();
    // Places `bytes` below what is there; their user address.
    let mut put = |bytes: &[u8], at: &mut usize| -> Result<u32, TooLarge> {
        *at = at.checked_sub(bytes.len()).ok_or(TooLarge)?;
        room[*at..*at + bytes.len()].copy_from_slice(bytes);
        Ok(base + *at as u32)
    };
    let random = put(&info.random, &mut at)?;
    let mut pointers = [0u32; 64];
    let strings = info.args.iter().chain(info.env.iter());
    let count = info.args.len() + info.env.len();
    if count > pointers.len() {
        return Err(TooLarge);
    }
    for (slot, text) in pointers.iter_mut().zip(strings) {
        put(&[0], &mut at)?;
        *slot = put(text.as_bytes(), &mut at)?;
    }
    let (argv, envp) = pointers[..count].split_at(info.args.len());
    let execfn = argv.first().copied().unwrap_or(0);
    let aux = [
        (AT_PHDR, info.phdr),
        (AT_PHENT, info.phent),
        (AT_PHNUM, info.phnum),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_ENTRY, info.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_CLKTCK, info.ticks_per_second),
        (AT_RANDOM, random),
        (AT_EXECFN, execfn),
        (AT_NULL, 0),
    ];
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * aux.len();
    let table = at.checked_sub(words * 4).ok_or(TooLarge)? & !15;
    let mut word_at = table;
    let mut word = |value: u32| {
        room[word_at..word_at + 4].copy_from_slice(&value.to_le_bytes());
        word_at += 4;
    };
    word(argv.len() as u32);
    argv.iter().for_each(|&p| word(p));
    word(0);
    envp.iter().for_each(|&p| word(p));
    word(0);
    for (kind, value) in aux {
        word(kind);
        word(value);
    }
    Ok(base + table as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    const TOP: u32 = 0xC000_0000;

    fn info<'a>(args: &'a [&'a str], env: &'a [&'a str]) -> StartInfo<'a> {
        StartInfo {
            args,
            env,
            entry: 0x0804_8054,
            phdr: 0x0804_8034,
            phnum: 2,
            phent: 32,
            ticks_per_second: 100,
            random: [7; 16],
        }
    }

    /// Reads the stack back as a C library's start-up code would.
    struct Reader<'a> {
        room: &'a [u8],
        base: u32,
    }

    impl Reader<'_> {
        fn word(&self, address: u32) -> u32 {
            let at = (address - self.base) as usize;
            u32::from_le_bytes(self.room[at..at + 4].try_into().unwrap())
        }
        fn string(&self, address: u32) -> String {
            let at = (address - self.base) as usize;
            let end = at + self.room[at..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8(self.room[at..end].to_vec()).unwrap()
        }
    }

    #[test]
    fn argc_argv_envp_and_auxv_are_where_the_abi_says() {
        let mut room = [0u8; 4096];
        let esp = build(TOP, &info(&["hello", "a b", ""], &["TERM=vt100"]), &mut room).unwrap();
        assert_eq!(esp % 16, 0);
        let r = Reader { room: &room, base: TOP - 4096 };
        assert_eq!(r.word(esp), 3);
        let args: Vec<String> = (0..3).map(|i| r.string(r.word(esp + 4 + 4 * i))).collect();
        assert_eq!(args, ["hello", "a b", ""]);
        assert_eq!(r.word(esp + 16), 0);
        assert_eq!(r.string(r.word(esp + 20)), "TERM=vt100");
        assert_eq!(r.word(esp + 24), 0);
        let mut aux = std::collections::BTreeMap::new();
        let mut at = esp + 28;
        loop {
            let (kind, value) = (r.word(at), r.word(at + 4));
            at += 8;
            if kind == AT_NULL {
                break;
            }
            aux.insert(kind, value);
        }
        assert_eq!(aux[&AT_PAGESZ], 4096);
        assert_eq!((aux[&AT_PHDR], aux[&AT_PHNUM], aux[&AT_PHENT]), (0x0804_8034, 2, 32));
        assert_eq!(aux[&AT_ENTRY], 0x0804_8054);
        assert_eq!(r.string(aux[&AT_EXECFN]), "hello");
        let random = aux[&AT_RANDOM];
        assert!(random > at && random + 16 <= TOP);
        let at = (random - (TOP - 4096)) as usize;
        assert_eq!(room[at..at + 16], [7; 16]);
    }

    #[test]
    fn no_arguments_at_all() {
        let mut room = [0u8; 512];
        let esp = build(TOP, &info(&[], &[]), &mut room).unwrap();
        let r = Reader { room: &room, base: TOP - 512 };
        assert_eq!(r.word(esp), 0);
        assert_eq!(r.word(esp + 4), 0); // argv's NULL
        assert_eq!(r.word(esp + 8), 0); // envp's NULL
    }

    #[test]
    fn too_much_is_refused_not_overrun() {
        let mut room = [0u8; 128];
        let long = "x".repeat(200);
        assert_eq!(build(TOP, &info(&[&long], &[]), &mut room), Err(TooLarge));
        let many = ["a"; 100];
        let mut room = [0u8; 4096];
        assert_eq!(build(TOP, &info(&many, &[]), &mut room), Err(TooLarge));
    }
}
