# irqkernel: build, run and test the kernel. `make help` lists the targets.
#
# Every target that needs a tool installs it first through tests/setup.sh
# (the pinned Rust nightly, QEMU, GRUB, Bochs, GDB), saying what it installs.

KERNEL    := build/kernel.elf
# Cargo's output folder: target/, or CARGO_TARGET_DIR when set (the labs
# stage shares one between the handouts it builds).
CARGO_DIR := $(or $(CARGO_TARGET_DIR),target)
CARGO_OUT := $(CARGO_DIR)/i686-kernel/release/kernel
QEMU      := qemu-system-i386
# Options passed to the kernel on its Multiboot command line.
ARGS      ?=
# TCG by default: the /dev/kvm of the course machines is a software PVM
# that cannot run protected-mode interrupts. Use ACCEL=kvm on a host with
# real VT-x/AMD-V.
ACCEL     ?= tcg
# Where the display goes: a window when $DISPLAY is set, else the terminal
# (curses), so typed keys reach the guest's PS/2 keyboard either way.
# In a terminal, the kernel is also asked (quit=curses) to keep QEMU's quit
# keys at the top of its screen, where curses cannot wipe them.
ifeq ($(DISPLAY),)
DISPLAY_OPT := -display curses
QUIT_HINT   := quit=curses
QUIT_KEYS   := in this terminal press Esc, then 2 (within a second), type quit, Enter (also shown top right)
else
DISPLAY_OPT :=
QUIT_HINT   :=
QUIT_KEYS   := close the QEMU window
endif

QEMU_MACHINE := -accel $(ACCEL) -m 32M -no-reboot
QEMU_BASE    := $(QEMU_MACHINE) -serial file:com1.out

# The kernel for GDB: cargo profile kdebug (Cargo.toml: no LTO, opt-level 0,
# so locals are readable and `next` stays on the source line), built to its
# own file; build/kernel.elf stays the release kernel.
DEBUG_KERNEL := build/kernel-debug.elf
DEBUG_OUT    := $(CARGO_DIR)/i686-kernel/kdebug/kernel
# Which kernel make gdb and make debug boot: PROFILE=kdebug (the default)
# or PROFILE=release (build/kernel.elf, optimised with LTO: locals are
# often <optimized out> and `next` wanders into inlined library code).
PROFILE   ?= kdebug
ifeq ($(PROFILE),release)
GDB_KERNEL := $(KERNEL)
GDB_BUILD  := kernel
else ifeq ($(PROFILE),kdebug)
GDB_KERNEL := $(DEBUG_KERNEL)
GDB_BUILD  := kernel-debug
else
GDB_BUILD  := bad-profile
endif
# make debug's GDB port (QEMU -gdb tcp::PORT).
GDB_PORT  ?= 1234
# QEMU's QMP socket under make gdb and make debug: GDB's `keypress` (and
# gdb/qmp_keys.py) type into the guest through it while it runs.
QMP_SOCK  := build/qmp.sock
# make gdb: a QEMU window when $$DISPLAY is set, else no display at all
# (GDB has the terminal; keys come from GDB's `keypress`).
ifeq ($(DISPLAY),)
GDB_DISPLAY := -display none
else
GDB_DISPLAY :=
endif

# The GRUB CD image (make iso), booted by make run-iso and make bochs.
ISO       := build/os.iso
# Which boot/grub.cfg menu entry the image boots, by its --id (the first
# entry when empty; `boot/mkiso.sh --list` lists them). GRUB cannot take
# ARGS from make.
ENTRY     ?=
# The word httpd's page carries in the `net` entry (make bochs ENTRY=net
# TOKEN=hello; TOKEN alone implies ENTRY=net); "grub" when empty.
TOKEN     ?=
# User programs for make run to load as Multiboot modules (flat binary or
# ELF32, see README "System calls"), QEMU's syntax: "FILE ARGS,FILE2 ARGS",
# e.g. INITRD="build/hello.elf one two".
INITRD    ?=
ifneq ($(INITRD),)
INITRD_OPT := -initrd "$(INITRD)"
endif
# NET=1: the e1000 on QEMU's user network with two ports of this host
# forwarded to the guest (10.0.2.15): TCP HTTP_PORT to its 8080
# (build/httpd) and UDP UDP_PORT to its 5555 (build/udpecho), on
# 127.0.0.1 only. Without NET, QEMU still gives the guest its default
# e1000 on a user network, with nothing forwarded. restrict=off: with
# restrict=on, slirp drops every UDP datagram the guest sends, the echo's
# answers among them (README: The network card).
NET       ?=
HTTP_PORT ?= 8080
UDP_PORT  ?= 5555
ifneq ($(NET),)
NET_OPT   := -nic user,model=e1000,restrict=off,hostfwd=tcp:127.0.0.1:$(HTTP_PORT)-:8080,hostfwd=udp:127.0.0.1:$(UDP_PORT)-:5555
NET_SAY   := @echo "Network: http://127.0.0.1:$(HTTP_PORT)/ reaches the guest's TCP 8080, UDP 127.0.0.1:$(UDP_PORT) its 5555."
else
NET_SAY   := @true
endif

.PHONY: all kernel kernel-debug bad-profile iso run run-serial run-iso bochs debug gdb test unit lint bench bench-icount bench-repeat clean help \
        grade handout grade-class \
        setup-rust setup-qemu setup-grub setup-bochs setup-user setup-gdb setup-net user-programs \
        net-host-check

# make: the release kernel, build/kernel.elf (the file every other target
# and the tests boot), and the user programs it runs, the C example
# hello_c among them (user-programs, below, installs gcc-multilib and
# NASM first if they are missing: setup-user).
all: kernel user-programs

help:
	@echo "make            build the release kernel at $(KERNEL) and the user programs (make user-programs)"
	@echo "make run        boot it in QEMU; COM1 goes to com1.out (ARGS=\"hz=250\" passes options)"
	@echo "make run-serial the same without a screen: this terminal is COM1 both ways; Ctrl-A X quits"
	@echo "make gdb        GDB with QEMU paused under it, on the debug kernel $(DEBUG_KERNEL) (README: Debugging with GDB)"
	@echo "make debug      QEMU paused, waiting for GDB on localhost:$(GDB_PORT); its monitor in this terminal"
	@echo "make gdb PROFILE=release   the same on the release kernel $(KERNEL) (also make debug)"
	@echo "make kernel-debug   build only the debug kernel (cargo profile kdebug: no LTO, opt-level 0)"
	@echo "make iso        a GRUB CD image of the kernel at $(ISO) (ENTRY=ID picks a menu entry of boot/grub.cfg:"
	@echo "                $$(boot/mkiso.sh --list))"
	@echo "make run-iso    boot $(ISO) in QEMU through GRUB; COM1 goes to com1.out"
	@echo "make bochs      boot $(ISO) in Bochs in this terminal; COM1 goes to com1.out; Ctrl-] quits"
	@echo "make bochs ENTRY=net TOKEN=hello   httpd and udpecho on Bochs' e1000: curl http://127.0.0.1:8080/"
	@echo "make run ARGS=init=echo   run a built-in ring-3 program (init=help lists them)"
	@echo "make run INITRD=build/hello.bin   run a user program loaded as a Multiboot module"
	@echo "make build/hello.bin build/hello.elf   assemble the example program (tests/user/hello.asm)"
	@echo "make user-programs   those, the C programs build/hello_c, build/args_c, build/probe_c,"
	@echo "                build/netprobe_c, build/httpd, build/udpecho and build/netclient (gcc -m32 -static),"
	@echo "                and the test programs build/user/* (tests/user/*.c, gcc -m32 -nostdlib)"
	@echo "make run INITRD=\"build/hello_c\"   a C program built against glibc, exactly as for Linux"
	@echo "make run NET=1 INITRD=\"build/httpd TOKEN\"   a web server on the kernel: curl http://127.0.0.1:8080/"
	@echo "make net-host-check   the network programs build/httpd, build/udpecho, build/netclient on this"
	@echo "                host, against curl and Python (tests/net_host_check.py): the kernel's oracle"
	@echo "make test       every test: host unit tests, in-kernel tests, end-to-end"
	@echo "make bench      the interrupt-path benchmark in QEMU (BENCH=N iterations per batch, BENCH=quick)"
	@echo "make bench-icount  the same rows in executed instructions (QEMU -icount): exact, step by step"
	@echo "make bench-repeat  make bench RUNS=5 times in a row: how far each ratio strays from its median"
	@echo "make lint       clippy, rustfmt and the layering check (tests/layers.py)"
	@echo "make grade      grade every lab (LAB=N: one lab; JSON=FILE: the results as JSON); labs/README.md"
	@echo "make handout LAB=N DEST=DIR   a student tree for lab N, its solution taken out"
	@echo "make grade-class DIR=DIR      grade every student tree in DIR (a line each, DIR/grades.csv)"
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

setup-gdb:
	@tests/setup.sh gdb

setup-net:
	@tests/setup.sh net

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

# C programs with the C library (glibc), built exactly as on Linux, with no
# flag of this project's: the example hello_c, args_c, probe_c (glibc's
# terminal, time and sleep calls, for the linux test stage) and netprobe_c
# (the socket calls' errors and non-blocking answers, for the net stage)
# (README: Linux programs). `make build/hello_c`, or `make run INITRD="build/hello_c"`,
# which builds it first.
LIBC_PROGRAMS := build/hello_c build/args_c build/probe_c build/netprobe_c

build/%_c: tests/user/%_c.c | setup-user
	@mkdir -p build
	gcc -m32 -static -o $@ $<

# The network programs, built the same way (issue 20): a UDP echo server, a small HTTP server whose page carries its
# first argument and a request counter, and a client that fetches a page.
# Named without _c so the README's `make run INITRD="build/httpd TOKEN"`
# reads as it would on Linux.
NET_PROGRAMS := build/udpecho build/httpd build/netclient

$(NET_PROGRAMS): build/%: tests/user/%.c tests/user/netutil.h | setup-user
	@mkdir -p build
	gcc -m32 -static -o $@ $<

# The network programs on this host, against curl (setup-net) and Python:
# what they answer on Linux is what the kernel's must answer.
net-host-check: $(NET_PROGRAMS) setup-net
	python3 tests/net_host_check.py

# The test programs (tests/user/*.c but those): freestanding Linux i386
# programs, built the ordinary way, that run unchanged on the kernel and
# on Linux.
USER_C     := $(filter-out $(patsubst build/%,tests/user/%.c,$(LIBC_PROGRAMS) $(NET_PROGRAMS)),$(wildcard tests/user/*.c))
USER_TESTS := $(patsubst tests/user/%.c,build/user/%,$(USER_C))
USER_CFLAGS := -m32 -static -nostdlib -ffreestanding -O2 -fno-stack-protector -Wall -Wno-unused-parameter

build/user/%: tests/user/%.c tests/user/linux.h | setup-user
	@mkdir -p build/user
	gcc $(USER_CFLAGS) -o $@ $<

user-programs: build/hello.bin build/hello.elf $(USER_TESTS) $(LIBC_PROGRAMS) $(NET_PROGRAMS)

# The programs INITRD names that make knows how to build: every word of
# INITRD (files and arguments, split at commas and spaces) that is one of
# them. make run builds them first.
comma := ,
INITRD_BUILT := $(filter build/hello.bin build/hello.elf $(USER_TESTS) $(LIBC_PROGRAMS) $(NET_PROGRAMS),\
                         $(subst $(comma), ,$(INITRD)))

# Cargo decides what is out of date; this rule always asks it.
kernel: setup-rust
	cargo kbuild --release
	@mkdir -p build
	cp $(CARGO_OUT) $(KERNEL)

$(KERNEL): kernel

# The kernel for GDB (see DEBUG_KERNEL above). make and make test never
# build it (the gdb stage of make test does, through this target).
kernel-debug: setup-rust
	cargo kbuild --profile kdebug
	@mkdir -p build
	cp $(DEBUG_OUT) $(DEBUG_KERNEL)

bad-profile:
	@echo "make: PROFILE=$(PROFILE): use PROFILE=kdebug (the default) or PROFILE=release"; exit 2

# Rebuilt every time (a second): the kernel may have changed, and ENTRY.
iso: kernel build/hello.bin build/user/count build/user/spew $(LIBC_PROGRAMS) build/httpd build/udpecho setup-grub
	boot/mkiso.sh $(ISO) $(if $(TOKEN),$(or $(ENTRY),net) $(TOKEN),$(ENTRY))

run: kernel setup-qemu $(INITRD_BUILT)
	@echo "QEMU: keyboard in the QEMU screen, COM1 -> com1.out. Quit: $(QUIT_KEYS)."
	$(NET_SAY)
	$(QEMU) $(QEMU_BASE) $(DISPLAY_OPT) $(NET_OPT) -kernel $(KERNEL) -append "$(strip $(ARGS) $(QUIT_HINT))" $(INITRD_OPT)

# xv6's qemu-nox: no screen at all; this terminal is COM1, in both
# directions (IRQ 4), and com1.out still gets a copy of the output through
# the chardev's log file. mux=on lets Ctrl-A reach QEMU (Ctrl-A X quits,
# Ctrl-A C toggles its monitor); signal=off sends Ctrl-C to the kernel.
# quit=serial: the kernel says how to quit again after kernel: ready (the
# boot log scrolls this hint away) and when Ctrl-C has nothing to stop.
run-serial: kernel setup-qemu $(INITRD_BUILT)
	@echo "QEMU without a screen: this terminal is COM1, both ways; COM1 -> com1.out too."
	@echo "Quit: Ctrl-A, then X.  (Ctrl-C stops the running program, not QEMU.)"
	$(NET_SAY)
	@echo
	$(QEMU) $(QEMU_MACHINE) $(NET_OPT) -display none -chardev stdio,id=com1,mux=on,signal=off,logfile=com1.out \
		-serial chardev:com1 -mon chardev=com1,mode=readline -kernel $(KERNEL) \
		-append "$(strip $(ARGS) quit=serial)" $(INITRD_OPT)
	@echo "QEMU has quit; COM1's output is in com1.out."

run-iso: iso setup-qemu
	@echo "QEMU boots $(ISO) through GRUB: COM1 -> com1.out. Quit: $(QUIT_KEYS) (no hint on the screen: GRUB's command line is its own)."
	$(QEMU) $(QEMU_BASE) $(DISPLAY_OPT) -cdrom $(ISO) -boot d

# Bochs' term display, in this terminal (boot/bochs.py says why a script).
# Its e1000 is on Bochs' slirp, with TCP HTTP_PORT and UDP UDP_PORT of
# 127.0.0.1 forwarded to the guest's 8080 and 5555, as make run NET=1
# does (boot/bochs.py writes slirp's script, build/slirp.conf, and says so).
bochs: iso setup-bochs
	@echo "Bochs boots $(ISO) through GRUB: COM1 -> com1.out, log -> build/bochsout.txt. Quit: Ctrl-]"
	@sleep 1
	python3 boot/bochs.py --http-port $(HTTP_PORT) --udp-port $(UDP_PORT)

# Two terminals: QEMU here, paused, with its monitor on this terminal (no
# curses screen to wipe the hint); GDB in another. Keys: the QEMU window if
# there is one, `sendkey a` at the (qemu) prompt, or `keypress a` in GDB.
debug: $(GDB_BUILD) setup-qemu $(INITRD_BUILT)
	@rm -f $(QMP_SOCK)
	@echo "QEMU is paused, waiting for GDB on localhost:$(GDB_PORT); COM1 -> com1.out. In another terminal, here:"
	@echo "    gdb -x gdb/kernel.gdb -ex 'target remote localhost:$(GDB_PORT)' $(GDB_KERNEL)"
	@echo "Keys: keypress a in GDB (it continues and types); or, while the guest runs, sendkey a at the"
	@echo "(qemu) prompt below, or in the QEMU window if one opened. Quit QEMU: quit at the (qemu) prompt."
	$(QEMU) $(QEMU_BASE) $(GDB_DISPLAY) -monitor stdio -qmp unix:$(QMP_SOCK),server=on,wait=off \
		-kernel $(GDB_KERNEL) -append "$(ARGS)" $(INITRD_OPT) -gdb tcp::$(GDB_PORT) -S

# One terminal: GDB starts QEMU itself, paused, through a pipe (-gdb stdio),
# so no port is needed and QEMU ends when GDB does. gdb/kernel.gdb brings
# the settings and the commands vbreak, trapframe, idt-gate, pic-state and
# keypress.
gdb: $(GDB_BUILD) setup-qemu setup-gdb $(INITRD_BUILT)
	@rm -f $(QMP_SOCK)
	@echo "GDB runs QEMU, paused at the reset vector, on $(GDB_KERNEL); COM1 -> com1.out."
	@echo "Keys: keypress a (continues and types); quit ends GDB and QEMU. README: Debugging with GDB."
	gdb -q -x gdb/kernel.gdb \
		-ex 'target remote | exec $(QEMU) $(QEMU_BASE) $(GDB_DISPLAY) -qmp unix:$(QMP_SOCK),server=on,wait=off -gdb stdio -S -kernel $(GDB_KERNEL) -append "$(ARGS)" $(INITRD_OPT)' \
		$(GDB_KERNEL)

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

test: kernel iso user-programs setup-qemu setup-bochs setup-gdb setup-net
	python3 tests/run.py

clean:
	cargo clean
	rm -rf build com1.out

# make bench: the interrupt-path benchmark (src/bench/measure.rs) in QEMU/TCG,
# headless. The table goes to the terminal, all of COM1 to com1.out.
# BENCH=N sets the iterations per batch (BENCH=quick for a smoke run).
BENCH ?= 40000

BENCH_QEMU = $(QEMU) -accel $(ACCEL) -m 32M -no-reboot -display none -serial file:com1.out \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel $(KERNEL)
# Prints the results part of com1.out; fails unless QEMU exited with the
# kernel's "done" status.
BENCH_REPORT = sed -n '/^== bench results/,$$p' com1.out; \
	done=$$(python3 tests/facts.py EXIT_PASSED); \
	if [ $$status -ne $$done ]; then echo "make $@: QEMU exited with status $$status ($$done = done); see com1.out"; tail -5 com1.out; exit 1; fi

bench: kernel setup-qemu
	@rm -f com1.out
	@status=0; timeout 600 $(BENCH_QEMU) -append "bench=$(BENCH)" || status=$$?; $(BENCH_REPORT)

# make bench-repeat: make bench RUNS times in a row (5), and how far each
# ratio strays from its median (tests/bench_repeat.py).
RUNS ?= 5
bench-repeat: kernel setup-qemu
	@python3 tests/bench_repeat.py $(RUNS) $(BENCH)

# make bench-icount: the same rows under -icount shift=0, where the TSC
# counts executed instructions: the table is exact and machine-independent.
bench-icount: kernel setup-qemu
	@rm -f com1.out
	@status=0; timeout 600 $(BENCH_QEMU) -icount shift=0,sleep=off -append "bench=icount" || status=$$?; $(BENCH_REPORT)

# The labs (labs/README.md). make grade boots the kernel in QEMU for each
# check of lab LAB (every lab when empty); lab 1 boots the GRUB image too,
# and lab 9 fetches pages with curl (setup-net).
LAB  ?=
JSON ?=
DEST ?=
DIR  ?=

grade: iso user-programs setup-qemu setup-net
	python3 labs/grade.py $(LAB) $(if $(JSON),--json $(JSON))

handout:
	@if [ -z "$(LAB)" ] || [ -z "$(DEST)" ]; then echo "make handout: say which lab and where: make handout LAB=3 DEST=../lab3"; exit 2; fi
	python3 labs/handout.py $(LAB) $(DEST)

grade-class:
	@if [ -z "$(DIR)" ]; then echo "make grade-class: name the folder of student trees: make grade-class DIR=submissions"; exit 2; fi
	python3 labs/grade.py --class $(DIR) $(if $(LAB),--lab $(LAB))
