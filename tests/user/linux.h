/*
 * linux.h: the little a freestanding Linux i386 program needs, for the
 * test programs in this folder. They are built the ordinary way
 * (gcc -m32 -static -nostdlib, see the Makefile) and run unchanged on
 * irqkernel and on Linux: the tests compare the two.
 *
 * System calls go through `int $0x80`, number in EAX, arguments in EBX,
 * ECX, EDX, the result in EAX (a negative errno on failure): the Linux
 * i386 ABI, which src/user/syscall/ implements.
 */
#ifndef LINUX_H
#define LINUX_H

#define SYS_exit 1
#define SYS_read 3
#define SYS_write 4
#define SYS_close 6
#define SYS_lseek 19
#define SYS_getpid 20
#define SYS_dup 41
#define SYS_brk 45
#define SYS_ioctl 54
#define SYS_fcntl 55
#define SYS_dup2 63
#define SYS_mprotect 125
#define SYS_writev 146
#define SYS_sched_yield 158
#define SYS_nanosleep 162
#define SYS_fstat64 197
#define SYS_fcntl64 221
#define SYS_set_thread_area 243
#define SYS_exit_group 252
#define SYS_clock_gettime 265
#define SYS_getrandom 355
#define SYS_statx 383
#define CLOCK_MONOTONIC 1

struct timespec {
    long tv_sec;
    long tv_nsec;
};

static inline long syscall3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static inline void exit(int status)
{
    syscall3(SYS_exit_group, status, 0, 0);
    for (;;) {
    }
}

static inline long write(int fd, const void *buf, unsigned long len)
{
    return syscall3(SYS_write, fd, (long)buf, (long)len);
}

static inline long read(int fd, void *buf, unsigned long len)
{
    return syscall3(SYS_read, fd, (long)buf, (long)len);
}

static inline unsigned long string_length(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static inline void puts_raw(const char *s)
{
    write(1, s, string_length(s));
}

/* Writes `n` in decimal at `out` (at most 11 bytes, no terminator);
 * returns how many bytes. */
static inline unsigned long format_number(char *out, unsigned long n)
{
    char digits[12];
    int i = sizeof digits;
    do {
        digits[--i] = '0' + n % 10;
        n /= 10;
    } while (n);
    for (int k = i; k < (int)sizeof digits; k++)
        out[k - i] = digits[k];
    return sizeof digits - i;
}

/* The same for a signed number: a '-', then the digits (at most 12). */
static inline unsigned long format_signed(char *out, long n)
{
    if (n >= 0)
        return format_number(out, n);
    out[0] = '-';
    return 1 + format_number(out + 1, -(unsigned long)n);
}

/* Prints a non-negative number. */
static inline void put_number(unsigned long n)
{
    char digits[12];
    write(1, digits, format_number(digits, n));
}

/* Prints `what`, then `value` (a system call's result: negative is an
 * errno), then a newline. */
static inline void say(const char *what, long value)
{
    char digits[13];
    puts_raw(what);
    write(1, digits, format_signed(digits, value));
    puts_raw("\n");
}

/* Milliseconds on CLOCK_MONOTONIC. */
static inline unsigned long monotonic_ms(void)
{
    struct timespec t;
    syscall3(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&t, 0);
    return (unsigned long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Computes, without a system call that could give the CPU away, until
 * `ms` milliseconds have passed on the monotonic clock. */
static inline void busy_ms(unsigned long ms)
{
    unsigned long end = monotonic_ms() + ms;
    volatile unsigned long spin = 0;
    while (monotonic_ms() < end)
        for (int i = 0; i < 1000; i++)
            spin++;
}

int main(int argc, char **argv);

/* The entry point: ESP points at argc, then argv[] (System V i386 ABI). */
__asm__(".globl _start\n"
        "_start:\n"
        "    mov %esp, %eax\n"
        "    and $-16, %esp\n"
        "    sub $12, %esp\n"
        "    push %eax\n"
        "    call start_c\n");

__attribute__((used)) static void start_c(long *stack)
{
    exit(main((int)stack[0], (char **)(stack + 1)));
}

#endif
