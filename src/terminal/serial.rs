//! IRQ 4: COM1 received bytes, or has room to send more.
//!
//! The dispatcher calls `on_irq` for vector 0x24. The UART's own protocol
//! (ask IIR why, handle that cause, ask again until nothing is pending)
//! lives in its driver (src/dev/uart.rs), reached through the console,
//! which owns COM1. This handler only decides where the results go:
//! each received byte joins the keyboard's keys as terminal input
//! (`input::arrived`), as long as the input queue has room (when it has
//! none, the driver pauses receiving, and the bottom half resumes it);
//! and when the transmit queue has drained far enough, the writers
//! waiting for room are woken.

use super::input::{self, Input, OUTPUT};
use crate::console;
use crate::interrupt::TrapFrame;
use crate::sched;

/// The IRQ 4 handler.
pub fn on_irq(_frame: &mut TrapFrame) {
    let handled =
        console::serial_interrupt(input::has_room, |byte| input::arrived(Input::Byte(byte)));
    if handled.paused {
        // The bottom half resumes receiving once it has made room.
        input::pause_serial();
    }
    if handled.room {
        sched::wakeup(OUTPUT);
    }
}
