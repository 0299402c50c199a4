//! Device drivers: one module per chip, named after it.
//!
//! Each driver owns its chip's ports and the datasheet's names for them,
//! and offers the operations the rest of the kernel needs (remap, mask,
//! EOI; program the timer; read a scancode; send a byte). Drivers know
//! nothing of trap frames, processes or what a key means: the interrupt
//! dispatcher and the terminal above call them. Where a chip's logic needs
//! no hardware (the PIC's spurious-IRQ decision, the PIT's divisor) it is
//! a pure function, tested on the host.

pub mod e1000;
pub mod nic;
pub mod pci;
pub mod pic;
pub mod pit;
pub mod rtc;
pub mod uart;

#[cfg(target_os = "none")]
pub mod debug_exit;
#[cfg(target_os = "none")]
pub mod i8042;
#[cfg(target_os = "none")]
pub mod vga;
