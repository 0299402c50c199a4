; hello.asm: a Linux i386 style program, run by irqkernel as a Multiboot
; module (QEMU -initrd, GRUB `module`). The same source builds both forms
; the kernel loads:
;   nasm -f bin -o hello.bin hello.asm          flat binary at 0x00400000
;   nasm -f elf32 -o hello.o hello.asm
;   ld -m elf_i386 -o hello.elf hello.o         ELF at ld's default 0x08048000
; A flat binary needs both `bits 32` (the CPU runs it in 32-bit protected
; mode; NASM's bin format assumes 16-bit code) and `org` (where it runs).
; System calls as on Linux: number in EAX, arguments in EBX, ECX, EDX.

bits 32
%ifidn __OUTPUT_FORMAT__, bin
org 0x00400000              ; a flat binary is entered at its first byte
%endif

SYS_EXIT  equ 1
SYS_WRITE equ 4
STDOUT    equ 1

section .text
global _start
_start:
    mov eax, SYS_WRITE
    mov ebx, STDOUT
    mov ecx, message
    mov edx, message_length
    int 0x80                ; write(1, message, message_length)

    mov eax, SYS_EXIT
    mov ebx, 0
    int 0x80                ; exit(0)

message:
    db "hello from a NASM module", 10
message_length equ $ - message
