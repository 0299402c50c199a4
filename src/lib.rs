//! irqkernel: a bare-metal x86 32-bit protected-mode kernel that shows how
//! an operating system handles interrupts.
//!
//! Where to start reading, following a key press:
//! `keyboard.rs` (IRQ 1 reads port 0x60) <- `trap.rs` (the dispatcher and
//! the EOI) <- `stubs.rs` (the per-vector and common assembly stubs) <-
//! `idt.rs` (the gates) <- `main.rs` (the boot order), and then back out
//! through `keys.rs` (decoding) and `console.rs` (the echo on COM1).
//!
//! Modules that touch no hardware (`cmdline`, `gdt` tables, `idt` gates,
//! `keys`, `pic` decisions, `pit` arithmetic, `ring`, `trapframe`,
//! `vectors`) also build for the host, where `cargo test --lib` runs their
//! unit tests. The rest only exists in the kernel build.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
// `&*(&raw const STATIC)` is how a `static mut` (the GDT, TSSs, page
// tables: memory the CPU itself reads) is borrowed without the
// static_mut_refs lint; clippy mistakes the raw pointer for a reference.
#![allow(clippy::deref_addrof)]

pub mod bench_stats;
pub mod cmdline;
pub mod elf;
pub mod errcode;
pub mod gdt;
pub mod idt;
pub mod keys;
pub mod multiboot;
pub mod paging;
pub mod pic;
pub mod pit;
pub mod ring;
pub mod syscall;
pub mod trapframe;
pub mod tss;
pub mod vectors;

#[cfg(target_os = "none")]
pub mod bench;
#[cfg(target_os = "none")]
pub mod bench_stubs;
#[cfg(target_os = "none")]
pub mod console;
#[cfg(target_os = "none")]
pub mod cpu;
#[cfg(target_os = "none")]
pub mod faults;
#[cfg(target_os = "none")]
pub mod keyboard;
#[cfg(target_os = "none")]
pub mod programs;
#[cfg(target_os = "none")]
pub mod selftest;
#[cfg(target_os = "none")]
pub mod serial;
#[cfg(target_os = "none")]
pub mod stubs;
#[cfg(target_os = "none")]
pub mod trap;
#[cfg(target_os = "none")]
pub mod user;
#[cfg(target_os = "none")]
pub mod vga;
