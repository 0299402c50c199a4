//! In-kernel tests, run after `kernel: ready` when the command line says
//! `test=all` (or `test=NAME` for one). Each drives the real hardware path:
//! a real `int`, a real fault, the real PIT, bytes injected into the real
//! i8042 so that IRQ 1 fires. Results go to COM1 as
//! `selftest: NAME ... ok` or `... FAILED: why`, then
//! `selftest: N passed, M failed`; under QEMU with isa-debug-exit the
//! kernel then powers off with a status that tells pass from fail.
//!
//! tests/run.py boots the kernel with these options and also checks the
//! reports the kernel printed along the way.

pub mod faults;

use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::cpu::{self, gdt};
use crate::dev::{debug_exit, i8042, pit};
use crate::interrupt::counters::{count, spurious_counts};
use crate::interrupt::vectors::{self, irq_vector};
use crate::interrupt::{self, TrapFrame};
use crate::terminal::keys::{set1, Echo, Key};
use crate::terminal::{self, Input, INPUT};
use crate::{console, print, println};

type TestResult = Result<(), &'static str>;
type Test = (&'static str, fn() -> TestResult);

/// Every test, in the order `test=all` runs them.
const TESTS: &[Test] = &[
    ("breakpoint_resumes", breakpoint_resumes),
    ("unregistered_vector_survives", unregistered_vector_survives),
    ("gp_error_code_in_frame", gp_error_code_in_frame),
    ("ud_has_dummy_error_code", ud_has_dummy_error_code),
    ("timer_ticks_advance", timer_ticks_advance),
    ("keyboard_echo", keyboard_echo),
    ("keyboard_burst_loses_nothing", keyboard_burst_loses_nothing),
    ("keyboard_unknown_scancode", keyboard_unknown_scancode),
    ("keyboard_stray_sequences", keyboard_stray_sequences),
    ("spurious_irq7_and_irq15", spurious_irq7_and_irq15),
];

/// `test=hang_silent`: the kernel halts before it prints its first byte,
/// as a kernel that hangs early does. src/main.rs looks for it in the
/// loader's command line before anything else.
pub const HANG_SILENT: &str = "hang_silent";
/// `test=hang_before_ready`: the kernel says so and halts, with
/// interrupts off, where it would print `kernel: ready`.
///
/// These two are the test harness's own test (tests/harness_stage.py):
/// its waits must give up at the boot limits of tests/harness.py, with
/// their reasons, not at their long time limits. They only do what their
/// name says, and only when the command line asks for them by name.
pub const HANG_BEFORE_READY: &str = "hang_before_ready";

/// Runs the test named `which`, or all of them for `all`.
/// `badmagic` re-enters the boot stub with a wrong magic and never returns.
/// (The two hangs above never get here: src/main.rs halts first.)
pub fn run(which: &str) {
    if which == "badmagic" {
        reenter_with_bad_magic();
    }
    let selected = TESTS.iter().filter(|(name, _)| which == "all" || which == *name);
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in selected {
        println!("selftest: {name} ...");
        match test() {
            Ok(()) => {
                passed += 1;
                println!("selftest: {name} ... ok");
            }
            Err(why) => {
                failed += 1;
                println!("selftest: {name} ... FAILED: {why}");
            }
        }
    }
    if passed + failed == 0 {
        // No "0 passed, 0 failed" here: a count would read like a result.
        print!(
            "selftest: no test named '{which}', none ran; tests: all badmagic \
             {HANG_SILENT} {HANG_BEFORE_READY}"
        );
        TESTS.iter().for_each(|(name, _)| print!(" {name}"));
        println!();
    } else {
        println!("selftest: {passed} passed, {failed} failed");
    }
    // Under the test driver's QEMU this ends the run; elsewhere the kernel
    // carries on to the idle loop. What is queued for COM1 goes out first.
    console::flush();
    debug_exit::exit(if failed == 0 && passed > 0 {
        debug_exit::PASSED
    } else {
        debug_exit::FAILED
    });
}

fn check(ok: bool, why: &'static str) -> TestResult {
    if ok {
        Ok(())
    } else {
        Err(why)
    }
}

/// `int3` is reported by the default #BP handler and execution continues
/// after it, with the registers the stub saved restored.
fn breakpoint_resumes() -> TestResult {
    let before = count(vectors::BREAKPOINT);
    let (mut ebx, mut esi, mut edi) = (0x1111_1111u32, 0x2222_2222u32, 0x3333_3333u32);
    // SAFETY: int3 goes to the default #BP handler, which returns. ESI is
    // LLVM's base pointer here, so it is saved and set by hand.
    unsafe {
        asm!(
            "push esi",
            "mov esi, {esi}",
            "int3",
            "mov {esi}, esi",
            "pop esi",
            esi = inout(reg) esi,
            inout("ebx") ebx,
            inout("edi") edi,
        )
    };
    check(count(vectors::BREAKPOINT) == before + 1, "vector 3 was not counted")?;
    check(
        (ebx, esi, edi) == (0x1111_1111, 0x2222_2222, 0x3333_3333),
        "registers changed across int3",
    )
}

/// `int 0x99` reaches no handler: it is logged, and the stack pointer and
/// registers are exactly what they were (the stub popped what it pushed,
/// including the dummy error code).
fn unregistered_vector_survives() -> TestResult {
    let before = count(0x99);
    let (esp_before, esp_after): (u32, u32);
    let (mut eax, mut ecx, mut edx) = (0xAAAA_0001u32, 0xCCCC_0002u32, 0xDDDD_0003u32);
    // SAFETY: vector 0x99 has an interrupt gate to its stub; with no
    // handler registered the dispatcher only logs and returns.
    unsafe {
        asm!(
            "mov {before}, esp",
            "int 0x99",
            "mov {after}, esp",
            before = out(reg) esp_before,
            after = out(reg) esp_after,
            inout("eax") eax, inout("ecx") ecx, inout("edx") edx,
        )
    };
    check(count(0x99) == before + 1, "vector 0x99 was not counted")?;
    check(esp_before == esp_after, "stack unbalanced after int 0x99")?;
    check(
        (eax, ecx, edx) == (0xAAAA_0001, 0xCCCC_0002, 0xDDDD_0003),
        "scratch registers not restored",
    )
}

/// What a test's fault handler saw.
static SEEN_VECTOR: AtomicU32 = AtomicU32::new(0);
static SEEN_ERROR: AtomicU32 = AtomicU32::new(0);
static SEEN_EIP: AtomicU32 = AtomicU32::new(0);
static SEEN_CS: AtomicU32 = AtomicU32::new(0);

/// A fault handler for tests: records the frame, then resumes at the
/// address the faulting code left in ECX (the fault cannot be retried).
fn record_and_skip(frame: &mut TrapFrame) {
    SEEN_VECTOR.store(u32::from(frame.vector()), Ordering::Relaxed);
    SEEN_ERROR.store(frame.error_code, Ordering::Relaxed);
    SEEN_EIP.store(frame.eip, Ordering::Relaxed);
    SEEN_CS.store(frame.cs, Ordering::Relaxed);
    frame.eip = frame.ecx;
}

fn forget_seen() {
    for seen in [&SEEN_VECTOR, &SEEN_ERROR, &SEEN_EIP, &SEEN_CS] {
        seen.store(0xFFFF_FFFF, Ordering::Relaxed);
    }
}

/// A real #GP: loading DS with a selector past the end of the GDT. The
/// CPU pushes an error code holding that selector; it must arrive in
/// `error_code`, with `vector`, `eip` and `cs` in their own slots.
fn gp_error_code_in_frame() -> TestResult {
    const BAD_SELECTOR: u32 = 0x1238; // index 0x247, far past the 7 entries
    forget_seen();
    interrupt::register(vectors::GENERAL_PROTECTION, record_and_skip);
    let fault_eip: u32;
    // SAFETY: the mov faults before DS changes; record_and_skip resumes at
    // label 4 (its address is in ECX), so DS keeps the kernel selector.
    unsafe {
        asm!(
            "lea ecx, [4f]",
            "lea {eip}, [3f]",
            "3: mov ds, {sel:e}",
            "4:",
            eip = out(reg) fault_eip,
            sel = in(reg) BAD_SELECTOR,
            out("ecx") _,
        )
    };
    interrupt::unregister(vectors::GENERAL_PROTECTION);
    check(SEEN_VECTOR.load(Ordering::Relaxed) == 13, "handler did not see vector 13")?;
    check(
        SEEN_ERROR.load(Ordering::Relaxed) == BAD_SELECTOR,
        "error code is not the faulting selector",
    )?;
    check(SEEN_EIP.load(Ordering::Relaxed) == fault_eip, "EIP is not the faulting instruction")?;
    check(
        SEEN_CS.load(Ordering::Relaxed) == u32::from(gdt::KERNEL_CODE),
        "CS slot does not hold the kernel selector",
    )
}

/// #UD has no CPU error code: the stub's dummy 0 must sit in its place, so
/// that EIP is where the frame says.
fn ud_has_dummy_error_code() -> TestResult {
    forget_seen();
    interrupt::register(vectors::INVALID_OPCODE, record_and_skip);
    let fault_eip: u32;
    // SAFETY: ud2 faults; record_and_skip resumes at label 4.
    unsafe {
        asm!(
            "lea ecx, [4f]",
            "lea {eip}, [3f]",
            "3: ud2",
            "4:",
            eip = out(reg) fault_eip,
            out("ecx") _,
        )
    };
    interrupt::unregister(vectors::INVALID_OPCODE);
    check(SEEN_VECTOR.load(Ordering::Relaxed) == 6, "handler did not see vector 6")?;
    check(SEEN_ERROR.load(Ordering::Relaxed) == 0, "dummy error code is not 0")?;
    check(SEEN_EIP.load(Ordering::Relaxed) == fault_eip, "EIP is not the ud2")
}

/// Sleeps until the next interrupt, without missing one that arrives
/// between the caller's check and the `hlt`.
fn wait_for(done: impl Fn() -> bool) {
    loop {
        cpu::disable_interrupts();
        if done() {
            cpu::enable_interrupts();
            return;
        }
        cpu::enable_interrupts_and_halt();
    }
}

/// The PIT really interrupts: ticks advance while the CPU halts.
fn timer_ticks_advance() -> TestResult {
    let start = pit::ticks();
    let irq0 = count(irq_vector(0));
    wait_for(|| pit::ticks() >= start + 5);
    check(count(irq_vector(0)) >= irq0 + 5, "IRQ 0 deliveries were not counted")
}

/// Injects one scancode byte through the i8042 and waits for its IRQ 1.
fn type_byte(byte: u8) {
    let vector = irq_vector(i8042::IRQ);
    let before = count(vector);
    i8042::inject(byte);
    wait_for(|| count(vector) != before);
}

fn type_bytes(bytes: &[u8]) {
    bytes.iter().for_each(|&b| type_byte(b));
}

/// Shift+H, i, Enter-less Up arrow: the real IRQ 1 path decodes them and
/// the echo is what the idle loop would print.
fn keyboard_echo() -> TestResult {
    use set1::*;
    let h = set1::letter(b'h').unwrap();
    let i = set1::letter(b'i').unwrap();
    type_bytes(&[
        LSHIFT,
        h,
        h | RELEASE,
        LSHIFT | RELEASE,
        i,
        i | RELEASE,
        EXTENDED,
        UP,
        EXTENDED,
        UP | RELEASE,
    ]);
    let expected = [Key::Char('H'), Key::Char('i'), Key::Named(pc_keyboard::KeyCode::ArrowUp)];
    print!("selftest: echo: ");
    let mut got = 0;
    while let Some(key) = pop_key() {
        print!("{}", Echo(key));
        check(got < expected.len() && key == expected[got], "wrong key decoded")?;
        got += 1;
    }
    println!();
    check(got == expected.len(), "keys missing from the queue")
}

/// A queue's worth of keys typed before anyone consumes one: all of them
/// come out, in order; one more is refused and counted, not overwritten.
fn keyboard_burst_loses_nothing() -> TestResult {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    let dropped_before = terminal::dropped_keys();
    for n in 0..terminal::QUEUE_SIZE {
        let code = set1::letter(LETTERS[n % LETTERS.len()]).unwrap();
        type_bytes(&[code, code | set1::RELEASE]);
    }
    check(INPUT.len() == terminal::QUEUE_SIZE, "queue does not hold every key")?;
    check(terminal::dropped_keys() == dropped_before, "keys dropped before the queue was full")?;
    type_bytes(&[set1::B, set1::B | set1::RELEASE]);
    check(terminal::dropped_keys() == dropped_before + 1, "overflow was not counted")?;
    for n in 0..terminal::QUEUE_SIZE {
        let expected = Key::Char(LETTERS[n % LETTERS.len()] as char);
        check(pop_key() == Some(expected), "key lost or out of order")?;
    }
    check(pop_key().is_none(), "the refused key was queued anyway")?;
    println!(
        "selftest: burst: {} keys queued and drained in order, 1 refused and counted",
        terminal::QUEUE_SIZE
    );
    Ok(())
}

/// A byte that is no set-1 scancode is reported as such, and the next key
/// decodes normally.
fn keyboard_unknown_scancode() -> TestResult {
    type_bytes(&[0x59, set1::A, set1::A | set1::RELEASE]);
    let first = pop_key();
    let second = pop_key();
    if let Some(key) = first {
        println!("selftest: unknown: {}", Echo(key));
    }
    check(first == Some(Key::Unknown { prefix: None, code: 0x59 }), "unknown byte not reported")?;
    check(second == Some(Key::Char('a')), "decoding did not recover")
}

/// Stray prefixes, a broken Pause sequence and a release of a key never
/// pressed, through the real IRQ 1: each is reported, none becomes a
/// character, and the key after them decodes.
fn keyboard_stray_sequences() -> TestResult {
    use set1::*;
    type_bytes(&[
        B | RELEASE,
        EXTENDED,
        A,
        EXTENDED2,
        EXTENDED2,
        EXTENDED,
        EXTENDED,
        B,
        B | RELEASE,
    ]);
    let mut got = [None; 5];
    for slot in got.iter_mut() {
        *slot = pop_key();
    }
    print!("selftest: stray:");
    got.iter().flatten().for_each(|&key| print!(" {}", Echo(key)));
    println!();
    let unknown = |prefix, code| Some(Key::Unknown { prefix: Some(prefix), code });
    check(
        got == [
            unknown(EXTENDED, A),
            unknown(EXTENDED2, EXTENDED2),
            unknown(EXTENDED, EXTENDED),
            Some(Key::Char('b')),
            None,
        ],
        "stray sequences were not reported as such",
    )
}

/// `int 0x27` and `int 0x2F` arrive on the vectors of IRQ 7 and IRQ 15
/// while neither chip has that line in service: exactly the state of a
/// spurious IRQ. The dispatcher must read the In-Service Register, count
/// them as spurious, call no handler, and leave the PIC working (no stray
/// EOI may end a real interrupt), which the next timer ticks prove.
fn spurious_irq7_and_irq15() -> TestResult {
    static CALLED: AtomicU32 = AtomicU32::new(0);
    fn must_not_run(_: &mut TrapFrame) {
        CALLED.fetch_add(1, Ordering::Relaxed);
    }
    interrupt::register(irq_vector(7), must_not_run);
    interrupt::register(irq_vector(15), must_not_run);
    let (master, slave) = spurious_counts();
    // SAFETY: the two gates lead to the common stub like any IRQ's; with
    // nothing in service the dispatcher treats them as spurious.
    unsafe { asm!("int 0x27", "int 0x2f") };
    interrupt::unregister(irq_vector(7));
    interrupt::unregister(irq_vector(15));
    check(spurious_counts() == (master + 1, slave + 1), "spurious IRQ 7/15 not counted")?;
    check(CALLED.load(Ordering::Relaxed) == 0, "a handler ran for a spurious IRQ")?;
    timer_ticks_advance()
}

/// Jumps back into the boot stub where it enters the kernel half, with
/// ESI (where the stub keeps the magic) = 0xDEADBEEF, as if a loader that
/// is not Multiboot had started the kernel: from there the real path
/// runs, a fresh stack and kernel_main, which must say so on COM1 and
/// halt. (The stub's first part, which turns paging on, runs at physical
/// addresses that the kernel's own page tables no longer map.)
fn reenter_with_bad_magic() -> ! {
    println!("selftest: badmagic: re-entering the boot stub with the magic 0xdeadbeef");
    cpu::disable_interrupts();
    // SAFETY: higher_half only needs to be jumped to in 32-bit protected
    // mode with paging on; it rebuilds its own stack and never returns.
    // Interrupts are off.
    unsafe { asm!("mov esi, 0xdeadbeef", "xor ebx, ebx", "jmp higher_half", options(noreturn)) }
}

/// The next queued key, as IRQ 1 queued it (None if the next input is
/// none, or not a key).
fn pop_key() -> Option<Key> {
    match INPUT.pop() {
        Some(Input::Key(key)) => Some(key),
        _ => None,
    }
}
