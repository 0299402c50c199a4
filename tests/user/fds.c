/* fds: the file-descriptor table from a program's side. close, dup,
 * dup2, and fcntl (55) and fcntl64 (221, glibc's) with F_GETFD, F_SETFD,
 * F_GETFL, F_SETFL and F_DUPFD; a dup shares its open file's status
 * flags (O_NONBLOCK) but not its close-on-exec flag; a read with
 * O_NONBLOCK and nothing typed is -EAGAIN; every call that takes a
 * descriptor refuses a closed one with -EBADF.
 *
 * Every line is a fact that holds on Linux when stdin, stdout and stderr
 * are a terminal, so the same binary prints the same on Linux in a pty
 * and on irqkernel's console (the linux test stage compares the two). It
 * prints no access mode of the descriptors it was given, which depends
 * on how the terminal was opened for it, only what its own calls make;
 * and it stays below descriptor 32, the kernel's table (Linux allows
 * 1024 or more). */
#include "linux.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define O_NONBLOCK 04000
#define TCGETS 0x5401
#define AT_EMPTY_PATH 0x1000
#define S_IFMT 0170000
#define S_IFCHR 0020000

static long syscall5(long n, long a, long b, long c, long d, long e)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
    return r;
}

static long fcntl(long fd, long command, long argument)
{
    return syscall3(SYS_fcntl, fd, command, argument);
}

static long fcntl64(long fd, long command, long argument)
{
    return syscall3(SYS_fcntl64, fd, command, argument);
}

static long dup(long fd)
{
    return syscall3(SYS_dup, fd, 0, 0);
}

static long dup2(long fd, long to)
{
    return syscall3(SYS_dup2, fd, to, 0);
}

static long close(long fd)
{
    return syscall3(SYS_close, fd, 0, 0);
}

static void write_to(long fd, const char *s)
{
    write(fd, s, string_length(s));
}

/* struct stat64 of i386 (asm/stat.h): st_mode at byte 16, 96 bytes. */
static unsigned char stat64[96];
/* struct statx: 256 bytes. */
static unsigned char statx[256];
static unsigned char termios[60];

int main(int argc, char **argv)
{
    puts_raw("fds: dup and close-on-exec\n");
    say("fcntl64(1, F_GETFD): ", fcntl64(1, F_GETFD, 0));
    long d = dup(1);
    say("dup(1), the lowest free descriptor: ", d);
    write_to(d, "  a line written through it\n");
    say("  same status flags as 1: ", fcntl64(d, F_GETFL, 0) == fcntl64(1, F_GETFL, 0));
    say("fcntl64(3, F_SETFD, FD_CLOEXEC): ", fcntl64(d, F_SETFD, FD_CLOEXEC));
    say("  F_GETFD on 3: ", fcntl64(d, F_GETFD, 0));
    say("  F_GETFD on 1, its own flag: ", fcntl64(1, F_GETFD, 0));

    puts_raw("fds: status flags belong to the open file\n");
    long flags = fcntl64(d, F_GETFL, 0);
    say("  O_NONBLOCK before: ", (flags & O_NONBLOCK) != 0);
    say("fcntl64(3, F_SETFL, flags | O_NONBLOCK): ", fcntl64(d, F_SETFL, flags | O_NONBLOCK));
    long shared = fcntl64(1, F_GETFL, 0);
    say("  fcntl64(3, F_SETFL, flags) again: ", fcntl64(d, F_SETFL, flags));
    say("  1 saw O_NONBLOCK set through 3: ", (shared & O_NONBLOCK) != 0);
    say("  and cleared: ", (fcntl64(1, F_GETFL, 0) & O_NONBLOCK) == 0);

    /* A copy of stdin, non-blocking for a moment: nothing is typed. */
    long in = dup(0);
    long in_flags = fcntl(in, F_GETFL, 0);
    fcntl(in, F_SETFL, in_flags | O_NONBLOCK);
    char c;
    long got = read(in, &c, 1);
    fcntl(in, F_SETFL, in_flags);
    say("read with O_NONBLOCK, nothing typed (-EAGAIN): ", got);

    puts_raw("fds: a closed descriptor\n");
    say("close(3): ", close(d));
    say("close(3) again: ", close(d));
    say("write(3): ", write(d, "x", 1));
    say("read(3): ", read(d, &c, 1));
    say("fcntl(3, F_GETFD): ", fcntl(d, F_GETFD, 0));
    say("dup(3): ", dup(d));
    say("ioctl(3, TCGETS): ", syscall3(SYS_ioctl, d, TCGETS, (long)termios));
    say("lseek(3): ", syscall3(SYS_lseek, d, 0, 1));
    say("fstat64(3): ", syscall3(SYS_fstat64, d, (long)stat64, 0));
    say("statx(3, \"\", AT_EMPTY_PATH): ", syscall5(SYS_statx, d, (long)"", AT_EMPTY_PATH, 0x7ff, (long)statx));
    say("writev(3): ", syscall3(SYS_writev, d, 0, 0));

    puts_raw("fds: dup2\n");
    say("dup2(1, 10): ", dup2(1, 10));
    write_to(10, "  a line written through 10\n");
    fcntl(10, F_SETFD, FD_CLOEXEC);
    say("dup2(10, 10): ", dup2(10, 10));
    say("  F_GETFD on 10, unchanged: ", fcntl(10, F_GETFD, 0));
    say("dup2(1, 10) again: ", dup2(1, 10));
    say("  F_GETFD on 10, replaced: ", fcntl(10, F_GETFD, 0));
    say("dup2(3, 11), 3 closed: ", dup2(d, 11));
    say("dup2(3, 3), 3 closed: ", dup2(d, d));

    puts_raw("fds: F_DUPFD\n");
    say("fcntl(1, F_DUPFD, 20): ", fcntl(1, F_DUPFD, 20));
    say("fcntl(1, F_DUPFD, 20) again: ", fcntl(1, F_DUPFD, 20));
    say("fcntl64(1, F_DUPFD_CLOEXEC, 0): ", fcntl64(1, F_DUPFD_CLOEXEC, 0));
    say("  F_GETFD on 3: ", fcntl64(3, F_GETFD, 0));
    say("fcntl(1, 999), no such command: ", fcntl(1, 999, 0));
    say("fcntl(3, 999) after close(3): ", (close(3), fcntl(3, 999, 0)));

    puts_raw("fds: the console through a copy\n");
    say("ioctl(20, TCGETS): ", syscall3(SYS_ioctl, 20, TCGETS, (long)termios));
    say("fstat64(20): ", syscall3(SYS_fstat64, 20, (long)stat64, 0));
    say("  a character device: ", (*(unsigned int *)(stat64 + 16) & S_IFMT) == S_IFCHR);
    say("lseek(20): ", syscall3(SYS_lseek, 20, 0, 1));

    puts_raw("fds: the lowest free descriptor\n");
    long saved = dup(0);
    say("dup(0): ", saved);
    say("close(0): ", close(0));
    say("dup(1), after close(0): ", dup(1));
    say("dup2(saved, 0): ", dup2(saved, 0));
    say("close(saved): ", close(saved));
    return 0;
}
