//! Kernel options from the Multiboot command line: `key=value` words.
//!
//! QEMU's `-append "hz=250"`, a `multiboot /boot/kernel.elf hz=250` line in
//! grub.cfg and `make run ARGS="hz=250"` all end up here. QEMU puts the
//! image's file name first (`build/kernel.elf hz=250`), GRUB 2 does not,
//! so a first word without `=` that looks like a file name (it has a `/`
//! or a `.`) is taken as the image and skipped. Anything
//! else that is not a known `key=value` is reported and ignored: a typo
//! must never stop the kernel or be silently lost.
//!
//! Pure logic, host-tested.

use core::fmt;

use crate::dev::pit;
use crate::net;
use crate::sched::policy::Mode;

/// Every option the kernel knows, with what it takes: the text shown when
/// an option is not recognised.
pub const KNOWN: &[(&str, &str)] = &[
    ("hz", "timer interrupts per second, 19-10000 (default 100)"),
    ("test", "run the in-kernel tests: all, or one test's name"),
    ("fault", "raise an exception after boot (fault=help lists them)"),
    ("init", "run built-in programs in ring 3, e.g. init=hello,spin (init=help lists them)"),
    ("bench", "run the benchmark after boot: quick, icount, or iterations per batch 1-10000000"),
    (
        "sched",
        "rr (round robin, the default) or coop (no preemption), and/or trace: sched=coop,trace",
    ),
    ("quantum", "timer ticks a process runs before round robin switches, 1-1000 (default 5)"),
    (
        "quit",
        "curses or serial: show how to leave QEMU (make run in a terminal and make run-serial \
         set it)",
    ),
    ("ip", "the network address, ADDRESS/PREFIX (default 10.0.2.15/24, gateway the network's .2)"),
];

/// How to leave QEMU, for a student who can no longer see what make
/// printed before QEMU started: `quit=curses` (make run in a terminal)
/// or `quit=serial` (make run-serial).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quit {
    /// QEMU's curses display: the screen is the whole terminal, and a hint
    /// printed before QEMU started is wiped. The kernel pins the hint to
    /// the top right of the VGA screen, where it stays.
    Curses,
    /// The terminal is COM1 (`-chardev stdio,mux=on`): the boot log
    /// scrolls make's hint away, and Ctrl-C goes to the guest. The kernel
    /// prints the hint after `kernel: ready`, and again when Ctrl-C is
    /// typed while no program runs (the first thing a stuck student tries).
    Serial,
}

/// The curses hint as pinned: a space either side sets it off from the
/// text it sits on.
const CURSES_PIN: &str = " leave QEMU: Esc 2, type quit, Enter ";

impl Quit {
    /// The keys, as one short phrase.
    pub fn keys(self) -> &'static str {
        match self {
            Quit::Curses => CURSES_PIN.trim(),
            Quit::Serial => "leave QEMU: Ctrl-A, then X",
        }
    }

    /// What to keep on the top row of the VGA screen, if anything.
    pub fn pinned(self) -> Option<&'static str> {
        (self == Quit::Curses).then_some(CURSES_PIN)
    }
}

/// Default `quantum=`: 5 ticks, 50 ms at the default 100 Hz.
pub const DEFAULT_QUANTUM: u32 = 5;
/// Largest `quantum=`.
pub const MAX_QUANTUM: u32 = 1000;

/// Iterations per batch of `bench=quick`: a smoke test, not a measurement.
pub const QUICK_ITERATIONS: u32 = 1_000;
/// Iterations per batch of `bench=icount`. Under `-icount` every batch
/// gives the same count; 7,000 makes the device rows' slices 20
/// iterations long, so that a loop's set-up (an instruction or two that
/// the overhead loop lacks) rounds away in the per-iteration figure.
pub const ICOUNT_ITERATIONS: u32 = 7_000;
/// Largest `bench=N` accepted: 9 batches of the slowest CPU-only row
/// (the classic stub, ~1,400 cycles) stay under a minute of TCG time.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// What `bench=` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bench {
    /// Iterations per batch.
    pub iterations: u32,
    /// `bench=icount`: QEMU runs with `-icount shift=0` (make bench-icount),
    /// so the TSC counts executed instructions and the table is a count
    /// of instructions, exact and the same on every machine.
    pub instructions: bool,
}

/// The value of `bench=`: `quick`, `icount`, or iterations per batch (1
/// to MAX_ITERATIONS). None for anything else.
pub fn parse_bench(value: &str) -> Option<Bench> {
    let cycles = |iterations| Bench { iterations, instructions: false };
    match value {
        "quick" => Some(cycles(QUICK_ITERATIONS)),
        "icount" => Some(Bench { iterations: ICOUNT_ITERATIONS, instructions: true }),
        _ => value.parse::<u32>().ok().filter(|n| (1..=MAX_ITERATIONS).contains(n)).map(cycles),
    }
}

/// The value of `sched=`: comma-separated words, `rr` or `coop` (the last
/// one counts) and `trace`. None if any word is something else.
fn parse_sched(value: &str) -> Option<(Mode, bool)> {
    let (mut mode, mut trace) = (Mode::Preemptive, false);
    for word in value.split(',') {
        match word {
            "rr" => mode = Mode::Preemptive,
            "coop" => mode = Mode::Cooperative,
            "trace" => trace = true,
            _ => return None,
        }
    }
    Some((mode, trace))
}

/// The parsed options; defaults where an option was absent or invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options<'a> {
    pub hz: u32,
    pub test: Option<&'a str>,
    pub fault: Option<&'a str>,
    pub init: Option<&'a str>,
    /// `bench=` (src/bench/), None = no benchmark.
    pub bench: Option<Bench>,
    /// `sched=`: preemptive or not, and whether to trace every switch.
    pub sched: Mode,
    pub trace: bool,
    /// `quantum=`: ticks before a switch.
    pub quantum: u32,
    /// `quit=`: how QEMU is left, to be shown where the student sees it.
    pub quit: Option<Quit>,
    /// `ip=`: the network's address and gateway.
    pub net: net::Config,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            hz: pit::DEFAULT_HZ,
            test: None,
            fault: None,
            init: None,
            bench: None,
            sched: Mode::Preemptive,
            trace: false,
            quantum: DEFAULT_QUANTUM,
            quit: None,
            net: net::Config::DEFAULT,
        }
    }
}

/// Something wrong with one word of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem<'a> {
    /// `key=value` with a key nobody knows.
    Unknown(&'a str),
    /// A word without `=` after the image name.
    NoValue(&'a str),
    /// A known key with a value it cannot take.
    BadValue { key: &'a str, value: &'a str },
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::Unknown(word) => {
                write!(f, "cmdline: unknown option '{word}' ignored; known options:")?;
                KNOWN.iter().try_for_each(|(key, _)| write!(f, " {key}="))
            }
            Problem::NoValue(word) => write!(f, "cmdline: '{word}' is not key=value, ignored"),
            Problem::BadValue { key, value } => {
                let help = KNOWN.iter().find(|(k, _)| *k == key).map_or("", |(_, h)| h);
                write!(f, "cmdline: bad value '{value}' for {key}= ({help}), default kept")
            }
        }
    }
}

/// Parses `cmdline`, calling `report` for each word it ignores.
pub fn parse<'a>(cmdline: &'a str, mut report: impl FnMut(Problem<'a>)) -> Options<'a> {
    let mut options = Options::default();
    for (i, word) in cmdline.split_ascii_whitespace().enumerate() {
        let Some((key, value)) = word.split_once('=') else {
            let image_name = i == 0 && word.contains(['/', '.']);
            if !image_name {
                report(Problem::NoValue(word));
            }
            continue;
        };
        let bad = || Problem::BadValue { key, value };
        match key {
            "hz" => match value.parse::<u32>().ok().filter(|hz| pit::divisor_for(*hz).is_ok()) {
                Some(hz) => options.hz = hz,
                None => report(bad()),
            },
            "test" if !value.is_empty() => options.test = Some(value),
            "test" => report(bad()),
            // Which names exist is the demonstrations' own business
            // (src/selftest/faults.rs): an unknown one is reported there.
            "fault" if !value.is_empty() => options.fault = Some(value),
            "fault" => report(bad()),
            "init" if !value.is_empty() => options.init = Some(value),
            "init" => report(bad()),
            "bench" => match parse_bench(value) {
                Some(b) => options.bench = Some(b),
                None => report(bad()),
            },
            "sched" => match parse_sched(value) {
                Some((mode, trace)) => (options.sched, options.trace) = (mode, trace),
                None => report(bad()),
            },
            "quantum" => {
                match value.parse::<u32>().ok().filter(|q| (1..=MAX_QUANTUM).contains(q)) {
                    Some(quantum) => options.quantum = quantum,
                    None => report(bad()),
                }
            }
            "quit" => match value {
                "curses" => options.quit = Some(Quit::Curses),
                "serial" => options.quit = Some(Quit::Serial),
                _ => report(bad()),
            },
            "ip" => match net::Config::parse(value) {
                Some(config) => options.net = config,
                None => report(bad()),
            },
            _ => report(Problem::Unknown(word)),
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    fn parse_all(line: &str) -> (Options<'_>, Vec<Problem<'_>>) {
        let mut problems = Vec::new();
        let options = parse(line, |p| problems.push(p));
        (options, problems)
    }

    #[test]
    fn empty_and_image_only_give_defaults() {
        assert_eq!(parse_all(""), (Options::default(), Vec::new()));
        assert_eq!(parse_all("/boot/kernel.elf"), (Options::default(), Vec::new()));
        assert_eq!(Options::default().hz, 100);
    }

    #[test]
    fn known_options() {
        let (o, p) = parse_all("build/kernel.elf hz=250 test=all bench=quick");
        assert!(p.is_empty());
        assert_eq!(o.hz, 250);
        assert_eq!(o.test, Some("all"));
        assert_eq!(o.bench, Some(Bench { iterations: QUICK_ITERATIONS, instructions: false }));
        assert_eq!(parse_all("bench=0").1, [Problem::BadValue { key: "bench", value: "0" }]);
    }

    #[test]
    fn image_name_may_be_absent() {
        // GRUB 2 passes only what follows the path on the multiboot line.
        let (o, p) = parse_all("hz=1000");
        assert!(p.is_empty());
        assert_eq!(o.hz, 1000);
        let (_, p) = parse_all("verbose hz=1000");
        assert_eq!(p, [Problem::NoValue("verbose")]);
        let (_, p) = parse_all("kernel.elf hz=1000");
        assert!(p.is_empty());
    }

    #[test]
    fn unknown_and_malformed_words_are_reported_and_skipped() {
        let (o, p) = parse_all("/boot/kernel hz=50 colour=blue verbose hz=abc hz=5");
        assert_eq!(o.hz, 50);
        assert_eq!(
            p,
            [
                Problem::Unknown("colour=blue"),
                Problem::NoValue("verbose"),
                Problem::BadValue { key: "hz", value: "abc" },
                Problem::BadValue { key: "hz", value: "5" },
            ]
        );
    }

    #[test]
    fn fault_takes_any_name_but_not_none() {
        // The demonstrations check the name themselves (src/selftest/faults.rs).
        let (o, p) = parse_all("fault=gpf");
        assert!(p.is_empty());
        assert_eq!(o.fault, Some("gpf"));
        let (o, p) = parse_all("fault=");
        assert_eq!(o.fault, None);
        assert_eq!(p, [Problem::BadValue { key: "fault", value: "" }]);
    }

    #[test]
    fn scheduler_options() {
        let (o, p) = parse_all("sched=coop,trace quantum=3");
        assert!(p.is_empty());
        assert_eq!((o.sched, o.trace, o.quantum), (Mode::Cooperative, true, 3));
        let (o, _) = parse_all("sched=trace");
        assert_eq!((o.sched, o.trace), (Mode::Preemptive, true));
        let (o, p) = parse_all("sched=fifo quantum=0 quantum=5000");
        assert_eq!((o.sched, o.quantum), (Mode::Preemptive, DEFAULT_QUANTUM));
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn bench_values() {
        let iterations = |v| parse_bench(v).map(|b| b.iterations);
        assert_eq!(iterations("quick"), Some(QUICK_ITERATIONS));
        assert_eq!(iterations("100000"), Some(100_000));
        assert_eq!(iterations("1"), Some(1));
        assert_eq!(parse_bench("icount"), Some(Bench { iterations: 7_000, instructions: true }));
        assert_eq!(parse_bench("100000").map(|b| b.instructions), Some(false));
        for bad in ["0", "-5", "fast", "", "10000001", "ICOUNT"] {
            assert_eq!(parse_bench(bad), None, "{bad}");
        }
    }

    #[test]
    fn ip_takes_an_address_and_prefix() {
        let (o, p) = parse_all("ip=10.0.3.15/24");
        assert!(p.is_empty());
        assert_eq!(o.net.address, core::net::Ipv4Addr::new(10, 0, 3, 15));
        assert_eq!(o.net.gateway, core::net::Ipv4Addr::new(10, 0, 3, 2));
        let (o, _) = parse_all("ip=10.0.2.20");
        assert_eq!((o.net.prefix, o.net.gateway), (24, net::Config::DEFAULT.gateway));
        for bad in ["ip=10.0.2.0/24", "ip=10.0.2.255/24", "ip=10.0.2/24", "ip=1.2.3.4/33", "ip="] {
            let (o, p) = parse_all(bad);
            assert_eq!(o.net, net::Config::DEFAULT, "{bad}");
            assert_eq!(p.len(), 1, "{bad}");
        }
    }

    #[test]
    fn messages_say_what_was_ignored_and_what_is_known() {
        let m = Problem::Unknown("colour=blue").to_string();
        assert_eq!(
            m,
            "cmdline: unknown option 'colour=blue' ignored; known options: \
             hz= test= fault= init= bench= sched= quantum= quit= ip="
        );
        let m = Problem::BadValue { key: "hz", value: "5" }.to_string();
        assert!(m.starts_with("cmdline: bad value '5' for hz= (timer interrupts per second"));
    }

    #[test]
    fn quit_takes_curses_or_serial_and_nothing_else() {
        let mut problems = Vec::new();
        let o = parse("quit=curses", |p| problems.push(p.to_string()));
        assert_eq!(o.quit, Some(Quit::Curses));
        let o = parse("quit=serial", |p| problems.push(p.to_string()));
        assert_eq!(o.quit.map(Quit::keys), Some("leave QEMU: Ctrl-A, then X"));
        let o = parse("quit=gtk", |p| problems.push(p.to_string()));
        assert_eq!(o.quit, None);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("cmdline: bad value 'gtk' for quit="));
    }
}
