//! The interrupt path: how every interrupt, exception and system call
//! gets from the CPU to a Rust handler and back.
//!
//! In the order an interrupt meets them: `vectors` (which vector means
//! what, and which ones carry a CPU error code), `stubs` (the per-vector
//! assembly stubs and `isr_common`), `frame` (the `TrapFrame` they leave
//! on the stack), `dispatch` (the Rust dispatcher, handler registration,
//! the EOI), `report` and `errcode` (what is printed about an exception),
//! and `counters` (how often each vector came).
//!
//! This room owns the mechanism, not the policy: which handler runs for a
//! vector is wired in `kernel_main`, and what a fault in ring 3 means is
//! decided by the user room through `dispatch::Ring3Hooks`.

pub mod counters;
pub mod errcode;
pub mod frame;
pub mod vectors;

#[cfg(target_os = "none")]
pub mod dispatch;
#[cfg(target_os = "none")]
pub mod report;
#[cfg(target_os = "none")]
pub mod stubs;

#[cfg(target_os = "none")]
pub use self::dispatch::{register, unregister};
pub use self::frame::TrapFrame;
