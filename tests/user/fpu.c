/* fpu: the FPU and SSE registers belong to each process. It puts its
 * number (argv[1]) into an x87 register and an SSE register, computes
 * for 500 ms while another copy does the same with another number, and
 * checks, again and again, that both registers still hold its own. A
 * kernel that did not save and restore them at every switch would hand
 * one program the other's values. */
#include "linux.h"

static unsigned long parse(const char *s)
{
    unsigned long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}

int main(int argc, char **argv)
{
    unsigned int mine = argc > 1 ? parse(argv[1]) : 7, x87, sse;
    /* st(0) = mine (as an integer), xmm0's low word = mine. */
    __asm__ volatile("fninit\n\tfildl %0\n\tmovd %0, %%xmm0" : : "m"(mine));
    unsigned long end = monotonic_ms() + 500, rounds = 0, bad = 0;
    while (monotonic_ms() < end) {
        for (int i = 0; i < 1000; i++, rounds++) {
            /* fistl stores st(0) without popping it. */
            __asm__ volatile("fistl %0\n\tmovd %%xmm0, %1" : "=m"(x87), "=r"(sse));
            if (x87 != mine || sse != mine)
                bad++;
        }
    }
    /* One write: the line stays whole among the other programs' output. */
    char line[64] = "fpu ";
    char *p = line + 4;
    p += format_number(p, mine);
    for (const char *s = bad ? ": registers changed under me\n" : ": x87 and SSE registers kept\n";
         *s;)
        *p++ = *s++;
    write(1, line, p - line);
    return bad != 0;
}
