//! The hand-over from the boot loader, read once by `kernel_main`.
//!
//! `multiboot` checks the magic and copies what the loader left in memory
//! (the command line, the loader's name, the first module) into the
//! kernel's own memory; `cmdline` turns the command line into options.
//! The assembly entry point itself is `boot/boot.s` at the top of the
//! project, which calls `kernel_main` (src/main.rs).

pub mod cmdline;
pub mod multiboot;

/// The last line of initialisation, printed once interrupts are enabled
/// and keys are accepted: scripts and tests wait for it. This is the only
/// copy: tests/harness.py reads it from this file.
pub const READY_LINE: &str = "kernel: ready";
