/* sleep: nanosleep(0.5 s), measured with clock_gettime(CLOCK_MONOTONIC).
 * Prints the milliseconds that passed; exits 1 if nanosleep failed.
 * (`left` is written only if a signal cuts the sleep short.) */
#include "linux.h"

int main(int argc, char **argv)
{
    struct timespec half = {0, 500000000}, left;
    unsigned long before = monotonic_ms();
    long r = syscall3(SYS_nanosleep, (long)&half, (long)&left, 0);
    unsigned long slept = monotonic_ms() - before;
    puts_raw("slept ");
    put_number(slept);
    puts_raw(" ms\n");
    return r != 0;
}
