//! irqkernel: a bare-metal x86 32-bit protected-mode kernel that shows how
//! an operating system handles interrupts.
//!
//! The source is laid out in rooms, one folder per layer, listed here from
//! the bottom up. A module may use the rooms below its own, never one
//! above (`tests/layers.py` checks this, and that no two modules import
//! each other in a circle, in the lint stage of `make test`):
//!
//! | room | what it owns |
//! | --- | --- |
//! | `ring.rs` | the ring buffer between an interrupt handler and the code it interrupts |
//! | `fd.rs` | a process's file descriptors: the table, and the closed set of objects an fd names |
//! | `cpu/` | the CPU's tables (GDT and its TLS slots, TSS, IDT, page tables), FPU, instructions |
//! | `mm/` | physical frames from the memory map; one address space per process |
//! | `dev/` | a driver per chip: 8259, 8254, i8042, 16550 UART, VGA text, PCI, e1000, QEMU exit |
//! | `console.rs` | kernel output: COM1 and the VGA screen behind one lock |
//! | `interrupt/` | every interrupt's path: vectors, stubs, frame, dispatcher, reports |
//! | `sched/` | processes: the table, the context switch, the timer's decision |
//! | `terminal/` | input from the keyboard and COM1, the line discipline, what a key means |
//! | `net/` | the network: the NIC's top and bottom half, smoltcp, Linux sockets on it |
//! | `user/` | ring 3: entering it and coming back, system calls, loading programs |
//! | `boot/` | the loader's hand-over and the command line, read once by `kernel_main` |
//! | `bench/`, `selftest/` | the benchmark; the in-kernel tests and fault demonstrations |
//!
//! `src/main.rs` sits on top: `kernel_main` brings the rooms up in that
//! order and wires every interrupt handler in one place.
//!
//! Where to start reading, following a key press: `dev/i8042.rs` (the
//! controller raises IRQ 1), `interrupt/stubs.rs` (the stub the IDT gate
//! leads to), `interrupt/dispatch.rs` (the dispatcher and the EOI),
//! `terminal/keyboard.rs` (the IRQ 1 handler: read, decode, queue), and
//! `terminal/mod.rs` (the echo, later, with interrupts on).
//!
//! Modules that touch no hardware build for the host too, where
//! `cargo test --lib` runs their unit tests; the rest only exists in the
//! kernel build (`target_os = "none"`).

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
// `&*(&raw const STATIC)` is how a `static mut` (the GDT, TSSs, page
// tables: memory the CPU itself reads) is borrowed without the
// static_mut_refs lint; clippy mistakes the raw pointer for a reference.
#![allow(clippy::deref_addrof)]

pub mod bench;
pub mod boot;
#[cfg(target_os = "none")]
pub mod console;
pub mod cpu;
pub mod dev;
pub mod fd;
pub mod interrupt;
pub mod mm;
pub mod net;
pub mod ring;
pub mod sched;
#[cfg(target_os = "none")]
pub mod selftest;
pub mod terminal;
pub mod user;
