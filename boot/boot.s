/*
 * boot/boot.s - the Multiboot v1 entry point, and the switch to the
 * kernel's half of the address space.
 *
 * A Multiboot loader (QEMU's -kernel, GRUB's `multiboot`) loads the ELF at
 * physical 1 MiB and jumps to _start in 32-bit protected mode with paging
 * off, EAX = 0x2BADB002 (the magic) and EBX = the physical address of the
 * Multiboot information structure. Everything else is undefined by the
 * specification: ESP, EFLAGS.DF, and the GDT and segment selectors (GRUB
 * enters with CS = 0x10, DS = 0x18; QEMU with CS = 0x08, DS = 0x10).
 *
 * The kernel is linked to run at KERNEL_BASE + 1 MiB (0xC0100000, see
 * linker.ld and src/cpu/paging.rs), but it is loaded at 1 MiB and paging
 * is off: every address the compiler put in the code is 0xC0000000 too
 * high. So this stub, linked at its physical address (section .text.boot),
 * does four things before any of that code runs:
 *
 *   1. It builds a boot page directory of 4 MiB pages (CR4.PSE): entry 0
 *      maps the first 4 MiB where they are, so that the instruction after
 *      the one that turns paging on, still at its physical address, can
 *      be fetched; entries 768-1023 map the first GiB of physical memory
 *      at KERNEL_BASE, where the kernel was linked.
 *   2. It loads CR3 with that directory and sets CR0.PG (and CR0.WP, so
 *      that ring 0 too respects read-only pages).
 *   3. It jumps to higher_half through a register: an absolute jump to
 *      the address the kernel was linked at. From there on EIP is in the
 *      kernel half.
 *   4. It sets up what Rust needs (a stack, a clean EFLAGS) and calls
 *      kernel_main(magic, info), which loads the kernel's own GDT before
 *      anything uses a selector, and replaces the boot directory with
 *      4 KiB page tables of its own (src/mm/mod.rs), dropping the
 *      identity mapping of the first 4 MiB.
 *
 * Assembled by LLVM through global_asm! in src/main.rs (Intel syntax),
 * which hands in the constants below from the Rust definitions, so cargo
 * alone builds the kernel.
 */

/* Multiboot v1 header (Multiboot specification, section 3.1.1). */
.set MB_HEADER_MAGIC,   0x1BADB002
.set MB_PAGE_ALIGN,     1 << 0          /* modules page-aligned */
.set MB_MEMORY_INFO,    1 << 1          /* ask for the memory map */
.set MB_HEADER_FLAGS,   MB_PAGE_ALIGN | MB_MEMORY_INFO
.set MB_CHECKSUM,       -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

.set BOOT_STACK_SIZE,   64 * 1024

.set KERNEL_BASE,       {kernel_base}
.set KERNEL_FIRST_ENTRY, {kernel_first_entry}
/* A directory entry mapping a 4 MiB page: present, writable, PS. */
.set HUGE_PAGE,         {huge_page}
.set CR4_PSE,           1 << 4          /* 4 MiB pages */
.set CR0_PG,            1 << 31         /* paging on */
.set CR0_WP,            1 << 16         /* ring 0 respects read-only pages */

.section .multiboot, "a"
.balign 4
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long MB_CHECKSUM

/* The boot stack, which stays the kernel's stack (the idle loop's).
 * Page-aligned because its lowest page becomes a guard page once the
 * kernel's own page tables are in (src/mm/mod.rs): a kernel stack
 * overflow then faults there instead of overwriting memory. */
.section .bss.boot_stack, "aw", @nobits
.balign 4096
.global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
.global boot_stack_top
boot_stack_top:

/* The boot page directory, used only until kernel_main loads its own. */
.section .bss.boot_page_directory, "aw", @nobits
.balign 4096
boot_page_directory:
    .skip 4096

/* TSC at the first instruction of _start: where `make bench` starts its
 * boot row (src/bench/measure.rs). Written once here, read once there. */
.section .bss.boot_tsc, "aw", @nobits
.balign 8
.global boot_tsc
boot_tsc:
    .skip 8

/* Runs at its physical address, paging off: every kernel symbol it uses
 * is written `symbol - KERNEL_BASE`, its physical address. */
.section .text.boot, "ax"
.global _start
_start:
    /* Read the clock before anything else runs. RDTSC overwrites EAX (the
     * Multiboot magic) and EDX, so the magic waits in ESI meanwhile. */
    mov esi, eax
    rdtsc
    mov dword ptr [boot_tsc - KERNEL_BASE], eax
    mov dword ptr [boot_tsc - KERNEL_BASE + 4], edx

    /* 1. The boot directory (zeroed, like all of .bss, by the loader). */
    mov edi, offset boot_page_directory - KERNEL_BASE
    mov dword ptr [edi], HUGE_PAGE      /* 0-4 MiB at 0 */
    xor ecx, ecx
1:  mov edx, ecx
    shl edx, 22                         /* physical ecx * 4 MiB ... */
    or edx, HUGE_PAGE
    mov dword ptr [edi + 4 * ecx + 4 * KERNEL_FIRST_ENTRY], edx  /* ... at KERNEL_BASE + */
    inc ecx
    cmp ecx, 1024 - KERNEL_FIRST_ENTRY
    jne 1b

    /* 2. Paging on. */
    mov ecx, cr4
    or ecx, CR4_PSE
    mov cr4, ecx
    mov cr3, edi
    mov ecx, cr0
    or ecx, CR0_PG | CR0_WP
    mov cr0, ecx

    /* 3. Into the kernel half. */
    mov ecx, offset higher_half
    jmp ecx

/* Linked, and from here on run, at the kernel-half addresses. */
.section .text.higher_half, "ax"
.global higher_half
higher_half:
    /* 4. The stack is ours from here on; 16-byte aligned for the Rust ABI. */
    mov esp, offset boot_stack_top
    /* Known EFLAGS: IF=0 (no interrupt before the IDT exists), DF=0 (the
     * ABI's string-instruction direction), IOPL=0, NT=0, AC=0. */
    push 0
    popfd
    /* kernel_main(magic, info): two cdecl arguments, and ESP 16-byte
     * aligned at the call (boot_stack_top - 8 - 8). The info pointer is
     * still a physical address; kernel_main reads it through the kernel
     * half's map of physical memory. */
    sub esp, 8
    push ebx
    push esi
    call kernel_main
    /* kernel_main never returns; if it ever did, stop here for good. */
2:  cli
    hlt
    jmp 2b
