//! The console: every line the kernel prints goes to COM1 and to the VGA
//! screen, through one lock.
//!
//! Deadlock rule: the lock is only ever held with interrupts off. An
//! interrupt handler that prints (an exception report, a test) can then
//! never find the lock held by the code it interrupted on this one CPU.
//! A panic or fatal report cannot trust the lock at all (the code that
//! failed may hold it), so it writes through `emergency` instead.

use core::fmt::{self, Write};
use spin::Mutex;

use crate::cpu::without_interrupts;
use crate::dev::uart::Serial;
use crate::dev::vga::Screen;

pub struct Console {
    serial: Option<Serial>,
    screen: Option<Screen>,
    /// The last byte written ended a line (or nothing was written yet).
    at_line_start: bool,
}

impl Console {
    fn write_byte(&mut self, byte: u8) {
        self.at_line_start = byte == b'\n';
        if let Some(serial) = self.serial.as_mut() {
            serial.send(byte);
        }
        if let Some(screen) = self.screen.as_mut() {
            screen.write_byte(byte);
        }
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().for_each(|b| self.write_byte(b));
        Ok(())
    }
}

static CONSOLE: Mutex<Console> =
    Mutex::new(Console { serial: None, screen: None, at_line_start: true });

/// Brings up COM1 and the screen. Returns whether COM1 answered.
pub fn init() -> bool {
    let serial = Serial::init();
    let present = serial.is_some();
    without_interrupts(|| {
        let mut console = CONSOLE.lock();
        console.serial = serial;
        console.screen = Some(Screen::new());
    });
    present
}

/// Writes raw bytes (a user program's output, not necessarily UTF-8).
pub fn write_bytes(bytes: &[u8]) {
    without_interrupts(|| {
        let mut console = CONSOLE.lock();
        bytes.iter().for_each(|&b| console.write_byte(b));
    });
}

/// Ends the current line if something was written on it: what follows
/// starts on a line of its own (after a program's output without a final
/// newline, for example).
pub fn start_line() {
    without_interrupts(|| {
        let mut console = CONSOLE.lock();
        if !console.at_line_start {
            console.write_byte(b'\n');
        }
    });
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    without_interrupts(|| {
        let _ = CONSOLE.lock().write_fmt(args);
    });
}

/// Runs `f` while holding the console lock (for the fault=panic
/// demonstration of `emergency`).
pub fn hold_lock_and<R>(f: impl FnOnce() -> R) -> R {
    without_interrupts(|| {
        let _held = CONSOLE.lock();
        f()
    })
}

/// Writes even if the lock is held: for panics and fatal reports, after
/// which the kernel halts. Interrupts must already be off.
pub fn emergency(args: fmt::Arguments) {
    // SAFETY: only called on the way to halting with interrupts off, so the
    // holder (if any) is code on this CPU that will never run again; at
    // worst its half-written line is interleaved with this one.
    unsafe { CONSOLE.force_unlock() };
    let _ = CONSOLE.lock().write_fmt(args);
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}
