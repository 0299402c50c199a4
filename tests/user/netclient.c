/*
 * netclient: fetches one page over HTTP/1.0 and prints it; an ordinary
 * C program, run unchanged on Linux and on irqkernel:
 *
 *     gcc -m32 -static -o build/netclient tests/user/netclient.c
 *     build/netclient HOST PORT [PATH]     (PATH: / unless given)
 *     make run INITRD="build/netclient 10.0.2.2 8000 /"
 *
 * HOST is a dotted quad (10.0.2.2 is the host, seen from QEMU's user
 * network): no names, because a static glibc cannot look one up (its
 * getaddrinfo needs NSS modules loaded at run time). It connects, sends
 *
 *     GET PATH HTTP/1.0\r\nHost: HOST:PORT\r\n\r\n
 *
 * reads the answer until the server closes, and prints the body as it
 * came, between a line before and an end line after:
 *
 *     netclient: 10.0.2.15:49152 -> 10.0.2.2:8000: HTTP/1.0 200 OK
 *     ...the body...
 *     netclient: 1234 bytes received, body 1100 bytes
 *
 * The end line starts a line of its own even if the body does not end
 * with one. Exit status: 0 for a 2xx answer; 3 for any other status
 * (the answer is still printed); 2 for a usage error; 1 for an error,
 * printed with its errno's name (or for an answer that is no HTTP, or
 * whose body is not as long as its Content-Length says):
 *
 *     netclient: connect to 10.0.2.2:8000: Connection refused (ECONNREFUSED)
 *
 * It uses write and read on the socket (not send and recv), so the
 * kernel's read and write reach sockets too, as on Linux. Every call
 * blocks: the process sleeps in connect and read until the network
 * wakes it.
 *
 * The Linux i386 system calls it makes, in order, from strace -n on
 * Debian's glibc 2.36. Every socket call is socketcall (102) with its
 * subcall in EBX and its arguments in an array at ECX; a glibc built
 * for Linux >= 4.3 would make the direct calls 359-373 instead (connect
 * 362, getsockname 367, socket 359):
 *   start-up (glibc, before main): brk(0), brk, set_thread_area,
 *     set_tid_address, set_robust_list, rseq, ugetrlimit(RLIMIT_STACK),
 *     readlink("/proc/self/exe"), getrandom(4 bytes, GRND_NONBLOCK),
 *     brk(0), brk, brk, mprotect (RELRO): as every static glibc program
 *   socketcall SOCKET (1)      socket(AF_INET, SOCK_STREAM, 0) = 3
 *   socketcall CONNECT (3)     connect(3, {AF_INET, PORT, HOST}, 16)
 *   socketcall GETSOCKNAME (6) getsockname(3, &local, &16): the address
 *                              and port the connection got
 *   write(3)                   the request
 *   read(3, head, up to 8191)  until the head's blank line
 *   statx(1, "", AT_EMPTY_PATH, STATX_BASIC_STATS) (383; fstat64, 197,
 *     if statx is -ENOSYS): stdio sizes stdout's buffer before its first
 *     write. If stdout is a character device, glibc then asks
 *     ioctl(1, TCGETS) (54) whether it is a terminal, except on a Linux
 *     pty (majors 136-143, known to be terminals): statx and ioctl on
 *     the kernel's console (5:1) or /dev/null; statx alone on a pipe, a
 *     file or a pty. Either answer is fine: stdout is line-buffered
 *     already (setvbuf, which is no system call)
 *   write(1)                   the first line, then the body as stdio
 *                              flushes it (line-buffered)
 *   read(3, buf, 4096)         the rest of the body, until it returns 0
 *   close(3), write(1) (the end line), exit_group(0, or 3)
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

/* The longest answer head (status line and headers) it keeps. */
#define HEAD_MAX 8192

static char head[HEAD_MAX];

/* An error that has no errno: the answer itself is wrong. */
static void bad(const char *why)
{
    fflush(stdout);
    fprintf(stderr, "netclient: %s\n", why);
    exit(1);
}

/* All LEN bytes of BUF, through as many writes as it takes. */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("write");
        buf += n;
        len -= n;
    }
}

/* One read, retried on EINTR; the error ends the program. */
static ssize_t read_some(int fd, char *buf, size_t room)
{
    for (;;) {
        ssize_t n = read(fd, buf, room);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            fail("read");
    }
}

int main(int argc, char **argv)
{
    PROGRAM = "netclient";
    struct sockaddr_in server;
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    int port = 0;
    if (argc < 3 || argc > 4 || inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 ||
        (port = parse_port(argv[2])) == 0) {
        fprintf(stderr, "usage: netclient HOST PORT [PATH]   (HOST a dotted quad such as 10.0.2.2,"
                        " PORT 1-65535, PATH / unless given)\n");
        return 2;
    }
    server.sin_port = htons(port);
    const char *path = argc == 4 ? argv[3] : "/";
    if (path[0] != '/' || strpbrk(path, " \r\n") != NULL) {
        fprintf(stderr, "netclient: PATH must start with / and hold no space or line end\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        fail("socket");
    char where[64];
    snprintf(where, sizeof where, "connect to %s:%d", argv[1], port);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0)
        fail(where);
    struct sockaddr_in local;
    socklen_t locallen = sizeof local;
    if (getsockname(fd, (struct sockaddr *)&local, &locallen) < 0)
        fail("getsockname");

    char request[HEAD_MAX];
    int len = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s:%d\r\n\r\n", path,
                       argv[1], port);
    if (len < 0 || (size_t)len >= sizeof request)
        bad("PATH is too long");
    write_all(fd, request, len);

    /* The head, up to its blank line; what came after it is the body's
       start. */
    size_t have = 0, total = 0;
    char *body = NULL;
    while (body == NULL) {
        if (have == sizeof head - 1)
            bad("the answer's head is over 8 KiB");
        ssize_t n = read_some(fd, head + have, sizeof head - 1 - have);
        if (n == 0)
            break;
        have += n;
        total += n;
        head[have] = '\0';
        char *blank = strstr(head, "\r\n\r\n");
        if (blank != NULL)
            body = blank + 4;
    }
    int status;
    char reason[64] = "";
    if (body == NULL || sscanf(head, "HTTP/%*d.%*d %d %63[^\r\n]", &status, reason) < 1) {
        fflush(stdout);
        fprintf(stderr, "netclient: no HTTP answer (%zu bytes before the server closed)\n", total);
        return 1;
    }
    long content_length = -1;
    for (char *line = strstr(head, "\r\n"); line != NULL && line + 2 < body;
         line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
            content_length = strtol(line + 17, NULL, 10);

    printf("netclient: %s:%d -> %s:%d: HTTP/1.0 %d %s\n", inet_ntoa(local.sin_addr),
           ntohs(local.sin_port), argv[1], port, status, reason);
    size_t body_len = have - (body - head);
    fwrite(body, 1, body_len, stdout);
    char last = body_len > 0 ? body[body_len - 1] : '\n';
    /* The rest of the body, as it comes. */
    for (;;) {
        char buf[4096];
        ssize_t n = read_some(fd, buf, sizeof buf);
        if (n == 0)
            break;
        fwrite(buf, 1, n, stdout);
        last = buf[n - 1];
        total += n;
        body_len += n;
    }
    close(fd);
    if (last != '\n')
        putchar('\n');
    printf("netclient: %zu bytes received, body %zu bytes\n", total, body_len);
    if (content_length >= 0 && (size_t)content_length != body_len) {
        char why[128];
        snprintf(why, sizeof why, "the body is %zu bytes, its Content-Length says %ld", body_len,
                 content_length);
        bad(why);
    }
    return status >= 200 && status < 300 ? 0 : 3;
}
