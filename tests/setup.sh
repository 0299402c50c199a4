#!/usr/bin/env bash
# Installs what the Makefile's targets need, and says what it installs.
#   tests/setup.sh rust    the pinned nightly from rust-toolchain.toml, with rust-src,
#                          clippy and rustfmt (make test's lint stage)
#   tests/setup.sh qemu    qemu-system-i386 (Debian package qemu-system-x86)
#   tests/setup.sh grub    grub-mkrescue and what it needs for a BIOS CD image
#   tests/setup.sh user    NASM, GNU ld, gcc and gcc-multilib (gcc -m32 -static and
#                          glibc's i386 libraries) for the user programs that make builds
#   tests/setup.sh bochs   Bochs with its BIOS, VGA BIOS, the term display, tmux
#                          (the tests drive Bochs through it) and python3 (boot/bochs.py)
#   tests/setup.sh gdb     GDB (Debian package gdb, with its Python: gdb/kernel.py) and
#                          python3 (gdb/qmp_keys.py), for make gdb and make test's gdb stage
#   tests/setup.sh net     curl and python3: the host-side clients of the network programs
#                          (tests/netpeers.py; make net-host-check)
# Each part checks first and does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

apt_updated=0
apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root or sudo to install Debian packages: $*"
        sudo="sudo"
    fi
    command -v apt-get >/dev/null || die "no apt-get: install these packages by hand: $*"
    say "installing Debian packages: $*"
    if [ $apt_updated -eq 0 ]; then
        $sudo apt-get update -qq >&2 || die "apt-get update failed"
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2 \
        || die "apt-get install $* failed"
}

# Packages whose file $2 is missing (dpkg -s would also work, but files are
# what the build needs).
need() {
    local missing=()
    while [ $# -ge 2 ]; do
        [ -e "$2" ] || command -v "$2" >/dev/null 2>&1 || missing+=("$1")
        shift 2
    done
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

setup_rust() {
    command -v rustup >/dev/null || die "rustup not found: install it from rustup.rs, then run make again"
    local toolchain
    toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
    if ! rustup toolchain list | grep -q "^$toolchain"; then
        say "installing Rust toolchain $toolchain with rust-src, clippy and rustfmt (pinned in rust-toolchain.toml)"
        rustup toolchain install --no-self-update "$toolchain" --profile minimal \
            -c rust-src -c llvm-tools -c clippy -c rustfmt >&2
    fi
    local installed
    installed=$(rustup component list --toolchain "$toolchain" --installed)
    for component in rust-src clippy rustfmt; do
        if ! grep -q "^$component" <<<"$installed"; then
            say "adding $component to $toolchain (rust-src: for -Zbuild-std; clippy, rustfmt: for make lint)"
            rustup component add "$component" --toolchain "$toolchain" >&2
        fi
    done
}

setup_qemu() {
    need qemu-system-x86 qemu-system-i386 python3 python3
}

setup_grub() {
    need grub-pc-bin /usr/lib/grub/i386-pc/multiboot.mod \
         grub-common grub-mkrescue \
         xorriso xorriso \
         mtools mformat
}

setup_bochs() {
    need bochs bochs \
         bochsbios /usr/share/bochs/BIOS-bochs-latest \
         vgabios /usr/share/vgabios/vgabios.bin \
         bochs-term /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so.0.0.0 \
         tmux tmux \
         python3 python3
}

setup_gdb() {
    need gdb gdb \
         python3 python3
    gdb -nx -batch -ex 'python import gdb' >/dev/null 2>&1 \
        || die "this gdb has no Python: gdb/kernel.py needs it (Debian's gdb package has it)"
}

setup_user() {
    # gcc-multilib: gcc -m32 (the test programs in tests/user/ are built
    # the ordinary Linux i386 way, and also run on this host as the oracle).
    need nasm nasm \
         binutils ld \
         gcc gcc
    if ! echo 'int main(void) { return 0; }' | gcc -m32 -static -x c -o /dev/null - 2>/dev/null; then
        say "gcc -m32 -static cannot link a C program: gcc-multilib brings the i386 glibc it needs"
        apt_install gcc-multilib
    fi
}

setup_net() {
    # curl: the HTTP client a user types, which the tests run against
    # httpd (50 fetches, then 3 at once); python3 runs the rest.
    need curl curl \
         python3 python3
}

[ $# -gt 0 ] || die "usage: $0 rust|qemu|grub|bochs|user|gdb|net ..."
for part in "$@"; do
    case "$part" in
        rust) setup_rust ;;
        qemu) setup_qemu ;;
        grub) setup_grub ;;
        bochs) setup_bochs ;;
        user) setup_user ;;
        gdb) setup_gdb ;;
        net) setup_net ;;
        *) die "unknown part '$part' (rust, qemu, grub, bochs, user, gdb, net)" ;;
    esac
done
