//! The network card's group of `make bench`: a UDP datagram from the
//! e1000's interrupt to the return of `recvfrom` in ring 3, next to its
//! unavoidable parts (issue 20).
//!
//! **How the datagram arrives.** There is no peer outside the machine, so
//! the card sends the datagram to itself: the benchmark turns on the
//! PHY's loopback (PHY control register bit 14, written through MDIC;
//! src/dev/e1000.rs), builds a UDP datagram to this host, and hands it to
//! the card through the driver's own transmit path (descriptor, TDT
//! write). QEMU's e1000 then does, inside that TDT write, all a frame off
//! the wire makes it do: the receive filter, the DMA into the receive
//! ring, ICR.RXT0, and its PCI line up, IRQ 11 on the slave 8259. Only
//! the wire is left out. Measured on QEMU 7.2 (a probe build, README:
//! "The datagram's row"): with the PHY loopback the frame is in the ring
//! and IRQ 11 requested as soon as the TDT write returns, every time,
//! under -icount too; RCTL's loopback bits (LBM) do nothing in QEMU's
//! model (the frame went to the user network, which answered with an ARP
//! request of its own); the user network (slirp) is a router and never
//! sends a frame back to its sender; `-netdev dgram` pointed at itself
//! does loop frames back, but through the host's UDP stack and QEMU's
//! main loop, whenever the host gets to it (not at a set instruction,
//! which -icount needs), and only with a QEMU line of its own. ICS
//! (interrupt cause set) raises the same interrupt with no frame at all:
//! it serves the two rows that need only the interrupt.
//!
//! **The row.** A ring-3 program (below) opens a UDP socket, binds it
//! and blocks in `recvfrom`. With interrupts off the benchmark hands the
//! datagram to the card and waits until IRQ 11 is requested at the
//! slave 8259 (outside the clock: QEMU's card, like the real one,
//! moderates its interrupts, at least 128 us of virtual time apart). The
//! clock starts; `sti` lets IRQ 11 in (stub, dispatcher, the top half's
//! ICR read and wake-up, EOI to both chips); the idle context, which the
//! benchmark is, then does what the idle loop does with a ready process:
//! `schedule`. The reader runs: the bottom half (smoltcp's poll takes the
//! frame into the socket), `recvfrom` copies the datagram out, and the
//! return to ring 3, where the program's RDTSC stops the clock. Its
//! parts, measured side by side with it:
//! - irq11 floor: IRQ 11, raised by ICS, delivered through both 8259s to
//!   an assembly handler that reads ICR (the acknowledgement), sends the
//!   EOI to the slave and the master, counts and returns;
//! - the copy: the payload copied once, with the kernel's memcpy, as the
//!   least a kernel that moves the datagram into the program must do;
//! - the ring-3 return: `iretd` from ring 0 to ring 3 alone, from an
//!   RDTSC just before it in a DPL 3 gate's handler to one right after it
//!   in the program (less the same two RDTSCs with nothing between).
//!
//! Also two pieces of the row, so that the report can say where its time
//! goes: irq11 path, the kernel's own IRQ 11 handling with nobody waiting
//! (raised by ICS: stub, dispatcher, the top half, EOI), and stack,
//! smoltcp's poll taking one datagram into a socket (the bottom half
//! alone, run in ring 0 on a socket the benchmark opens itself, the card's
//! interrupt acknowledged by hand). What neither explains is the switch
//! to the reader and its socket call (the wait loop, `recv`'s copy out of
//! smoltcp, the copy to the program, the way back to ring 3).

use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicU32, Ordering};

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpAddress, IpProtocol,
    Ipv4Address, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};

use super::idt_copy::set_gate;
use super::program::{Block, Program};
use super::stats::{self, Figures};
use super::timing::{
    bare_irq_batch, interleave, median_of_iterations, timed_delivery, timed_nothing, wait_until,
    Batch, Failure, Row,
};
use crate::cpu::idt::{Gate, GateType, Ring};
use crate::cpu::{self, gdt};
use crate::dev::e1000::{self, icr};
use crate::dev::nic::{Nic, ReceiveQueue, TransmitQueue};
use crate::dev::{pic, pit};
use crate::interrupt::counters::count;
use crate::interrupt::vectors::irq_vector;
use crate::net;
use crate::net::api::{Address, Kind, SocketId};
use crate::net::stack::with_stack;
use crate::sched::{self, policy::Reason};
use crate::user::layout::FLAT_BASE;
use crate::user::syscall::net::{
    AF_INET, SOCKADDR_IN_BYTES, SOCK_DGRAM, SYS_BIND, SYS_RECVFROM, SYS_SOCKET,
};
use crate::user::syscall::numbers::{SYS_EXIT, SYS_SOCKETCALL};

/// Bytes of the datagram's payload: a small datagram, whose cost is the
/// path's and not its size's (a bigger one costs more copying).
pub const PAYLOAD: usize = 64;
/// The port the program binds, and the datagram's source port.
const PORT: u16 = 9000;
/// The port of the stack row's socket, which the kernel itself opens.
const STACK_PORT: u16 = 9001;
const SOURCE_PORT: u16 = 40000;
/// The Ethernet, IPv4 and UDP headers in front of the payload.
const FRAME_BYTES: usize = 14 + 20 + 8 + PAYLOAD;
/// What the payload holds.
const PAYLOAD_BYTE: u8 = b'u';
/// The program's receive buffer: a whole Ethernet payload, as a UDP
/// server's usually is (tests/user/udpecho.c).
const BUFFER_BYTES: usize = 1472;
/// Iterations a batch of a ring-3 row takes at most: the program keeps
/// one sample per iteration after its block.
const MAX_SAMPLES: usize = 1024;
/// The DPL 3 gate of the ring-3 return row (set for the group only).
const RETURN_VECTOR: u8 = 0x44;
/// QEMU's e1000 takes no frame for 1 s of virtual time after a write to
/// RCTL (its flush_queue_timer), and the driver writes RCTL at boot: the
/// group waits at most this long for the card to take one.
const READY_WAIT_MS: u64 = 2_000;

/// The rows that wait for the card's interrupt run this many times fewer
/// iterations than the other device rows: the card's moderation holds
/// each interrupt at least 128 us after the last, and the benchmark waits
/// that out (README: The datagram's row).
const CARD_DIVISOR: u32 = 2;
/// Iterations of an empty loop between two reads of the 8259's IRR.
const POLL_SPIN: u32 = 1_000;

/// Why a row stopped.
const IRQ_LOST: Failure = "nic: IRQ 11 was requested but never delivered";
const NOT_REQUESTED: Failure = "nic: the card never raised its interrupt";

/// The program's two loops.
const MODE_RECEIVE: u32 = 0;
const MODE_RETURN: u32 = 1;

/// The data block at the end of the program (`bench_nic_program`): its
/// parameters, its socket call's arguments and buffers. After it, in the
/// image, come MAX_SAMPLES 32-bit samples: the low half of the TSC when
/// each `recvfrom` returned, or each measured `iretd`. The assembly takes
/// its offsets from this struct: change both or neither.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct NicBench {
    /// MODE_RECEIVE or MODE_RETURN.
    pub mode: u32,
    /// Iterations (1..=MAX_SAMPLES).
    pub iterations: u32,
    /// What `recvfrom` must return (PAYLOAD): any other result ends the
    /// program with status 1.
    pub expected: u32,
    /// Its socket, and the last socket call's result.
    pub fd: u32,
    pub result: u32,
    /// socketcall's argument array.
    pub args: [u32; 6],
    /// The address it binds: struct sockaddr_in, AF_INET, PORT, any.
    pub address: [u8; 16],
    /// recvfrom's sender and its length.
    pub from: [u8; 16],
    pub from_len: u32,
    pub buffer: [u8; BUFFER_BYTES],
}

// SAFETY: repr(C), integers and arrays of them only.
unsafe impl Block for NicBench {}

impl NicBench {
    fn new(mode: u32, iterations: u32) -> NicBench {
        let mut address = [0u8; 16];
        address[..2].copy_from_slice(&(AF_INET as u16).to_le_bytes());
        address[2..4].copy_from_slice(&PORT.to_be_bytes());
        NicBench {
            mode,
            iterations,
            expected: PAYLOAD as u32,
            fd: 0,
            result: 0,
            args: [0; 6],
            address,
            from: [0; 16],
            from_len: 0,
            buffer: [0; BUFFER_BYTES],
        }
    }
}

core::arch::global_asm!(
    r#"
    /* The least IRQ 11 handler: read ICR (which acknowledges the card, so
     * that it lowers its level-triggered line), EOI to the slave and to
     * the master, count. */
    .section .text.bench_nic, "ax"
    .global bench_irq11_min
    .balign 16
bench_irq11_min:
    push eax
    mov eax, dword ptr [bench_nic_icr]
    mov eax, dword ptr [eax]    /* ICR: read to clear */
    mov al, {eoi}
    out {pic2}, al              /* the slave had IRQ 11 in service */
    out {pic1}, al              /* the master, its IR2 */
    add dword ptr [bench_irq11_min_count], 1
    pop eax
    iretd

    /* The ring-3 return row's gate (DPL 3): EDX:EAX = the TSC just
     * before the iretd, for the program to subtract. */
    .global bench_return_gate
    .balign 16
bench_return_gate:
    rdtsc
    iretd

    .section .bss.bench_nic, "aw", @nobits
    .balign 4
bench_irq11_min_count:
    .skip 4
bench_nic_icr:
    .skip 4
"#,
    eoi = const pic::OCW2_EOI,
    pic1 = const pic::PIC1_COMMAND,
    pic2 = const pic::PIC2_COMMAND,
);

core::arch::global_asm!(
    r#"
    /* The ring-3 program, flat, loaded at FLAT_BASE like
     * src/bench/stubs.rs's. %ebp = its data block, %edi = the iteration. */
    .section .rodata.bench_nic_program, "a"
    .global bench_nic_program
bench_nic_program:
    movl $(bench_nic_data - bench_nic_program + {user_base}), %ebp
    xorl %edi, %edi
    cmpl ${mode_return}, {mode}(%ebp)
    je 5f
    /* socket(AF_INET, SOCK_DGRAM, 0) */
    movl ${af_inet}, {args}(%ebp)
    movl ${sock_dgram}, {args}+4(%ebp)
    movl $0, {args}+8(%ebp)
    movl ${sys_socket}, %ebx
    call 8f
    testl %eax, %eax
    js 9f
    movl %eax, {fd}(%ebp)
    /* bind(fd, &address, sizeof address) */
    movl %eax, {args}(%ebp)
    leal {address}(%ebp), %eax
    movl %eax, {args}+4(%ebp)
    movl ${sockaddr_bytes}, {args}+8(%ebp)
    movl ${sys_bind}, %ebx
    call 8f
    testl %eax, %eax
    jnz 9f
1:  /* recvfrom(fd, buffer, sizeof buffer, 0, &from, &from_len) */
    movl {fd}(%ebp), %eax
    movl %eax, {args}(%ebp)
    leal {buffer}(%ebp), %eax
    movl %eax, {args}+4(%ebp)
    movl ${buffer_bytes}, {args}+8(%ebp)
    movl $0, {args}+12(%ebp)
    leal {from}(%ebp), %eax
    movl %eax, {args}+16(%ebp)
    leal {from_len}(%ebp), %eax
    movl %eax, {args}+20(%ebp)
    movl ${sockaddr_bytes}, {from_len}(%ebp)
    movl ${sys_recvfrom}, %ebx
    call 8f
    movl %eax, %ebx             /* the result: RDTSC takes EAX */
    rdtsc                       /* back in ring 3: the clock stops */
    movl %eax, {samples}(%ebp,%edi,4)
    movl %ebx, {result}(%ebp)
    cmpl {expected}(%ebp), %ebx
    jne 6f
    incl %edi
    cmpl {iterations}(%ebp), %edi
    jb 1b
    jmp 7f
5:  /* the return to ring 3 alone */
    int ${return_vector}        /* its handler: rdtsc; iretd */
    movl %eax, %ebx
    rdtsc
    subl %ebx, %eax             /* iretd, movl */
    movl %eax, %ecx
    rdtsc
    movl %eax, %ebx
    rdtsc
    subl %ebx, %eax             /* movl: the brackets alone */
    subl %eax, %ecx
    movl %ecx, {samples}(%ebp,%edi,4)
    incl %edi
    cmpl {iterations}(%ebp), %edi
    jb 5b
7:  movl ${sys_exit}, %eax
    xorl %ebx, %ebx
    int $0x80
8:  /* socketcall(%ebx, args) */
    movl ${socketcall}, %eax
    leal {args}(%ebp), %ecx
    int $0x80
    ret
9:  movl %eax, {result}(%ebp)
6:  movl ${sys_exit}, %eax
    movl $1, %ebx
    int $0x80
    .balign 8
    .global bench_nic_data
bench_nic_data:
    .skip {data_size}
    .skip {samples_size}
    .global bench_nic_program_end
bench_nic_program_end:
"#,
    user_base = const FLAT_BASE,
    mode = const offset_of!(NicBench, mode),
    iterations = const offset_of!(NicBench, iterations),
    expected = const offset_of!(NicBench, expected),
    fd = const offset_of!(NicBench, fd),
    result = const offset_of!(NicBench, result),
    args = const offset_of!(NicBench, args),
    address = const offset_of!(NicBench, address),
    from = const offset_of!(NicBench, from),
    from_len = const offset_of!(NicBench, from_len),
    buffer = const offset_of!(NicBench, buffer),
    samples = const size_of::<NicBench>(),
    data_size = const size_of::<NicBench>(),
    samples_size = const MAX_SAMPLES * 4,
    buffer_bytes = const BUFFER_BYTES,
    sockaddr_bytes = const SOCKADDR_IN_BYTES,
    mode_return = const MODE_RETURN,
    af_inet = const AF_INET,
    sock_dgram = const SOCK_DGRAM,
    sys_socket = const SYS_SOCKET,
    sys_bind = const SYS_BIND,
    sys_recvfrom = const SYS_RECVFROM,
    socketcall = const SYS_SOCKETCALL,
    return_vector = const RETURN_VECTOR,
    sys_exit = const SYS_EXIT,
    options(att_syntax)
);

unsafe extern "C" {
    static bench_nic_program: u8;
    static bench_nic_data: u8;
    static bench_nic_program_end: u8;
    fn bench_irq11_min();
    fn bench_return_gate();
    /// IRQs `bench_irq11_min` has handled, and where it reads ICR.
    static bench_irq11_min_count: AtomicU32;
    static bench_nic_icr: AtomicU32;
}

/// The program's bytes, and the offset of its block.
fn program() -> (&'static [u8], usize) {
    let (start, data, end) =
        (&raw const bench_nic_program, &raw const bench_nic_data, &raw const bench_nic_program_end);
    // SAFETY: start..end is the program assembled above, in .rodata.
    let code = unsafe { core::slice::from_raw_parts(start, end as usize - start as usize) };
    (code, data as usize - start as usize)
}

fn irq11_min_count() -> u32 {
    // SAFETY: a 4-byte aligned .bss word that only the handler writes.
    unsafe { bench_irq11_min_count.load(Ordering::Relaxed) }
}

/// One row of the group, declared once: its key in the machine-readable
/// lines, its label and note in the table.
pub(super) struct RowSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub note: &'static str,
}

const _: () = assert!(PAYLOAD == 64, "the copy row's label says 64 bytes");

/// The group's rows, in the table's order (the sum of the parts fifth).
pub(super) const ROWS: [RowSpec; 7] = [
    RowSpec {
        key: "nic_recvfrom",
        label: "udp: e1000 IRQ 11 -> recvfrom returns, ring 3",
        note: "",
    },
    RowSpec {
        key: "irq11_floor",
        label: "  irq11 floor: IRQ 11 -> asm: ICR, EOI x2",
        note: "part: slave 8259, no Rust",
    },
    RowSpec {
        key: "payload_copy",
        label: "  memory: copy of the 64-byte payload",
        note: "part: the one copy needed",
    },
    RowSpec { key: "ring3_return", label: "  ring-3 return: iretd to ring 3", note: "part" },
    RowSpec {
        key: "nic_parts",
        label: "  = parts: sum of the three above",
        note: "the unavoidable minimum",
    },
    RowSpec {
        key: "irq11_path",
        label: "  irq11 path: IRQ 11 -> kernel's top half",
        note: "ICR, wake-up, EOI; no reader",
    },
    RowSpec {
        key: "nic_stack",
        label: "  stack: smoltcp poll, datagram into socket",
        note: "the bottom half alone",
    },
];

/// The group's figures, slice by slice.
pub(super) struct NicRows {
    pub path: Figures,
    pub irq11_floor: Figures,
    pub copy: Figures,
    pub ring3_return: Figures,
    pub irq11_path: Figures,
    pub stack: Figures,
}

impl NicRows {
    /// The datagram's unavoidable parts, slice by slice.
    pub fn parts(&self) -> Figures {
        stats::sum_per_slice(&[&self.irq11_floor, &self.copy, &self.ring3_return])
    }

    /// Every row of the table with its figures, in ROWS' order.
    pub fn table<'a>(&'a self, parts: &'a Figures) -> [(&'static RowSpec, &'a Figures); 7] {
        [
            (&ROWS[0], &self.path),
            (&ROWS[1], &self.irq11_floor),
            (&ROWS[2], &self.copy),
            (&ROWS[3], &self.ring3_return),
            (&ROWS[4], parts),
            (&ROWS[5], &self.irq11_path),
            (&ROWS[6], &self.stack),
        ]
    }
}

/// A datagram, built once: from the gateway (as a datagram from the host
/// reaches the guest on QEMU's user network) to this host's `port`.
/// Source and destination MAC are the card's own: it did send it.
fn datagram(mac: [u8; 6], from: [u8; 4], to: [u8; 4], port: u16) -> [u8; FRAME_BYTES] {
    let mut frame = [0u8; FRAME_BYTES];
    let (from, to) = (Ipv4Address::from(from), Ipv4Address::from(to));
    let udp = UdpRepr { src_port: SOURCE_PORT, dst_port: port };
    let ip = Ipv4Repr {
        src_addr: from,
        dst_addr: to,
        next_header: IpProtocol::Udp,
        payload_len: udp.header_len() + PAYLOAD,
        hop_limit: 64,
    };
    let ethernet = EthernetRepr {
        src_addr: EthernetAddress(mac),
        dst_addr: EthernetAddress(mac),
        ethertype: EthernetProtocol::Ipv4,
    };
    let caps = ChecksumCapabilities::default();
    let mut f = EthernetFrame::new_unchecked(&mut frame[..]);
    ethernet.emit(&mut f);
    let mut packet = Ipv4Packet::new_unchecked(f.payload_mut());
    ip.emit(&mut packet, &caps);
    let mut datagram = UdpPacket::new_unchecked(packet.payload_mut());
    udp.emit(
        &mut datagram,
        &IpAddress::Ipv4(from),
        &IpAddress::Ipv4(to),
        PAYLOAD,
        |payload| payload.fill(PAYLOAD_BYTE),
        &caps,
    );
    frame
}

/// The datagram to `port` of this host.
fn datagram_to(port: u16) -> Result<[u8; FRAME_BYTES], Failure> {
    with_stack(|s| {
        datagram(s.card.mac(), s.config.gateway.octets(), s.config.address.octets(), port)
    })
    .ok_or("nic: no network")
}

/// Hands `frame` to the card (the driver's transmit path); in loopback
/// it is in the receive ring when this returns. Interrupts must be off.
fn transmit(frame: &[u8]) -> Result<(), Failure> {
    with_stack(|s| s.card.queues().1.transmit(frame.len(), |b| b.copy_from_slice(frame)))
        .flatten()
        .ok_or("nic: the card took no frame (no card, or its transmit ring full)")
}

/// Waits until `irq` is requested at its 8259: the card's moderation may
/// hold a new interrupt back for up to 128 us after the last. Between
/// two reads of the IRR it spins a while: under -icount virtual time is
/// instructions, and a port read is the slowest one for QEMU to run.
fn requested(irq: u8) -> Result<(), Failure> {
    let requested = || {
        let requested = pic::is_requested(irq);
        if !requested {
            for i in 0..POLL_SPIN {
                core::hint::black_box(i);
            }
        }
        requested
    };
    if wait_until(requested) {
        Ok(())
    } else {
        Err(NOT_REQUESTED)
    }
}

/// Samples of the datagram row: the TSC at each iteration's start, the
/// clock's own brackets added (subtracted from the end), and the bytes
/// the program leaves after its block.
static STARTS: spin::Mutex<[u64; MAX_SAMPLES]> = spin::Mutex::new([0; MAX_SAMPLES]);
static ENDS: spin::Mutex<[u8; MAX_SAMPLES * 4]> = spin::Mutex::new([0; MAX_SAMPLES * 4]);

/// The sample the program left for iteration `i`.
fn sample(ends: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([ends[4 * i], ends[4 * i + 1], ends[4 * i + 2], ends[4 * i + 3]])
}

/// Gives the CPU to the ready processes until none is ready, as the idle
/// loop does: when this returns, the program is blocked (or has ended).
/// Interrupts off.
fn run_ready() {
    while sched::any_ready() {
        sched::schedule(Reason::Wake);
    }
}

/// The card's interrupt line, with the card set up for the group:
/// loopback on, the least handler told where ICR is, and the first frame
/// taken (see READY_WAIT_MS), off the ring before the stack saw it.
fn prepare() -> Result<(u8, [u8; FRAME_BYTES]), Failure> {
    let irq = with_stack(|s| s.card.function.irq)
        .ok_or("nic: no e1000 (make bench runs QEMU's default network card)")?;
    if irq < 8 {
        return Err("nic: the card's IRQ is not on the slave 8259");
    }
    with_stack(|s| s.card.set_loopback(true))
        .flatten()
        .ok_or("nic: the PHY did not take its loopback bit")?;
    // SAFETY: the handler only reads the word; no handler runs now.
    unsafe { bench_nic_icr.store(e1000::icr_address(), Ordering::Relaxed) };
    let frame = datagram_to(PORT)?;
    let deadline = pit::uptime_ns() + READY_WAIT_MS * 1_000_000;
    loop {
        cpu::disable_interrupts();
        transmit(&frame)?;
        // Taken off the ring here: the stack never sees this one.
        let taken = with_stack(|s| s.card.queues().0.receive(|_| ()).is_some()) == Some(true);
        let _ = e1000::acknowledge();
        if taken {
            return Ok((irq, frame));
        }
        if pit::uptime_ns() > deadline {
            return Err("nic: the card never received its own frame (PHY loopback)");
        }
        // A tick or two (the timer still runs), then again.
        let tick = pit::ticks();
        while pit::ticks() < tick + 2 {
            cpu::enable_interrupts_and_halt();
        }
    }
}

/// The datagram and its parts, in turn (see the module comment). Leaves
/// the card as it found it: loopback off.
pub(super) fn measure(n: u32, device_n: u32, out: &mut NicRows) -> Result<(), Failure> {
    let prepared = prepare();
    cpu::disable_interrupts();
    let result = prepared.and_then(|(irq, frame)| {
        // Nothing but IRQ 11 in the windows below: park the timer.
        pic::mask(pit::IRQ);
        let gate = Gate::new(
            bench_return_gate as *const () as usize as u32,
            gdt::KERNEL_CODE,
            GateType::Interrupt32,
            Ring::User,
        );
        let kernel_gate = set_gate(RETURN_VECTOR, gate);
        let result = rows(irq, &frame, n, device_n, out);
        set_gate(RETURN_VECTOR, kernel_gate);
        pic::unmask(pit::IRQ);
        result
    });
    let _ = with_stack(|s| s.card.set_loopback(false));
    result
}

/// The rows of `measure`, the card in loopback.
fn rows(irq: u8, frame: &[u8], n: u32, device_n: u32, out: &mut NicRows) -> Result<(), Failure> {
    let vector = irq_vector(irq);
    let program = Program::<NicBench>::new(program());
    let mut path = |n: u32| -> Batch {
        let n = n.min(MAX_SAMPLES as u32);
        let pid = program.start(NicBench::new(MODE_RECEIVE, n), "nicbench")?;
        let mut starts = STARTS.lock();
        for start in starts.iter_mut().take(n as usize) {
            run_ready(); // the program blocks in recvfrom
            transmit(frame)?;
            requested(irq)?;
            let before = count(vector);
            *start = cpu::rdtsc();
            cpu::enable_interrupts(); // IRQ 11 is taken after the next instruction
            let arrived = wait_until(|| count(vector) != before);
            cpu::disable_interrupts();
            // The idle loop's step: the woken reader gets the CPU, and
            // runs until it blocks in recvfrom again (or exits).
            run_ready();
            if !arrived {
                return Err(IRQ_LOST);
            }
            *start += timed_nothing(vector);
        }
        let mut ends = ENDS.lock();
        let ends = &mut ends[..n as usize * 4];
        program.collect(pid, ends)?;
        let mut i = 0;
        median_of_iterations(n, || {
            let cycles = sample(ends, i).wrapping_sub(starts[i] as u32);
            i += 1;
            Ok(u64::from(cycles))
        })
    };
    let raise = || {
        let _ = with_stack(|s| s.card.raise(icr::RXT0));
        let _ = requested(irq);
    };
    let mut irq11_floor = |n: u32| {
        let handler = bench_irq11_min as *const () as usize as u32;
        bare_irq_batch(n, vector, handler, irq11_min_count, raise, IRQ_LOST)
    };
    let mut irq11_path = |n: u32| {
        median_of_iterations(n, || {
            raise();
            let path = timed_delivery(vector, || {}).ok_or(IRQ_LOST)?;
            Ok(path.saturating_sub(timed_nothing(vector)))
        })
    };
    // The payload, copied as every copy on the path is: memcpy, with a
    // length known only at run time.
    let (from, mut to) = ([PAYLOAD_BYTE; PAYLOAD], [0u8; PAYLOAD]);
    let mut copy = |n: u32| {
        let start = cpu::rdtsc();
        for _ in 0..n {
            let len = core::hint::black_box(PAYLOAD);
            core::hint::black_box(&mut to)[..len].copy_from_slice(&from[..len]);
        }
        let elapsed = cpu::rdtsc() - start;
        let start = cpu::rdtsc();
        for _ in 0..n {
            let _ = core::hint::black_box(PAYLOAD);
            core::hint::black_box(&mut to);
        }
        Ok(stats::per_iteration(elapsed, cpu::rdtsc() - start, n))
    };
    let mut ring3_return = |n: u32| -> Batch {
        let n = n.min(MAX_SAMPLES as u32);
        let pid = program.start(NicBench::new(MODE_RETURN, n), "nicbench")?;
        let mut ends = ENDS.lock();
        let ends = &mut ends[..n as usize * 4];
        program.collect(pid, ends)?;
        let mut i = 0;
        median_of_iterations(n, || {
            // A negative difference (noise on the empty brackets) is 0.
            let cycles = (sample(ends, i) as i32).max(0) as u64;
            i += 1;
            Ok(cycles)
        })
    };
    // The bottom half alone, on a socket of the kernel's own, open for
    // the batch only (smoltcp then holds one UDP socket, as in the
    // datagram row): the datagram in the ring, the card acknowledged by
    // hand (no top half ran), the clock around `net::poll`; the datagram
    // is read out of the socket after the clock stopped.
    let to_stack = datagram_to(STACK_PORT)?;
    let mut stack = |n: u32| {
        let socket = net::socket::open(Kind::Datagram).map_err(|_| "nic: no socket")?;
        let figure = net::socket::bind(socket, Address { ip: [0; 4], port: STACK_PORT })
            .map_err(|_| "nic: the stack row's socket could not bind")
            .and_then(|()| median_of_iterations(n, || poll_once(irq, &to_stack, socket)));
        net::socket::release(socket);
        figure
    };
    let card_n = (device_n / CARD_DIVISOR).max(stats::MIN_DEVICE_ITERATIONS);
    let rows = [
        Row { iterations: card_n, batch: &mut path },
        Row { iterations: card_n, batch: &mut irq11_floor },
        Row { iterations: n, batch: &mut copy },
        Row { iterations: card_n, batch: &mut ring3_return },
        Row { iterations: card_n, batch: &mut irq11_path },
        Row { iterations: card_n, batch: &mut stack },
    ];
    let NicRows { path, irq11_floor, copy, ring3_return, irq11_path, stack: stack_out } = out;
    interleave(rows, [path, irq11_floor, copy, ring3_return, irq11_path, stack_out])
}

/// One iteration of the stack row: `frame` to the card, its interrupt
/// acknowledged by hand, and the clock around smoltcp's poll, which takes
/// it into `socket`. Interrupts off.
fn poll_once(irq: u8, frame: &[u8], socket: SocketId) -> Result<u64, Failure> {
    transmit(frame)?;
    requested(irq)?;
    let _ = e1000::acknowledge();
    let start = cpu::rdtsc();
    net::poll();
    let cycles = cpu::rdtsc() - start;
    let bare = {
        let start = cpu::rdtsc();
        cpu::rdtsc() - start
    };
    let mut buffer = [0u8; PAYLOAD];
    match net::socket::receive(socket, &mut buffer, true) {
        Ok((PAYLOAD, _)) => Ok(cycles.saturating_sub(bare)),
        _ => Err("nic: the stack row's datagram did not reach its socket"),
    }
}
