/*
 * boot/boot.s - the Multiboot v1 entry point.
 *
 * A Multiboot loader (QEMU's -kernel, GRUB's `multiboot`) loads the ELF at
 * 1 MiB and jumps to _start in 32-bit protected mode with paging off,
 * EAX = 0x2BADB002 (the magic) and EBX = the physical address of the
 * Multiboot information structure. Everything else is undefined by the
 * specification: ESP, EFLAGS.DF, and the GDT and segment selectors (GRUB
 * enters with CS = 0x10, DS = 0x18; QEMU with CS = 0x08, DS = 0x10). So this
 * stub only sets up what Rust needs to run at all (a stack and a clean
 * EFLAGS) and hands EAX and EBX to kernel_main, which loads the kernel's
 * own GDT before anything uses a selector.
 *
 * Assembled by LLVM through global_asm! in src/main.rs (Intel syntax), so
 * cargo alone builds the kernel.
 */

/* Multiboot v1 header (Multiboot specification, section 3.1.1). */
.set MB_HEADER_MAGIC,   0x1BADB002
.set MB_PAGE_ALIGN,     1 << 0          /* modules page-aligned */
.set MB_MEMORY_INFO,    1 << 1          /* ask for mem_lower/mem_upper */
.set MB_HEADER_FLAGS,   MB_PAGE_ALIGN | MB_MEMORY_INFO
.set MB_CHECKSUM,       -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

.set BOOT_STACK_SIZE,   64 * 1024

.section .multiboot, "a"
.balign 4
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long MB_CHECKSUM

/* The boot stack, which stays the kernel's stack. Page-aligned because its
 * lowest page becomes a guard page once paging is on (src/cpu/paging.rs): a
 * kernel stack overflow then faults there instead of overwriting memory. */
.section .bss.boot_stack, "aw", @nobits
.balign 4096
.global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
.global boot_stack_top
boot_stack_top:

/* TSC at the first instruction of _start: where `make bench` starts its
 * boot row (src/bench/measure.rs). Written once here, read once there. */
.section .bss.boot_tsc, "aw", @nobits
.balign 8
.global boot_tsc
boot_tsc:
    .skip 8

.section .text._start, "ax"
.global _start
_start:
    /* Read the clock before anything else runs. RDTSC overwrites EAX (the
     * Multiboot magic) and EDX, so the magic waits in ECX meanwhile. */
    mov ecx, eax
    rdtsc
    mov dword ptr [boot_tsc], eax
    mov dword ptr [boot_tsc + 4], edx
    mov eax, ecx
    /* The stack is ours from here on; 16-byte aligned for the Rust ABI. */
    mov esp, offset boot_stack_top
    /* Known EFLAGS: IF=0 (no interrupt before the IDT exists), DF=0 (the
     * ABI's string-instruction direction), IOPL=0, NT=0, AC=0. */
    push 0
    popfd
    /* kernel_main(magic, info): two cdecl arguments, and ESP 16-byte
     * aligned at the call (boot_stack_top - 8 - 8). */
    sub esp, 8
    push ebx
    push eax
    call kernel_main
    /* kernel_main never returns; if it ever did, stop here for good. */
1:  cli
    hlt
    jmp 1b
