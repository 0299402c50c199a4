/*
 * udpecho: a UDP echo server, an ordinary C program built the ordinary
 * way and run unchanged on Linux and on irqkernel:
 *
 *     gcc -m32 -static -o build/udpecho tests/user/udpecho.c
 *     build/udpecho [PORT]           (PORT: 5555 unless given)
 *     make run INITRD="build/udpecho"
 *
 * It sends every datagram it receives back to its sender, byte for byte.
 * The default port is above 1024, so it binds on a Linux host without
 * root (the host test, tests/net_host_check.py, runs it there as the
 * oracle). It prints one line when it listens:
 *
 *     udpecho: listening on udp port 5555
 *
 * and, when a datagram is exactly the 4 bytes "quit", answers it with
 * its count line instead of an echo, prints that line and exits 0, so a
 * test (on the host or through QEMU's hostfwd) can end it and check the
 * count:
 *
 *     udpecho: 1000 datagrams echoed (738210 bytes), quitting
 *
 * Every call blocks: the process sleeps in recvfrom until a datagram
 * comes, which on irqkernel means until the NIC's interrupt wakes it.
 * The receive buffer holds the largest UDP datagram (65507 bytes), so
 * nothing is cut. Errors are printed with their errno's name, the way
 * the kernel's answers are checked against Linux's:
 *
 *     udpecho: bind: Address already in use (EADDRINUSE)
 *
 * The Linux i386 system calls it makes, in order, from strace -n on
 * Debian's glibc 2.36. Every socket call is socketcall (102) with its
 * subcall in EBX and its arguments in an array at ECX; a glibc built
 * for Linux >= 4.3 would make the direct calls 359-373 instead (bind
 * 361, sendto 369, recvfrom 371, socket 359):
 *   start-up (glibc, before main): brk(0), brk, set_thread_area,
 *     set_tid_address, set_robust_list, rseq, ugetrlimit(RLIMIT_STACK),
 *     readlink("/proc/self/exe"), getrandom(4 bytes, GRND_NONBLOCK),
 *     brk(0), brk, brk, mprotect (RELRO): as every static glibc program
 *   socketcall SOCKET (1)      socket(AF_INET, SOCK_DGRAM, 0) = 3
 *   socketcall BIND (2)        bind(3, {AF_INET, PORT, 0.0.0.0}, 16)
 *   statx(1, "", AT_EMPTY_PATH, STATX_BASIC_STATS) (383; fstat64, 197,
 *     if statx is -ENOSYS): stdio sizes stdout's buffer before its first
 *     write. If stdout is a character device, glibc then asks
 *     ioctl(1, TCGETS) (54) whether it is a terminal, except on a Linux
 *     pty (majors 136-143, known to be terminals): statx and ioctl on
 *     the kernel's console (5:1) or /dev/null; statx alone on a pipe, a
 *     file or a pty. Either answer is fine: stdout is line-buffered
 *     already (setvbuf, which is no system call)
 *   write(1)                   the listening line
 *   then per datagram:
 *     socketcall RECVFROM (12) recvfrom(3, buf, 65536, 0, &from, &16)
 *     socketcall SENDTO (11)   sendto(3, buf, n, 0, &from, 16)
 *   on "quit":
 *     write(1)                 the count line
 *     socketcall SENDTO (11)   the count line, to quit's sender
 *     close(3), exit_group(0)
 * On an error: one write(2, ...) of the message (stderr is unbuffered;
 * strerror and strerrorname_np make no system call), then exit_group(1).
 */
#define _GNU_SOURCE /* strerrorname_np (glibc 2.32+) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netutil.h"

#define DEFAULT_PORT 5555

/* The largest UDP payload over IPv4 (65535 - 20 - 8), and a byte more. */
static char buf[65536];

int main(int argc, char **argv)
{
    PROGRAM = "udpecho";
    int port = DEFAULT_PORT;
    if (argc > 2 || (argc == 2 && (port = parse_port(argv[1])) == 0)) {
        fprintf(stderr, "usage: udpecho [PORT]   (PORT 1-65535, default %d)\n", DEFAULT_PORT);
        return 2;
    }
    /* One write per line whether stdout is a terminal or a pipe, so a
       test reading the pipe sees the listening line at once. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        fail("socket");
    bind_any(fd, port);
    printf("udpecho: listening on udp port %d\n", port);

    unsigned long datagrams = 0, bytes = 0;
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
        if (n < 0)
            fail("recvfrom");
        if (n == 4 && memcmp(buf, "quit", 4) == 0) {
            int len = snprintf(buf, sizeof buf, "udpecho: %lu datagrams echoed (%lu bytes), quitting\n",
                               datagrams, bytes);
            fputs(buf, stdout);
            /* The sender learns the count too (it may be a test on the
               other side of QEMU's hostfwd, which cannot see stdout). */
            if (sendto(fd, buf, len, 0, (struct sockaddr *)&from, fromlen) < 0)
                fail("sendto");
            break;
        }
        if (sendto(fd, buf, n, 0, (struct sockaddr *)&from, fromlen) < 0)
            fail("sendto");
        datagrams++;
        bytes += n;
    }
    close(fd);
    return 0;
}
