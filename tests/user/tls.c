/* tls: thread-local storage through set_thread_area, as glibc sets it up
 * (tests the kernel's GDT slots; README: Linux programs). It asks for a
 * segment at its own block, loads the selector into GS, and checks that
 * GS:0 reads the block: at once, while other programs take the CPU from
 * it, after it moves the segment, and after it clears it. Then every bad
 * request must get its errno. Prints only what Linux prints too (the
 * entry numbers differ: 6-8 on i386, 12-14 under x86-64's IA32
 * emulation), so the host's run is the oracle, in one write at the end. */
#include "linux.h"

struct user_desc {
    unsigned int entry_number;
    unsigned int base_addr;
    unsigned int limit;
    unsigned int flags; /* seg_32bit:1 contents:2 read_exec_only:1
                           limit_in_pages:1 seg_not_present:1 useable:1 */
};

#define SEG_32BIT 0x01
#define CODE (2 << 1)
#define LIMIT_IN_PAGES 0x10
#define SEG_NOT_PRESENT 0x20
#define USEABLE 0x40
#define EMPTY 0x28 /* read_exec_only | seg_not_present: "no segment" */

static unsigned int block[4] = {0x11111111, 0x22222222};
static unsigned int moved[4] = {0x33333333};

static long set_thread_area(struct user_desc *d)
{
    return syscall3(SYS_set_thread_area, (long)d, 0, 0);
}

static struct user_desc segment(unsigned int entry, unsigned int *base, unsigned int flags)
{
    struct user_desc d = {entry, (unsigned int)base, 0xfffff, flags};
    return d;
}

static unsigned int gs_word(int offset)
{
    unsigned int v;
    __asm__ volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(offset) : "memory");
    return v;
}

static unsigned int gs(void)
{
    unsigned int v;
    __asm__ volatile("movl %%gs, %0" : "=r"(v));
    return v & 0xffff;
}

/* The report, written with one write() at the end, so that it comes out
 * in one piece however the other programs' output falls around it. */
static char report[1024];
static unsigned long used;

static void append(const char *s)
{
    while (*s && used < sizeof report)
        report[used++] = *s++;
}

/* Like linux.h's `say`, into the report. */
static void record(const char *what, long value)
{
    char digits[14];
    digits[format_signed(digits, value)] = 0;
    append(what);
    append(digits);
    append("\n");
}

int main(int argc, char **argv)
{
    struct user_desc d = segment(-1, block, SEG_32BIT | LIMIT_IN_PAGES | USEABLE);
    record("set_thread_area(entry -1): ", set_thread_area(&d));
    unsigned int entry = d.entry_number, selector = entry * 8 + 3;
    __asm__ volatile("movl %0, %%gs" : : "r"(selector));
    record("gs:0 reads the block: ", gs_word(0) == block[0]);

    /* Computes for 600 ms, while the other programs run between its
     * quanta, checking GS all along; writes through GS too. */
    unsigned long end = monotonic_ms() + 600, checks = 0, bad = 0;
    while (monotonic_ms() < end) {
        for (int i = 0; i < 1000; i++, checks++) {
            __asm__ volatile("movl %0, %%gs:4" : : "r"((unsigned int)checks) : "memory");
            if (gs() != selector || gs_word(0) != block[0] || block[1] != (unsigned int)checks)
                bad++;
        }
    }
    record("checks that failed while others ran: ", bad);

    /* Moving the segment takes effect at once: GS is reloaded. */
    d = segment(entry, moved, SEG_32BIT | LIMIT_IN_PAGES | USEABLE);
    record("moved in place: ", set_thread_area(&d));
    record("gs:0 reads the new block: ", gs_word(0) == moved[0]);
    /* Clearing the slot GS uses leaves GS null, not a stale segment. */
    d = segment(entry, 0, EMPTY);
    d.limit = 0;
    record("cleared: ", set_thread_area(&d));
    record("gs is now null: ", gs() == 0);

    /* Bad requests. */
    d = segment(entry - 1, block, SEG_32BIT);
    record("entry below the TLS slots: ", set_thread_area(&d));
    d = segment(entry + 3, block, SEG_32BIT);
    record("entry above the TLS slots: ", set_thread_area(&d));
    d = segment(-1, block, SEG_32BIT | CODE);
    record("a code segment: ", set_thread_area(&d));
    d = segment(-1, block, SEG_32BIT | SEG_NOT_PRESENT);
    record("a segment not present: ", set_thread_area(&d));
    d = segment(-1, block, LIMIT_IN_PAGES);
    record("a 16-bit segment: ", set_thread_area(&d));
    record("a null pointer: ", set_thread_area(0));
    for (int i = 0; i < 3; i++) {
        d = segment(-1, block, SEG_32BIT);
        record("another slot: ", set_thread_area(&d));
    }
    d = segment(-1, block, SEG_32BIT);
    record("a fourth slot: ", set_thread_area(&d));
    write(1, report, used);
    return 0;
}
