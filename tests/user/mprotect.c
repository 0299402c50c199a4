/* mprotect: what glibc's start-up does to its RELRO pages, tried on a
 * page of its own. Read-only: the kernel's copies into it fail (-EFAULT)
 * but reads work; PROT_NONE: even reading it through write() fails;
 * read-write again: all works. Bad requests get Linux's errnos. Last, it
 * writes to the page made read-only, and must die of a page fault (on
 * Linux, SIGSEGV): the protection is in the page tables, not only in the
 * system calls. */
#include "linux.h"

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2

static char page[4096] __attribute__((aligned(4096))) = "page\n";

static long mprotect(void *start, unsigned long len, int prot)
{
    return syscall3(SYS_mprotect, (long)start, len, prot);
}

int main(int argc, char **argv)
{
    say("read-only: ", mprotect(page, sizeof page, PROT_READ));
    say("  getrandom into it: ", syscall3(SYS_getrandom, (long)page, 4, 0));
    say("  write() from it: ", write(1, page, 5));
    say("no access: ", mprotect(page, 1, PROT_NONE));
    say("  write() from it: ", write(1, page, 5));
    say("read-write: ", mprotect(page, 4096, PROT_READ | PROT_WRITE));
    page[0] = 'P';
    say("  write() from it: ", write(1, page, 5));
    say("unaligned: ", mprotect(page + 1, 1, PROT_READ));
    say("unknown bits: ", mprotect(page, 1, 0x10));
    say("a range with an unmapped page: ", mprotect(page, 1 << 30, PROT_READ));
    say("kernel space: ", mprotect((void *)0xc0000000, 4096, PROT_READ));
    say("length 0: ", mprotect(page, 0, PROT_READ));
    say("read-only again: ", mprotect(page, sizeof page, PROT_READ));
    puts_raw("writing to it now\n");
    page[0] = 'x';
    puts_raw("the write went through\n");
    return 1;
}
