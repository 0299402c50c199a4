# GDB settings and commands for irqkernel. Loaded explicitly, from the
# repository's root, by `make gdb` and by the README's recipe:
#
#   gdb -x gdb/kernel.gdb -ex 'target remote localhost:1234' build/kernel-debug.elf
#
# (To have GDB load it by itself instead, see README "Debugging with GDB":
# a .gdbinit is only read from a directory `set auto-load safe-path` allows.)

set pagination off
set confirm off
set print pretty on
set disassembly-flavor intel
# The kernel is 32-bit protected mode from its first instruction.
set architecture i386

# The commands vbreak, trapframe, idt-gate, pic-state (`help vbreak` etc.).
source gdb/kernel.py
