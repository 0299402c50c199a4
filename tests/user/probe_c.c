/*
 * probe_c: glibc's terminal, time and sleep functions, each asked once,
 * from an ordinary static program:
 *
 *     gcc -m32 -static -o build/probe_c tests/user/probe_c.c
 *
 * Every line it prints is a fact that holds on Linux when stdout is a
 * terminal, so the same binary prints the same on Linux (in a pty) and
 * on irqkernel (the console): the linux test stage compares the two. It
 * prints no value that differs between machines (the screen's size, the
 * time itself): only whether each call worked. The sleeps are measured
 * with CLOCK_MONOTONIC and only checked to last at least what was asked,
 * which any correct kernel guarantees, however slow the machine.
 *
 * What each line exercises underneath (Linux i386 system calls):
 *   writev          writev (146)
 *   isatty, ioctl   ioctl TCGETS and TIOCGWINSZ (54)
 *   fstat           statx (383), or fstat64 (197) when statx is -ENOSYS
 *   time            clock_gettime64 (403) or clock_gettime (265) on
 *                   CLOCK_REALTIME_COARSE: glibc's time() without a vDSO
 *   clock           clock_gettime64 (403) on CLOCK_PROCESS_CPUTIME_ID
 *   usleep, sleep   clock_nanosleep (267) on CLOCK_REALTIME
 *   clock_nanosleep the same with TIMER_ABSTIME on CLOCK_MONOTONIC
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* 2020-01-01 00:00:00 UTC: a real clock is past it. */
#define YEAR_2020 1577836800L

static const char *yes(int ok)
{
    return ok ? "yes" : "no";
}

/* Nanoseconds on CLOCK_MONOTONIC (0 if the clock fails: a "no" below). */
static long long monotonic_ns(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        return 0;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
    /* One line in three pieces; stdout's buffer is empty before it. */
    fflush(stdout);
    struct iovec iov[3] = {
        {"writev: three ", 14}, {"buffers, ", 9}, {"one line\n", 9},
    };
    ssize_t written = writev(1, iov, 3);
    printf("writev returned %zd\n", written);

    printf("isatty(1): %s\n", yes(isatty(1)));
    struct winsize size;
    printf("ioctl(1, TIOCGWINSZ) succeeds: %s\n", yes(ioctl(1, TIOCGWINSZ, &size) == 0));
    struct stat st;
    int stat_ok = fstat(1, &st) == 0;
    printf("fstat(1) succeeds: %s, S_ISCHR: %s\n", yes(stat_ok), yes(stat_ok && S_ISCHR(st.st_mode)));

    time_t now = time(NULL);
    printf("time(NULL) != -1: %s, after 2020: %s\n", yes(now != (time_t)-1), yes(now > YEAR_2020));
    struct timespec real;
    int real_ok = clock_gettime(CLOCK_REALTIME, &real) == 0;
    long apart = real.tv_sec - now;
    printf("time(NULL) within 2 s of CLOCK_REALTIME: %s\n", yes(real_ok && apart >= 0 && apart <= 2));
    struct timespec coarse;
    printf("clock_gettime(CLOCK_MONOTONIC_COARSE) succeeds: %s\n",
           yes(clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse) == 0));
    /* The classic seeding, which a failing time() quietly spoils: every
       run would get the same seed and the same "random" numbers. */
    srand((unsigned)time(NULL));
    int r = rand();
    printf("srand(time(NULL)), then rand() in [0, RAND_MAX]: %s\n", yes(r >= 0 && r <= RAND_MAX));

    /* clock(): the CPU time used, which a busy loop uses up (0.3 s of
       it by the monotonic clock: 30 ticks at the kernel's 100 Hz). */
    clock_t used = clock();
    long long start = monotonic_ns();
    volatile unsigned long spins = 0;
    while (monotonic_ns() - start < 300000000LL)
        spins++;
    clock_t used_after = clock();
    printf("clock() != -1: %s, grew over 0.3 s of busy loop: %s\n",
           yes(used != (clock_t)-1 && used_after != (clock_t)-1), yes(used_after > used));

    start = monotonic_ns();
    usleep(200000);
    printf("usleep(200000) slept at least 0.2 s: %s\n", yes(monotonic_ns() - start >= 200000000LL));
    start = monotonic_ns();
    unsigned left = sleep(1);
    printf("sleep(1) returned %u, slept at least 1 s: %s\n", left,
           yes(monotonic_ns() - start >= 1000000000LL));

    /* Until an absolute time, 0.1 s from now. */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 100000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
    }
    int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    long long woke = monotonic_ns();
    printf("clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) returned %d, woke at or after it: %s\n",
           err, yes(woke >= until.tv_sec * 1000000000LL + until.tv_nsec));
    /* A time already past: back at once, with 0. */
    printf("an absolute time in the past returns %d\n",
           clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &(struct timespec){1, 0}, NULL));
    return 0;
}
