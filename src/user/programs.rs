//! Built-in user programs, chosen with `init=NAME`.
//!
//! Each is a few instructions of ring-3 code written as a student would
//! write a Linux i386 program: system calls through `int $0x80`, number in
//! EAX, arguments in EBX, ECX, EDX. Each is a flat binary: the kernel
//! loads it at FLAT_BASE (0x00400000) and enters it at its first byte,
//! so each program computes its data addresses as
//! `label - start + USER_BASE`.
//!
//! AT&T syntax here (GNU as, like xv6's user code), because LLVM's Intel
//! syntax parser cannot express "the address this label will have once
//! the program is copied elsewhere" as an immediate.
//!
//! `hello` and `echo` are well-behaved; every other program does one
//! thing ring 3 must not be able to do, and must be stopped by the CPU.

use super::layout::{FLAT_BASE, STACK_TOP};
use super::syscall::errno::Errno;
use super::syscall::numbers::{SYS_EXIT, SYS_READ, SYS_WRITE};
use crate::cpu::paging::KERNEL_BASE;
use crate::fd::{STDIN, STDOUT};

/// An address inside the kernel's image: its first byte (linker.ld).
const KERNEL_ADDRESS: u32 = KERNEL_BASE + 0x0010_0000;

core::arch::global_asm!(
    r#"
    /* Every number below comes from the kernel's own definitions (the
     * const operands at the end), so the programs and the kernel cannot
     * disagree on a call number, an errno or an address. */
    .set USER_BASE, {user_base}
    .set USER_END, {user_end}
    .set KERNEL_ADDRESS, {kernel_address}
    .set SYS_EXIT, {sys_exit}
    .set SYS_READ, {sys_read}
    .set SYS_WRITE, {sys_write}
    .set EBADF, {ebadf}
    .set EFAULT, {efault}
    .set ENOSYS, {enosys}
    .set STDIN, {stdin}
    .set STDOUT, {stdout}
    .set UNKNOWN_CALL, 999      /* no Linux i386 call has this number */

    .macro program name
    .section .rodata.user_program.\name, "a"
    .global user_program_\name
user_program_\name:
    .endm

    .macro end_program name
    .global user_program_\name\()_end
user_program_\name\()_end:
    .endm

    /* write(1, message, length); exit(0) */
    program hello
    movl $SYS_WRITE, %eax
    movl $STDOUT, %ebx
    movl $(hello_message - user_program_hello + USER_BASE), %ecx
    movl $(hello_message_end - hello_message), %edx
    int $0x80
    movl $SYS_EXIT, %eax
    movl $0, %ebx
    int $0x80
hello_message:
    .ascii "hello from ring 3\n"
hello_message_end:
    end_program hello

    /* Reads lines with read(0, ...) and writes them back with
     * write(1, ...), until end of file (Ctrl-D at the start of a line:
     * read returns 0); then exit(0). The buffer lives on the user stack. */
    program echo
    subl $64, %esp
1:  movl $SYS_READ, %eax
    movl $STDIN, %ebx
    movl %esp, %ecx
    movl $64, %edx
    int $0x80
    testl %eax, %eax
    jle 3f
    movl %eax, %edx
    movl $SYS_WRITE, %eax
    movl $STDOUT, %ebx
    movl %esp, %ecx
    int $0x80
    jmp 1b
3:  movl $SYS_EXIT, %eax
    movl $0, %ebx
    int $0x80
    end_program echo

    /* Computes forever and makes no system call: only the timer's IRQ 0
     * (taken in ring 3) and Ctrl-C (which the kernel turns into a stop on
     * the way back to ring 3) ever interrupt it. */
    program spin
1:  incl %eax
    jmp 1b
    end_program spin

    /* Read a word of kernel memory: #PF, supervisor page from ring 3. */
    program readkernel
    movl KERNEL_ADDRESS, %eax
    end_program readkernel

    /* Write a word of kernel memory: #PF with the write bit. */
    program writekernel
    movl $0xbad, KERNEL_ADDRESS
    end_program writekernel

    /* int on a DPL-0 gate (the keyboard's vector): #GP, IDT bit set. */
    program intgate
    int $0x21
    end_program intgate

    /* Port I/O with IOPL 0 and no I/O bitmap: #GP. */
    program port
    inb $0x60, %al
    end_program port

    /* cli is privileged at IOPL 0: #GP. */
    program cli
    cli
    end_program cli

    /* lidt is privileged: #GP. */
    program lidt
    lidt (%esp)
    end_program lidt

    /* Jump into the kernel's code: #PF on the fetch from a supervisor page. */
    program jumpkernel
    movl $KERNEL_ADDRESS, %eax
    jmp *%eax
    end_program jumpkernel

    /* Push until the stack leaves the user region: #PF just below it. */
    program stackoverflow
1:  pushl $0x5afe
    jmp 1b
    end_program stackoverflow

    /* System calls with bad arguments; each must fail with the right errno
     * and copy nothing. The exit status has bit n set when check n failed. */
    program badpointers
    xorl %esi, %esi
    /* 0: write from kernel memory */
    movl $SYS_WRITE, %eax
    movl $STDOUT, %ebx
    movl $KERNEL_ADDRESS, %ecx
    movl $16, %edx
    int $0x80
    cmpl $-EFAULT, %eax
    je 1f
    orl $1, %esi
1:  /* 1: write that runs past the end of the user region */
    movl $SYS_WRITE, %eax
    movl $STDOUT, %ebx
    movl $(USER_END - 16), %ecx
    movl $32, %edx
    int $0x80
    cmpl $-EFAULT, %eax
    je 1f
    orl $2, %esi
1:  /* 2: read into kernel memory */
    movl $SYS_READ, %eax
    movl $STDIN, %ebx
    movl $KERNEL_ADDRESS, %ecx
    movl $16, %edx
    int $0x80
    cmpl $-EFAULT, %eax
    je 1f
    orl $4, %esi
1:  /* 3: a file descriptor that does not exist */
    movl $SYS_WRITE, %eax
    movl $7, %ebx
    movl $USER_BASE, %ecx
    movl $1, %edx
    int $0x80
    cmpl $-EBADF, %eax
    je 1f
    orl $8, %esi
1:  /* 4: a system call that does not exist */
    movl $UNKNOWN_CALL, %eax
    int $0x80
    cmpl $-ENOSYS, %eax
    je 1f
    orl $16, %esi
1:  movl $SYS_EXIT, %eax
    movl %esi, %ebx
    int $0x80
    end_program badpointers
"#,
    user_base = const FLAT_BASE,
    user_end = const STACK_TOP,
    kernel_address = const KERNEL_ADDRESS,
    sys_exit = const SYS_EXIT,
    sys_read = const SYS_READ,
    sys_write = const SYS_WRITE,
    ebadf = const Errno::EBADF.code(),
    efault = const Errno::EFAULT.code(),
    enosys = const Errno::ENOSYS.code(),
    stdin = const STDIN,
    stdout = const STDOUT,
    options(att_syntax)
);

macro_rules! programs {
    ($($name:ident),* $(,)?) => {
        unsafe extern "C" {
            $(
                #[link_name = concat!("user_program_", stringify!($name))]
                static $name: u8;
            )*
        }
        mod ends {
            unsafe extern "C" {
                $(
                    #[link_name = concat!("user_program_", stringify!($name), "_end")]
                    pub static $name: u8;
                )*
            }
        }
        /// The built-in programs: name and machine code.
        pub fn all() -> &'static [(&'static str, fn() -> &'static [u8])] {
            &[$((stringify!($name), || {
                // Only the two labels' addresses are used: the bytes between
                // them are the program, emitted above into read-only data.
                let (start, end) = (&raw const $name, &raw const ends::$name);
                // SAFETY: start..end is one assembled program in .rodata.
                unsafe { core::slice::from_raw_parts(start, end as usize - start as usize) }
            })),*]
        }
    };
}

programs!(
    hello,
    echo,
    spin,
    readkernel,
    writekernel,
    intgate,
    port,
    cli,
    lidt,
    jumpkernel,
    stackoverflow,
    badpointers
);

/// The machine code of the built-in program `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    all().iter().find(|(n, _)| *n == name).map(|(_, code)| code())
}
