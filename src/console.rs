//! The console: every line the kernel prints goes to COM1 and to the VGA
//! screen, through one lock.
//!
//! Deadlock rule: the lock is only ever held with interrupts off. An
//! interrupt handler that prints (an exception report, a test) can then
//! never find the lock held by the code it interrupted on this one CPU.
//! A panic or fatal report cannot trust the lock at all (the code that
//! failed may hold it), so it writes through `emergency` instead.
//!
//! COM1 output is sent by interrupt once `start_serial_interrupts` has run
//! (src/dev/uart.rs): a write only queues its bytes, and IRQ 4's THRE
//! cause (`serial_interrupt`) sends them. Whatever halts or ends the
//! machine first sends what is queued (`flush`, `emergency`), so the last
//! line always comes out.

use core::fmt::{self, Write};
use spin::Mutex;

use crate::cpu::without_interrupts;
use crate::dev::uart::{Handled, LineErrors, Serial};
use crate::dev::vga::Screen;

pub struct Console {
    serial: Option<Serial>,
    screen: Option<Screen>,
    /// The last byte written ended a line (or nothing was written yet).
    at_line_start: bool,
    /// The column the next byte lands in (the line discipline needs it to
    /// erase a Tab).
    column: usize,
}

impl Console {
    fn write_byte(&mut self, byte: u8) {
        self.at_line_start = byte == b'\n';
        self.column = next_column(self.column, byte);
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

/// Where the cursor is after `byte` is written at `column`, as a terminal
/// moves it: a Tab to the next multiple of 8, Backspace one back, a UTF-8
/// continuation byte nowhere.
fn next_column(column: usize, byte: u8) -> usize {
    match byte {
        b'\n' | b'\r' => 0,
        b'\t' => (column / 8 + 1) * 8,
        0x08 => column.saturating_sub(1),
        0x80..=0xBF => column,
        0x00..=0x1F | 0x7F => column,
        _ => column + 1,
    }
}

static CONSOLE: Mutex<Console> =
    Mutex::new(Console { serial: None, screen: None, at_line_start: true, column: 0 });

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
/// If COM1's transmit queue fills up, the rest is sent by polling.
pub fn write_bytes(bytes: &[u8]) {
    without_interrupts(|| {
        let mut console = CONSOLE.lock();
        bytes.iter().for_each(|&b| console.write_byte(b));
    });
}

/// Writes as many of `bytes` as COM1's transmit queue takes without
/// polling (all of them before interrupts are on, or without COM1);
/// returns how many. For writers that would rather wait, blocked, for
/// the queue to drain (src/terminal/mod.rs: `write`).
pub fn write_some(bytes: &[u8]) -> usize {
    without_interrupts(|| {
        let mut console = CONSOLE.lock();
        let room = console.serial.as_ref().map_or(usize::MAX, Serial::room);
        let taken = &bytes[..bytes.len().min(room)];
        taken.iter().for_each(|&b| console.write_byte(b));
        taken.len()
    })
}

/// Keeps `text` at the top right of the VGA screen (not on COM1).
pub fn pin(text: &'static str) {
    without_interrupts(|| {
        if let Some(screen) = CONSOLE.lock().screen.as_mut() {
            screen.pin(text);
        }
    });
}

/// The column the next byte lands in.
pub fn column() -> usize {
    without_interrupts(|| CONSOLE.lock().column)
}

/// Switches COM1 to interrupt-driven output and input (the caller has
/// registered the IRQ 4 handler and unmasks IRQ 4 next). Returns the
/// transmit FIFO's depth, or None without COM1.
pub fn start_serial_interrupts() -> Option<usize> {
    without_interrupts(|| {
        let mut console = CONSOLE.lock();
        let serial = console.serial.as_mut()?;
        serial.start_interrupts();
        Some(serial.fifo_depth())
    })
}

/// IRQ 4's work on COM1 (src/terminal/serial.rs calls it): every pending
/// cause, received bytes handed to `received` while `room` allows. Both
/// run with the console lock held and must not print.
pub fn serial_interrupt(room: impl Fn() -> bool, received: impl FnMut(u8)) -> Handled {
    without_interrupts(|| {
        let mut console = CONSOLE.lock();
        console.serial.as_mut().map_or(Handled::default(), |s| s.on_interrupt(room, received))
    })
}

/// Lets COM1 receive again after IRQ 4 paused it for want of room.
pub fn serial_resume_receiving() {
    without_interrupts(|| {
        if let Some(serial) = CONSOLE.lock().serial.as_mut() {
            serial.resume_receiving();
        }
    });
}

/// COM1's counters since boot: receive errors, receive pauses (flow
/// control), writes that found the transmit queue full and polled.
pub struct SerialStats {
    pub errors: LineErrors,
    pub pauses: u32,
    pub polled: u32,
}

pub fn serial_stats() -> SerialStats {
    without_interrupts(|| {
        let console = CONSOLE.lock();
        let serial = console.serial.as_ref();
        SerialStats {
            errors: serial.map_or(LineErrors::default(), |s| s.errors),
            pauses: serial.map_or(0, |s| s.pauses),
            polled: serial.map_or(0, |s| s.polled),
        }
    })
}

/// Sends everything queued for COM1 by polling, and keeps polling from
/// then on: before the kernel tells QEMU to exit, or halts.
pub fn flush() {
    without_interrupts(|| {
        if let Some(serial) = CONSOLE.lock().serial.as_mut() {
            serial.flush();
        }
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
    let mut console = CONSOLE.lock();
    // What was queued before comes out first, then this, by polling: no
    // interrupt will ever drain the queue again.
    if let Some(serial) = console.serial.as_mut() {
        serial.flush();
    }
    let _ = console.write_fmt(args);
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
