#!/usr/bin/env bash
# boot/mkiso.sh ISO [ENTRY [TOKEN]]
# Builds a GRUB CD image (BIOS boot, El Torito) holding build/kernel.elf,
# the example user programs (build/hello.bin, build/user/count,
# build/hello_c, build/args_c, those that are built) and boot/grub.cfg.
# ENTRY, the --id of a menu entry in boot/grub.cfg (`boot/mkiso.sh --list`
# prints them all), becomes the one GRUB boots; without it, the first.
# TOKEN becomes GRUB's variable net_token: the word the `net` entry's
# httpd puts in its page (a test picks one at run time).
# `make iso` runs this for build/os.iso; tests/emulators.py for its variant.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "mkiso: error: $*" >&2; exit 1; }

# The menu entries' ids, read from boot/grub.cfg: the only list of them.
ids=$(sed -n 's/^menuentry .*--id \([A-Za-z0-9_-]*\).*/\1/p' boot/grub.cfg | tr "\n" " " | sed "s/ $//")
if [ "${1:-}" = --list ]; then echo "$ids"; exit 0; fi

[ $# -ge 1 ] && [ $# -le 3 ] || die "usage: $0 ISO [ENTRY [TOKEN]] | $0 --list"
iso=$1
entry=${2:-}
token=${3:-}
kernel=build/kernel.elf

[ -f "$kernel" ] || die "$kernel is missing: run make"
grub-file --is-x86-multiboot "$kernel" || die "$kernel has no Multiboot v1 header GRUB accepts"
case $token in *[!A-Za-z0-9_.-]*) die "TOKEN '$token': letters, digits, _ . - only";; esac
if [ -n "$entry" ] && ! grep -qw -- "$entry" <<<"$ids"; then
    die "no menu entry '$entry' in boot/grub.cfg; entries: $ids"
fi

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/boot/grub" "$(dirname "$iso")"
cp "$kernel" "$tree/boot/kernel.elf"
# The user programs the menu entries load as modules (hello, two, output, linux).
if [ -f build/hello.bin ]; then cp build/hello.bin "$tree/boot/hello.bin"; fi
for program in count spew; do
    if [ -f "build/user/$program" ]; then cp "build/user/$program" "$tree/boot/$program"; fi
done
for program in hello_c args_c httpd udpecho; do
    if [ -f "build/$program" ]; then cp "build/$program" "$tree/boot/$program"; fi
done
{
    if [ -n "$entry" ]; then echo "set default=$entry"; fi
    if [ -n "$token" ]; then echo "set net_token=$token"; echo "export net_token"; fi
    cat boot/grub.cfg
} >"$tree/boot/grub/grub.cfg"

# grub-mkrescue (through xorriso) is chatty; show its output only on
# failure. The log lives outside the tree being packed: xorriso fails
# now and then when a file in its tree grows while it reads it.
log=$(mktemp)
trap 'rm -rf "$tree" "$log"' EXIT
if ! grub-mkrescue -o "$iso" "$tree" >"$log" 2>&1; then
    cat "$log" >&2
    die "grub-mkrescue failed"
fi
echo "mkiso: $iso boots ${entry:-the first entry of boot/grub.cfg}"
