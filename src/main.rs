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
use irqkernel::cpu::paging::{PageFlags, KERNEL_BASE, KERNEL_FIRST_ENTRY};
use irqkernel::cpu::{self, fpu, gdt, idt, paging, tss};
use irqkernel::dev::{i8042, pci, pic, pit, rtc, uart};
use irqkernel::interrupt::dispatch::{self, set_ring3_hooks};
use irqkernel::interrupt::register;
use irqkernel::interrupt::vectors::{
    irq_vector, ERROR_CODE_VECTORS, PIC_MASTER_BASE, PIC_SLAVE_BASE, SYSCALL,
};
use irqkernel::sched::{self, policy::Reason};
use irqkernel::selftest::{self, faults};
use irqkernel::terminal::{self, keyboard, serial};
use irqkernel::user::{self, programs};
use irqkernel::{bench, console, mm, net, print, println};

core::arch::global_asm!(
    include_str!("../boot/boot.s"),
    kernel_base = const KERNEL_BASE,
    kernel_first_entry = const KERNEL_FIRST_ENTRY,
    huge_page = const PageFlags::PRESENT.union(PageFlags::WRITABLE).union(PageFlags::HUGE).bits(),
);

#[unsafe(no_mangle)]
pub extern "C" fn kernel_main(magic: u32, info: u32) -> ! {
    hang_silent_if_asked(magic, info);
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
    if paging::linked_kernel_base() != KERNEL_BASE {
        println!(
            "kernel: linker.ld links the kernel at {:#010x}, \
             cpu::paging::KERNEL_BASE says {:#010x}; halting",
            paging::linked_kernel_base(),
            KERNEL_BASE
        );
        cpu::halt_forever();
    }
    // SAFETY: the magic says a Multiboot loader passed `info`; nothing has
    // allocated memory yet, and this is the only copy taken.
    let handover = match unsafe { multiboot::Handover::copy_from(info) } {
        Ok(handover) => handover,
        Err(bad) => {
            println!("{bad}");
            cpu::halt_forever();
        }
    };
    println!("multiboot: loaded by {}, command line \"{}\"", handover.loader, handover.cmdline);
    for module in handover.modules {
        println!(
            "multiboot: module \"{}\", {} bytes at {:#010x}",
            module.string,
            module.end - module.start,
            module.start
        );
    }
    if handover.modules_ignored > 0 {
        println!(
            "multiboot: {} module(s) ignored: {}",
            handover.modules_ignored, handover.ignored_why
        );
    }
    let options = cmdline::parse(handover.cmdline, |problem| println!("{problem}"));
    if let Some(pinned) = options.quit.and_then(cmdline::Quit::pinned) {
        console::pin(pinned);
    }

    // Memory (src/mm/): frames from the memory map, and the kernel's own
    // page tables in place of the boot stub's.
    let mut reserved = [(0u32, 0u32); multiboot::MAX_MODULES];
    for (slot, module) in reserved.iter_mut().zip(handover.modules) {
        *slot = (module.start, module.end);
    }
    let layout = mm::init(handover.memory, &reserved[..handover.modules.len()]);
    println!(
        "memory: {} MiB of RAM ({}), {} frames free; all RAM mapped at {:#010x}, \
         kernel stack guard {:#010x}, user space {:#010x}-{:#010x}",
        layout.ram_frames * 4 / 1024,
        handover.memory_source,
        layout.free_frames,
        KERNEL_BASE,
        paging::stack_guard(),
        user::layout::LOWEST_ADDRESS,
        KERNEL_BASE - 1
    );

    // The CPU's tables (src/cpu/).
    let (loader_cs, loader_ds) = gdt::selectors();
    gdt::init();
    println!(
        "gdt: {} slots loaded (flat segments, 2 TSSs, {} TLS slots for the running process); \
         CS {:#04x} -> {:#04x}, DS/ES/FS/GS/SS {:#04x} -> {:#04x}",
        gdt::GDT_ENTRIES,
        gdt::TLS_ENTRIES,
        loader_cs,
        gdt::KERNEL_CODE,
        loader_ds,
        gdt::KERNEL_DATA
    );

    let (_, df_stack) = tss::init(layout.directory);
    println!(
        "tss: main TSS {:#04x} loaded (ESP0: the running process's kernel stack); \
         #DF task gate -> TSS {:#04x}, own stack {:#010x}",
        tss::MAIN_TSS,
        tss::DOUBLE_FAULT_TSS,
        df_stack
    );

    match fpu::init() {
        fpu::Support::X87AndSse => println!(
            "fpu: x87 and SSE on for programs (CR0.EM clear, CR4.OSFXSR), \
             saved per process with FXSAVE"
        ),
        fpu::Support::X87 => {
            println!("fpu: x87 on for programs, saved per process with FXSAVE; no SSE")
        }
        fpu::Support::None => {
            println!("fpu: no FXSAVE on this CPU: the FPU stays off, a program using it is killed")
        }
    }

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
    register(irq_vector(pit::IRQ), sched::on_timer_tick);
    register(irq_vector(i8042::IRQ), keyboard::on_irq);
    register(irq_vector(uart::IRQ), serial::on_irq);
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

    sched::init(sched::Settings {
        mode: options.sched,
        quantum: options.quantum,
        trace: options.trace,
    });
    println!(
        "sched: {} scheduling, quantum {} tick(s){}; {} process slots",
        if options.sched == sched::policy::Mode::Preemptive {
            "round-robin"
        } else {
            "cooperative"
        },
        options.quantum,
        if options.trace { ", tracing every switch" } else { "" },
        sched::MAX_PROCESSES - 1
    );
    match rtc::init() {
        Some(seconds) => {
            println!("rtc: {seconds} seconds since 1970 (CLOCK_REALTIME starts there)")
        }
        None => println!("rtc: the CMOS clock gave no valid date; CLOCK_REALTIME starts at 0"),
    }

    i8042::flush();
    pic::unmask(i8042::IRQ);
    println!(
        "keyboard: i8042 on IRQ {} (vector {:#04x}), scancode set 1, US layout",
        i8042::IRQ,
        irq_vector(i8042::IRQ),
    );
    // COM1 by interrupt: everything printed so far went out by polling;
    // from here on output is queued for the THRE interrupt.
    match console::start_serial_interrupts() {
        Some(fifo) => {
            pic::unmask(uart::IRQ);
            println!(
                "serial: COM1 on IRQ {} (vector {:#04x}), receive and transmit by interrupt, \
                 FIFO {} bytes, transmit queue {} bytes",
                uart::IRQ,
                irq_vector(uart::IRQ),
                fifo,
                uart::TX_QUEUE_SIZE
            );
        }
        None => println!("serial: no COM1, IRQ {} stays masked", uart::IRQ),
    }
    println!(
        "terminal: keyboard and COM1 input, queue of {} inputs, lines of up to {} bytes",
        terminal::QUEUE_SIZE,
        terminal::line::BUFFER - 1
    );

    start_network(options.net);

    if user::random::has_rdrand() {
        println!("random: getrandom and AT_RANDOM draw on RDRAND, stirred with the TSC");
    } else {
        println!("random: no RDRAND on this CPU: getrandom and AT_RANDOM stir the TSC and ticks");
    }

    if options.test == Some(selftest::HANG_BEFORE_READY) {
        println!(
            "selftest: {}: halting before '{READY_LINE}', as asked",
            selftest::HANG_BEFORE_READY
        );
        console::flush();
        cpu::halt_forever();
    }
    cpu::enable_interrupts();
    println!("{READY_LINE}");
    if let Some(quit) = options.quit {
        terminal::set_quit_keys(quit.keys());
        if quit == cmdline::Quit::Serial {
            // make run-serial printed this before QEMU, but the boot log
            // has scrolled it away by now.
            println!("terminal: {}", quit.keys());
        }
    }

    if let Some(settings) = options.bench {
        bench::run(settings, options.hz);
    }
    if let Some(which) = options.test {
        selftest::run(which);
    }
    if let Some(name) = options.fault {
        faults::raise(name);
    }
    let boot_free = mm::free_frames();
    start_programs(options.init, handover.modules);
    idle(boot_free)
}

/// Lists every PCI function, then brings up the first network card this
/// kernel drives, with its interrupt line unmasked once its handler is in.
fn start_network(config: net::Config) {
    let functions = pci::scan_buses();
    for f in functions.iter() {
        print!("pci: {} {:04x}:{:04x} {}", f.at, f.vendor, f.device, f.class_name());
        if f.pin != 0 && f.irq < 16 {
            print!(", INT{}# -> IRQ {}", char::from(b'A' + f.pin - 1), f.irq);
        }
        println!();
    }
    if functions.dropped > 0 {
        println!(
            "pci: {} more functions not listed (room for {})",
            functions.dropped,
            pci::MAX_FUNCTIONS
        );
    }
    match net::init(&functions, config) {
        Ok(found) => {
            let irq = found.function.irq;
            register(irq_vector(irq), net::on_irq);
            terminal::add_to_process_report(net::report);
            pic::unmask(irq);
            let m = found.mac;
            println!(
                "net: e1000 ({}) at {}, IRQ {} ({} 8259, {}), MAC \
                 {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, {}/{} via {}{}",
                found.model,
                found.function.at,
                irq,
                if irq >= 8 { "slave" } else { "master" },
                if pic::level_triggered(irq) { "level" } else { "edge" },
                m[0],
                m[1],
                m[2],
                m[3],
                m[4],
                m[5],
                config.address,
                config.prefix,
                config.gateway,
                if found.link_up { "" } else { "; link down" }
            );
        }
        Err(net::Off::NoCard) => {
            println!("net: no network card this kernel drives (e1000): no network")
        }
        Err(net::Off::Setup(f, why)) => {
            println!("net: the e1000 at {} did not come up: {why}; no network", f.at)
        }
    }
}

/// `test=hang_silent` (src/selftest/mod.rs): halts before the first byte
/// is printed, which is why it reads the loader's command line in place,
/// before `console::init`; the full parse comes later, after the banner.
/// The same parser decides, so the last `test=` word counts here as
/// there. Without that word, or when the magic, the hand-over or the link
/// address is wrong (the checks below report those), it does nothing.
fn hang_silent_if_asked(magic: u32, info: u32) {
    if paging::linked_kernel_base() != KERNEL_BASE {
        return;
    }
    // SAFETY: the boot stub's arguments, before anything has run; the
    // kernel is linked at KERNEL_BASE (checked).
    let Some(line) = (unsafe { multiboot::cmdline_in_place(magic, info) }) else {
        return;
    };
    if cmdline::parse(line, |_| ()).test == Some(selftest::HANG_SILENT) {
        cpu::halt_forever();
    }
}

/// Starts the built-in programs `init=` names (comma-separated), then
/// every Multiboot module, each as a process with its own arguments.
fn start_programs(init: Option<&str>, modules: &[multiboot::ModuleFile]) {
    for name in init.into_iter().flat_map(|list| list.split(',')) {
        match programs::find(name) {
            Some(code) => start(code, &[name]),
            None => {
                print!("user: ");
                if name != "help" {
                    print!("no built-in program '{name}'; ");
                }
                print!("built-in programs:");
                programs::all().iter().for_each(|(n, _)| print!(" {n}"));
                println!();
            }
        }
    }
    for module in modules {
        // The module's string is the file name and its arguments, as on
        // a shell's command line: argv.
        let mut args = [""; 16];
        let count = module
            .string
            .split_ascii_whitespace()
            .zip(args.iter_mut())
            .map(|(w, a)| *a = w)
            .count();
        let args = if count == 0 { &["module"][..] } else { &args[..count] };
        start(module.bytes(), args);
    }
}

fn start(file: &[u8], args: &[&str]) {
    if let Err(error) = user::start(file, args) {
        println!("user: cannot start {}: {error}", args[0]);
    }
}

/// The idle loop, the boot stack's own thread (the scheduler's slot 0):
/// hand the CPU to any ready process; when none is ready, sleep until
/// the next interrupt. When no program runs, echo queued keys. The check
/// runs with interrupts off and the sleep is `sti; hlt`, so an interrupt
/// arriving between the check and the `hlt` wakes the CPU instead of
/// waiting for the next timer tick.
fn idle(boot_free: usize) -> ! {
    let mut programs_ran = sched::processes_alive() > 0;
    loop {
        cpu::disable_interrupts();
        if sched::any_ready() {
            sched::schedule(Reason::Wake);
            continue;
        }
        sched::reap();
        // The network's bottom half: frames the card took, the stack's
        // timers.
        net::work();
        terminal::show_requested();
        let alive = sched::processes_alive();
        if alive > 0 {
            // Typed input goes through the line discipline, and echoes,
            // even while every program is blocked or asleep.
            terminal::cook();
        }
        if programs_ran && alive == 0 {
            programs_ran = false;
            terminal::forget_input();
            let free = mm::free_frames();
            if free == boot_free {
                println!(
                    "user: every program has ended; {free} frames free, as before they started"
                );
            } else {
                println!(
                    "user: every program has ended; {free} frames free, {} before they started: \
                     a leak",
                    boot_free
                );
            }
            // What the card and the stack counted, dropped frames among them.
            net::report(&|args| console::_print(args));
        }
        if alive == 0 && terminal::echo_waiting() {
            cpu::enable_interrupts();
            terminal::echo_pending();
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
