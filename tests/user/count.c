/* count NAME N MS: prints "NAME i" for i = 1..N, computing MS milliseconds
 * before each line without giving the CPU up. Two of them at once show
 * whether the scheduler preempts: under round robin their lines
 * interleave, under sched=coop one finishes before the other starts. */
#include "linux.h"

static unsigned long number(const char *s)
{
    unsigned long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "count";
    unsigned long lines = argc > 2 ? number(argv[2]) : 5;
    unsigned long ms = argc > 3 ? number(argv[3]) : 40;
    for (unsigned long i = 1; i <= lines; i++) {
        busy_ms(ms);
        puts_raw(name);
        puts_raw(" ");
        put_number(i);
        puts_raw("\n");
    }
    return 0;
}
