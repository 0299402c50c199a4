//! The terminal: input from the keyboard and from COM1, one line
//! discipline for both, and what each key means.
//!
//! Mechanism below, policy here, as in xv6's console. Two interrupt
//! handlers produce input, and both do as little as they can (the "top
//! half"): the keyboard's (`keyboard`, IRQ 1) decodes a scancode into a
//! key (`keys`), COM1's (`serial`, IRQ 4) takes the bytes the UART
//! received. Each hands its input to `arrived`, which makes the only
//! decision that cannot wait (Ctrl-C stops the foreground program now,
//! even one that never reads), queues the input in `INPUT` and wakes a
//! reader. Everything slow happens later, with the CPU in a safe place
//! (the "bottom half"):
//!
//! - **No program runs:** the idle loop echoes queued input
//!   (`echo_pending`): a character as itself, any other key by name
//!   (`<Up>`, `<F1>`, `<Ctrl-A>`).
//! - **Programs run:** queued input goes through the line discipline
//!   (`cook`, src/terminal/line.rs): echo, Backspace, Ctrl-U, Enter,
//!   Ctrl-D. This happens in the idle loop, on every way back to ring 3,
//!   and in `read`, so typing echoes within a timer tick even while a
//!   busy program has the CPU. The foreground process (the oldest one
//!   alive, lowest pid) reads finished lines with `read`; any other
//!   process that reads waits, blocked, until it is the foreground one.
//!
//! Input is stored by the interrupt handler and delivered later to the
//! program waiting for it: `read` sleeps on the `CONSOLE` channel, and the
//! IRQ wakes it (src/sched/process.rs: `sleep_on`, `wakeup`). A blocked
//! reader takes no CPU time at all. Output works the same way round: a
//! program's `write` queues its bytes for COM1's transmit interrupt and,
//! when the queue is full, sleeps on `OUTPUT` until IRQ 4 has drained
//! half of it.
//!
//! F12 (the interrupt counters) and F11 (the process table) never reach
//! the queue: the keyboard handler records them and `show_requested`
//! prints them at the next safe point.

pub mod input;
pub mod keys;
pub mod line;

#[cfg(target_os = "none")]
pub mod keyboard;
#[cfg(target_os = "none")]
pub mod serial;

#[cfg(target_os = "none")]
pub use self::input::{dropped_keys, CONSOLE, INPUT, OUTPUT};
pub use self::input::{Input, INTERRUPT_BYTE, QUEUE_SIZE};

#[cfg(target_os = "none")]
pub use self::hw::*;

#[cfg(target_os = "none")]
mod hw {
    use spin::Mutex;

    use super::input::{self, dropped_keys, Input, CONSOLE, INPUT, OUTPUT};
    use super::keyboard;
    use super::keys::{self, Echo};
    use super::line::LineDiscipline;
    use crate::interrupt::report;
    use crate::sched;
    use crate::{console, print, println};

    /// The line discipline, used only by the bottom half, with interrupts
    /// off.
    static LINE: Mutex<LineDiscipline> = Mutex::new(LineDiscipline::new());

    /// Everything the terminal loses, refuses or holds back, since boot:
    /// the report prints what changed.
    #[derive(Clone, Copy, Default, PartialEq, Eq)]
    struct Losses {
        keys: u32,
        refused: u32,
        errors: [u32; 4],
        pauses: u32,
    }

    fn losses() -> Losses {
        let serial = console::serial_stats();
        let e = serial.errors;
        Losses {
            keys: dropped_keys(),
            refused: LINE.lock().refused,
            errors: [e.overrun, e.framing, e.parity, e.breaks],
            pauses: serial.pauses,
        }
    }

    /// What `report_losses` last printed.
    static REPORTED: Mutex<Losses> =
        Mutex::new(Losses { keys: 0, refused: 0, errors: [0; 4], pauses: 0 });

    /// Prints one line per kind of loss that grew since the last report:
    /// keys dropped by a full queue, characters refused by a full line,
    /// COM1 receive errors; and, not a loss, the times COM1's receiving
    /// was paused while the queue was full. Called by the bottom half,
    /// with interrupts off.
    fn report_losses() {
        let now = losses();
        let mut last = REPORTED.lock();
        if now == *last {
            return;
        }
        console::start_line();
        if now.keys != last.keys {
            println!(
                "keyboard: queue full, {} key(s) dropped ({} since boot)",
                now.keys - last.keys,
                now.keys
            );
        }
        if now.pauses != last.pauses {
            println!(
                "serial: input queue full, COM1 receiving paused {} time(s) ({} since boot): \
                 the bytes waited in the UART, none lost",
                now.pauses - last.pauses,
                now.pauses
            );
        }
        if now.refused != last.refused {
            println!(
                "terminal: line full ({} bytes), {} character(s) refused ({} since boot)",
                super::line::BUFFER,
                now.refused - last.refused,
                now.refused
            );
        }
        if now.errors != last.errors {
            let [overrun, framing, parity, breaks] = now.errors;
            println!(
                "serial: COM1 receive errors since boot: {overrun} overrun, {framing} framing, \
                 {parity} parity, {breaks} break"
            );
        }
        *last = now;
    }

    /// Prints what F12 (the interrupt counters) and F11 (the process
    /// table) asked for since the last call. Called at the safe points:
    /// the idle loop, and on the way back to ring 3 (src/user/mod.rs), so
    /// that they work while a busy program has the CPU.
    pub fn show_requested() {
        let requests = keyboard::take_requests();
        if requests == 0 {
            return;
        }
        let out = |args: core::fmt::Arguments| console::_print(args);
        console::start_line();
        if requests & keyboard::SHOW_COUNTERS != 0 {
            report::print_counts(&out);
        }
        if requests & keyboard::SHOW_PROCESSES != 0 {
            sched::print_table(&out);
            if let Some(more) = MORE_REPORTS.get() {
                more(&out);
            }
        }
    }

    /// What the rooms above add to the F11 report (the network's
    /// counters), handed in at boot: the terminal cannot name them.
    static MORE_REPORTS: spin::Once<Report> = spin::Once::new();

    /// A report: it prints through the function it is given.
    pub type Report = fn(&dyn Fn(core::fmt::Arguments));

    /// Adds `report` to what F11 prints; once, at boot.
    pub fn add_to_process_report(report: Report) {
        MORE_REPORTS.call_once(|| report);
    }

    /// How to leave QEMU (`quit=`), if the student may not see it.
    static QUIT_KEYS: Mutex<Option<&'static str>> = Mutex::new(None);

    /// Sets what a Ctrl-C typed while no program runs answers with.
    pub fn set_quit_keys(keys: &'static str) {
        crate::cpu::without_interrupts(|| *QUIT_KEYS.lock() = Some(keys));
    }

    /// The kernel's own echo, when no program runs: every queued input as
    /// itself or by name, then a report of anything lost. Runs in the idle
    /// loop with interrupts enabled.
    pub fn echo_pending() {
        while let Some(input) = INPUT.pop() {
            match input.echo_key() {
                Some(key) => match keys::plain_echo(key) {
                    // The common case, a character: its bytes, no formatting.
                    Some((bytes, len)) => console::write_bytes(&bytes[..len]),
                    None => print!("{}", Echo(key)),
                },
                None => {
                    if let Input::Byte(byte) = input {
                        console::write_bytes(&[byte]);
                    }
                }
            }
            // Ctrl-C with nothing to stop: a student trying to leave QEMU.
            if input.is_interrupt() {
                if let Some(keys) = crate::cpu::without_interrupts(|| *QUIT_KEYS.lock()) {
                    console::start_line();
                    println!("terminal: no program runs to stop; {keys}");
                }
            }
            input::resume_serial_if_room();
        }
        crate::cpu::without_interrupts(report_losses);
    }

    /// Whether the idle loop has something to echo or report.
    pub fn echo_waiting() -> bool {
        !INPUT.is_empty() || crate::cpu::without_interrupts(|| losses() != *REPORTED.lock())
    }

    /// The bottom half while programs run: every queued input through the
    /// line discipline, which echoes it; then a report of anything lost.
    /// Interrupts must be off.
    pub fn cook() {
        if INPUT.is_empty() {
            return;
        }
        let mut line = LINE.lock();
        while let Some(input) = INPUT.pop() {
            let (bytes, len) = match input {
                Input::Key(key) => keys::bytes(key),
                Input::Byte(byte) => ([byte, 0, 0, 0, 0], 1),
            };
            for &byte in &bytes[..len] {
                line.feed(byte, console::column(), &mut |echo| console::write_bytes(echo));
            }
            input::resume_serial_if_room();
        }
        drop(line);
        report_losses();
    }

    /// Forgets typed input no program read: called when the last program
    /// has ended, so that the next one does not get its lines.
    pub fn forget_input() {
        crate::cpu::without_interrupts(|| LINE.lock().clear());
    }

    /// A `read` ended by Ctrl-C.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Interrupted;

    /// Waits, blocked, until the calling process is the foreground one and
    /// a finished line (or an end of file) is there, then copies at most
    /// one line into `buf` (as much as fits; the rest stays for the next
    /// read). Returns how many bytes; 0 means end of file (Ctrl-D at the
    /// start of a line). With `nonblocking` (a descriptor with
    /// O_NONBLOCK) it does not wait: None if no line is there for it. A
    /// Ctrl-C for the process ends the wait instead. Called from the
    /// `read` system call, with interrupts off (an interrupt gate led
    /// there).
    pub fn read(buf: &mut [u8], nonblocking: bool) -> Result<Option<usize>, Interrupted> {
        loop {
            // Echo first: a Ctrl-C typed just now shows its `^C`.
            cook();
            if sched::with_current(|p| p.interrupted) {
                return Err(Interrupted);
            }
            if sched::current_pid() == sched::foreground_pid() {
                if let Some(n) = LINE.lock().read(buf) {
                    return Ok(Some(n));
                }
            }
            if nonblocking {
                return Ok(None);
            }
            // An input IRQ (or the end of an older process, or a Ctrl-C)
            // wakes us; then look again.
            sched::sleep_on(CONSOLE);
        }
    }

    /// Writes a program's output: the VGA screen at once, COM1 through
    /// its transmit queue. When the queue is full the process sleeps until
    /// IRQ 4 has drained half of it, instead of spinning on the UART.
    /// Returns how many bytes were written: all of them, unless a Ctrl-C
    /// for the process came first. Interrupts must be off.
    pub fn write(bytes: &[u8]) -> usize {
        let mut written = 0;
        while written < bytes.len() {
            written += console::write_some(&bytes[written..]);
            if written < bytes.len() {
                if sched::with_current(|p| p.interrupted) {
                    break;
                }
                sched::sleep_on(OUTPUT);
            }
        }
        written
    }
}
