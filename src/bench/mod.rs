//! `make bench`: what each step of the interrupt path costs, measured in
//! the running kernel (`bench=N` on the command line).
//!
//! `measure` runs the groups and prints the table; `nic` is the network
//! card's group, whole (its rows, its ring-3 program, its least IRQ 11
//! handler); `stubs` holds the assembly the older groups need beside the
//! kernel's own (the `iretd`-only floor gate, the classic stub, the
//! ring-3 timing program); `timing` is the measuring machinery every
//! group shares, `idt_copy` the benchmark's own IDT, `program` starts
//! and reads the ring-3 programs; `stats` is the arithmetic (medians,
//! ratios, overhead), pure and host-tested.

pub mod stats;

#[cfg(target_os = "none")]
mod idt_copy;
#[cfg(target_os = "none")]
mod measure;
#[cfg(target_os = "none")]
mod nic;
#[cfg(target_os = "none")]
mod program;
#[cfg(target_os = "none")]
pub mod stubs;
#[cfg(target_os = "none")]
mod timing;

#[cfg(target_os = "none")]
pub use self::measure::run;
