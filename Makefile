# irqkernel: build, run and test the kernel. `make help` lists the targets.
#
# Every target that needs a tool installs it first through tests/setup.sh
# (the pinned Rust nightly, QEMU, GRUB, Bochs), saying what it installs.

KERNEL    := build/kernel.elf
CARGO_OUT := target/i686-kernel/release/kernel
QEMU      := qemu-system-i386
# Options passed to the kernel on its Multiboot command line.
ARGS      ?=
# TCG by default: the /dev/kvm of the course machines is a software PVM
# that cannot run protected-mode interrupts. Use ACCEL=kvm on a host with
# real VT-x/AMD-V.
ACCEL     ?= tcg
# Where the display goes: a window when $DISPLAY is set, else the terminal
# (curses), so typed keys reach the guest's PS/2 keyboard either way.
ifeq ($(DISPLAY),)
DISPLAY_OPT := -display curses
else
DISPLAY_OPT :=
endif

QEMU_BASE := -accel $(ACCEL) -m 32M -no-reboot -serial file:com1.out

# The GRUB CD image (make iso), booted by make run-iso and make bochs.
ISO       := build/os.iso
# Which boot/grub.cfg menu entry the image boots, by its --id (the first
# entry when empty; `boot/mkiso.sh --list` lists them). GRUB cannot take
# ARGS from make.
ENTRY     ?=
# User programs for make run to load as Multiboot modules (flat binary or
# ELF32, see README "System calls"), QEMU's syntax: "FILE ARGS,FILE2 ARGS",
# e.g. INITRD="build/hello.elf one two".
INITRD    ?=
ifneq ($(INITRD),)
INITRD_OPT := -initrd "$(INITRD)"
endif

.PHONY: all kernel iso run run-iso bochs debug test unit lint bench clean help \
        setup-rust setup-qemu setup-grub setup-bochs setup-user user-programs

all: kernel

help:
	@echo "make            build the release kernel at $(KERNEL)"
	@echo "make run        boot it in QEMU; COM1 goes to com1.out (ARGS=\"hz=250\" passes options)"
	@echo "make debug      like run, but QEMU waits for GDB on localhost:1234"
	@echo "make iso        a GRUB CD image of the kernel at $(ISO) (ENTRY=ID picks a menu entry of boot/grub.cfg:"
	@echo "                $$(boot/mkiso.sh --list))"
	@echo "make run-iso    boot $(ISO) in QEMU through GRUB; COM1 goes to com1.out"
	@echo "make bochs      boot $(ISO) in Bochs in this terminal; COM1 goes to com1.out; Ctrl-] quits"
	@echo "make run ARGS=init=echo   run a built-in ring-3 program (init=help lists them)"
	@echo "make run INITRD=build/hello.bin   run a user program loaded as a Multiboot module"
	@echo "make build/hello.bin build/hello.elf   assemble the example program (tests/user/hello.asm)"
	@echo "make test       every test: host unit tests, in-kernel tests, end-to-end"
	@echo "make bench      the interrupt-path benchmark in QEMU (BENCH=N iterations per batch, BENCH=quick)"
	@echo "make lint       clippy, rustfmt and the layering check (tests/layers.py)"
	@echo "make clean      remove build/, target/ and com1.out"

setup-rust:
	@tests/setup.sh rust

setup-qemu:
	@tests/setup.sh qemu

setup-grub:
	@tests/setup.sh grub

setup-bochs:
	@tests/setup.sh bochs

setup-user:
	@tests/setup.sh user

# The example user program, in both forms the kernel loads. setup-user is
# order-only (after the |): it must run first, but, being phony, it must
# not make the programs out of date on every make test.
build/hello.bin: tests/user/hello.asm | setup-user
	@mkdir -p build
	nasm -f bin -o $@ $<

# Linked the ordinary Linux way: ld's default address, 0x08048000.
build/hello.elf: tests/user/hello.asm | setup-user
	@mkdir -p build
	nasm -f elf32 -o build/hello.o $<
	ld -m elf_i386 -o $@ build/hello.o

user-programs: build/hello.bin build/hello.elf

# Cargo decides what is out of date; this rule always asks it.
kernel: setup-rust
	cargo kbuild --release
	@mkdir -p build
	cp $(CARGO_OUT) $(KERNEL)

$(KERNEL): kernel

# Rebuilt every time (a second): the kernel may have changed, and ENTRY.
iso: kernel build/hello.bin setup-grub
	boot/mkiso.sh $(ISO) $(ENTRY)

run: kernel setup-qemu
	@echo "QEMU: COM1 -> com1.out. Quit: close the window, or in the terminal press Esc 2, type quit, Enter."
	$(QEMU) $(QEMU_BASE) $(DISPLAY_OPT) -kernel $(KERNEL) -append "$(ARGS)" $(INITRD_OPT)

run-iso: iso setup-qemu
	@echo "QEMU boots $(ISO) through GRUB: COM1 -> com1.out. Quit: close the window, or in the terminal press Esc 2, type quit, Enter."
	$(QEMU) $(QEMU_BASE) $(DISPLAY_OPT) -cdrom $(ISO) -boot d

# Bochs' term display, in this terminal (boot/bochs.py says why a script).
bochs: iso setup-bochs
	@echo "Bochs boots $(ISO) through GRUB: COM1 -> com1.out, log -> build/bochsout.txt. Quit: Ctrl-]"
	@sleep 1
	python3 boot/bochs.py

debug: kernel setup-qemu
	@echo "QEMU waits for GDB: gdb $(KERNEL) -ex 'target remote localhost:1234'"
	$(QEMU) $(QEMU_BASE) $(DISPLAY_OPT) -kernel $(KERNEL) -append "$(ARGS)" $(INITRD_OPT) -s -S

unit: setup-rust
	cargo test --lib

# Clippy on the kernel build and the host build (src/lib.rs denies unsafe
# blocks without a SAFETY comment and unsafe fns without a Safety
# section), the formatting, and the layering of src/ (tests/layers.py).
lint: setup-rust
	cargo kcheck --release -- -D warnings
	cargo clippy --lib -- -D warnings
	cargo fmt --check
	python3 tests/layers.py

test: kernel iso user-programs setup-qemu setup-bochs
	python3 tests/run.py

clean:
	cargo clean
	rm -rf build com1.out

# make bench: the interrupt-path benchmark (src/bench/measure.rs) in QEMU/TCG,
# headless. The table goes to the terminal, all of COM1 to com1.out.
# BENCH=N sets the iterations per batch (BENCH=quick for a smoke run).
BENCH ?= 100000

bench: kernel setup-qemu
	@rm -f com1.out
	@status=0; timeout 600 $(QEMU) -accel $(ACCEL) -m 32M -no-reboot -display none -serial file:com1.out \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel $(KERNEL) -append "bench=$(BENCH)" || status=$$?; \
	sed -n '/^== bench results/,$$p' com1.out; \
	done=$$(python3 tests/facts.py EXIT_PASSED); \
	if [ $$status -ne $$done ]; then echo "make bench: QEMU exited with status $$status ($$done = done); see com1.out"; tail -5 com1.out; exit 1; fi
