/* getrandom: draws random bytes as glibc's start-up does, and checks
 * them: the buffer is filled, two draws differ, about half the bits are
 * set; bad flags and a bad buffer get Linux's errnos. The same output on
 * Linux and on irqkernel (with or without RDRAND). */
#include "linux.h"

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

static unsigned char a[4096], b[4096];

static long getrandom(void *buf, unsigned long len, unsigned int flags)
{
    return syscall3(SYS_getrandom, (long)buf, len, flags);
}

int main(int argc, char **argv)
{
    say("getrandom(4096): ", getrandom(a, sizeof a, GRND_NONBLOCK));
    say("getrandom(4096) again: ", getrandom(b, sizeof b, 0));
    unsigned long same = 0, ones = 0;
    for (unsigned long i = 0; i < sizeof a; i++) {
        same += a[i] == b[i];
        for (unsigned char x = a[i]; x; x >>= 1)
            ones += x & 1;
    }
    /* Two random draws agree on about 16 bytes in 4096. */
    say("the two draws differ: ", same < 64);
    say("about half the bits set (48-52%): ", ones * 100 >= 48 * 8 * sizeof a && ones * 100 <= 52 * 8 * sizeof a);
    say("3 bytes: ", getrandom(a, 3, GRND_INSECURE));
    say("unknown flags: ", getrandom(a, 4, 8));
    say("GRND_RANDOM with GRND_INSECURE: ", getrandom(a, 4, GRND_RANDOM | GRND_INSECURE));
    say("a null buffer: ", getrandom(0, 4, 0));
    return 0;
}
