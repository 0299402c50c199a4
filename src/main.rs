//! The kernel binary: the boot order, the wiring of every interrupt
//! handler, then the idle loop.
//!
//! boot/boot.s enters `kernel_main` with the Multiboot magic and info
//! pointer. The rooms come up from the bottom layer to the top (see
//! src/lib.rs); each step prints one line saying what it set up, and the
//! last line of initialisation is exactly `kernel: ready`.

#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

use irqkernel::boot::{cmdline, multiboot, READY_LINE};
use irqkernel::cpu::{self, gdt, idt, paging, tss};
use irqkernel::dev::{i8042, pic, pit};
use irqkernel::interrupt::dispatch::{self, set_ring3_hooks};
use irqkernel::interrupt::register;
use irqkernel::interrupt::vectors::{
    exception_name, irq_vector, ERROR_CODE_VECTORS, PIC_MASTER_BASE, PIC_SLAVE_BASE, SYSCALL,
};
use irqkernel::selftest::{self, faults};
use irqkernel::terminal::{self, keyboard};
use irqkernel::user::{self, programs};
use irqkernel::{bench, console, print, println};

core::arch::global_asm!(include_str!("../boot/boot.s"));

#[unsafe(no_mangle)]
pub extern "C" fn kernel_main(magic: u32, info: u32) -> ! {
    let serial = console::init();
    println!(
        "irqkernel {}: x86 protected-mode interrupts, from key press to COM1",
        env!("CARGO_PKG_VERSION")
    );
    if !serial {
        println!("serial: no UART answers at COM1 (0x3F8): output on the VGA screen only");
    }

    // The loader's hand-over (src/boot/).
    if let Err(bad) = multiboot::check_magic(magic) {
        println!("{bad}");
        cpu::halt_forever();
    }
    // SAFETY: the magic says a Multiboot loader put its info structure at
    // `info`; paging is still off and this is the only copy taken.
    let handover =
        unsafe { multiboot::Handover::copy_from(&*(info as usize as *const multiboot::Info)) };
    println!("multiboot: loaded by {}, command line \"{}\"", handover.loader, handover.cmdline);
    if handover.modules > 0 {
        match handover.module {
            Some(file) => println!(
                "multiboot: {} module(s); the first ({} bytes) kept as the user program",
                handover.modules,
                file.len()
            ),
            None => println!(
                "multiboot: first module is {} bytes, larger than the {} bytes kept: ignored",
                handover.module_too_large.unwrap_or(0),
                multiboot::MAX_MODULE_BYTES
            ),
        }
    }
    let options = cmdline::parse(handover.cmdline, |problem| println!("{problem}"));

    // The CPU's tables (src/cpu/).
    let (loader_cs, loader_ds) = gdt::selectors();
    gdt::init();
    println!(
        "gdt: {} flat descriptors loaded; CS {:#04x} -> {:#04x}, DS/ES/FS/GS/SS {:#04x} -> {:#04x}",
        gdt::GDT_ENTRIES,
        loader_cs,
        gdt::KERNEL_CODE,
        loader_ds,
        gdt::KERNEL_DATA
    );

    let guard = paging::stack_guard();
    let cr3 = paging::init(guard);
    println!(
        "paging: 0-8 MiB identity-mapped, kernel supervisor-only, user region {:#010x}-{:#010x}; \
         unmapped: page 0, kernel stack guard {:#010x}, user stack guard {:#010x}",
        paging::USER_START,
        paging::USER_END - 1,
        guard,
        paging::USER_STACK_GUARD
    );

    let (ring0_stack, df_stack) = tss::init(cr3);
    println!(
        "tss: main TSS {:#04x} loaded (ring-3 entries switch to stack {:#010x}); \
         #DF task gate -> TSS {:#04x}, own stack {:#010x}",
        tss::MAIN_TSS,
        ring0_stack,
        tss::DOUBLE_FAULT_TSS,
        df_stack
    );

    // The interrupt path (src/interrupt/): gates, then the PIC.
    let table = dispatch::init(tss::DOUBLE_FAULT_TSS);
    print!(
        "idt: 256 gates at {:#010x}, limit {:#x}: interrupt gates, DPL 3 only on 0x80, \
         task gate on 8; CPU error code on vectors",
        table as *const _ as usize,
        idt::IDT_LIMIT
    );
    ERROR_CODE_VECTORS.iter().for_each(|v| print!(" {v}"));
    println!();

    pic::remap(PIC_MASTER_BASE, PIC_SLAVE_BASE);
    println!(
        "pic: 8259s remapped, IRQ 0-7 -> vectors {:#04x}-{:#04x}, IRQ 8-15 -> {:#04x}-{:#04x}, \
         all masked",
        PIC_MASTER_BASE,
        PIC_MASTER_BASE + 7,
        PIC_SLAVE_BASE,
        PIC_SLAVE_BASE + 7
    );

    // Every handler, wired in this one place (xv6 does it with the switch
    // in trap.c): which vector goes to which room. Exceptions without a
    // handler get the dispatcher's default report.
    register(irq_vector(pit::IRQ), user::on_timer_tick);
    register(irq_vector(i8042::IRQ), keyboard::on_irq);
    register(SYSCALL, user::on_syscall);
    set_ring3_hooks(user::RING3_HOOKS);

    // The devices (src/dev/), each line unmasked once its handler is in.
    let (divisor, actual_mhz) = pit::divisor_for(options.hz).expect("cmdline checked hz");
    pit::start(divisor);
    pic::unmask(pit::IRQ);
    println!(
        "pit: channel 0 at {} Hz (divisor {}, really {}.{:03} Hz), IRQ 0 unmasked",
        options.hz,
        divisor,
        actual_mhz / 1000,
        actual_mhz % 1000
    );

    i8042::flush();
    pic::unmask(i8042::IRQ);
    println!(
        "keyboard: i8042 on IRQ {} (vector {:#04x}), scancode set 1, US layout, queue of {} keys",
        i8042::IRQ,
        irq_vector(i8042::IRQ),
        keyboard::QUEUE_SIZE
    );

    cpu::enable_interrupts();
    println!("{READY_LINE}");

    if let Some(iterations) = options.bench {
        bench::run(iterations, options.hz);
    }
    if let Some(which) = options.test {
        selftest::run(which);
    }
    if let Some(name) = options.fault {
        faults::raise(name);
    }
    run_user_program(options.init, handover.module);
    idle()
}

/// Runs the program named by `init=`, or else the first Multiboot module,
/// in ring 3; reports how it ended. Without either, does nothing.
fn run_user_program(init: Option<&str>, module: Option<&[u8]>) {
    let (what, file): (&str, &[u8]) = match (init, module) {
        (Some(name), _) => match programs::find(name) {
            Some(code) => (name, code),
            None => {
                print!("user: ");
                if name != "help" {
                    print!("no built-in program '{name}'; ");
                }
                print!("built-in programs:");
                programs::all().iter().for_each(|(n, _)| print!(" {n}"));
                println!();
                return;
            }
        },
        (None, Some(module)) => ("module", module),
        (None, None) => return,
    };
    println!("user: starting {what} ({} bytes)", file.len());
    let (ticks, user_ticks) = (pit::ticks(), user::user_ticks());
    let exit = user::run(file);
    // The program's output may end without a newline: the kernel's
    // lines still start on a line of their own.
    console::start_line();
    match exit {
        Ok(user::Exit::Exited(status)) => println!("user: exit {status}"),
        Ok(user::Exit::Killed(vector)) => {
            println!("user: killed by {}", exception_name(vector).map_or("?", |n| n.0))
        }
        Ok(user::Exit::Interrupted) => println!("user: interrupted by Ctrl-C"),
        Err(error) => {
            println!("user: cannot load {what}: {error}");
            return;
        }
    }
    println!(
        "user: ran for {} timer tick(s), {} of them taken in ring 3",
        pit::ticks() - ticks,
        user::user_ticks() - user_ticks
    );
}

/// The idle loop: echo queued keys; when there are none, sleep until the
/// next interrupt. The check runs with interrupts off and the sleep is
/// `sti; hlt`, so a key arriving between the check and the `hlt` wakes
/// the CPU instead of waiting for the next timer tick.
fn idle() -> ! {
    let mut reported_drops = keyboard::dropped();
    loop {
        cpu::disable_interrupts();
        if terminal::echo_waiting(reported_drops) {
            cpu::enable_interrupts();
            terminal::echo_pending(&mut reported_drops);
        } else {
            cpu::enable_interrupts_and_halt();
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    cpu::disable_interrupts();
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    console::emergency(format_args!("\nkernel: panic at {file}:{line}: {}\n", info.message()));
    cpu::halt_forever();
}
