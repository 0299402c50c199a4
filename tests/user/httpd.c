/*
 * httpd: a small HTTP/1.0 server whose page carries a value from its
 * command line and a request counter; an ordinary C program, run
 * unchanged on Linux and on irqkernel:
 *
 *     gcc -m32 -static -o build/httpd tests/user/httpd.c
 *     build/httpd TOKEN [PORT]       (PORT: 8080 unless given)
 *     make run INITRD="build/httpd TOKEN"
 *     curl http://127.0.0.1:PORT/     (from another terminal)
 *
 * The default port is above 1024, so it binds on a Linux host without
 * root (the host test, tests/net_host_check.py, runs it there as the
 * oracle). It serves one connection at a time: accept, read the request
 * up to its blank line (however many reads that takes), answer, close.
 * Clients that come meanwhile wait in the listen backlog (8), so three
 * curls at once are all served, one after the other.
 *
 *     GET /        200, text/plain: "token TOKEN, request N\n"
 *     GET /quit    200, "bye after N requests\n"; then it prints the
 *                  same line and exits 0 (so a test can end it)
 *     GET other    404
 *     other method 501
 *     malformed    400 (no "METHOD PATH HTTP/x" line, or a head over
 *                  4 KiB)
 *
 * N counts the answers sent since start, this one included, whatever
 * their status: the Nth answer says N. A connection that closes before
 * its request is complete gets no answer and is not counted (a test
 * waiting for the port to open may connect and close, sending nothing).
 * Every answer has Content-Type, Content-Length and Connection: close.
 * After it the server shuts its sending side (shutdown SHUT_WR: the
 * client sees the end of the answer), reads what the client still sends
 * until the client closes too, then closes: a socket closed with unread
 * data is reset on Linux, and the reset can overtake the answer.
 *
 * It prints a line when it listens and one per answer (the peer from
 * accept's address):
 *
 *     httpd: listening on tcp port 8080, token TOKEN
 *     httpd: 127.0.0.1:40312 GET / -> 200 (request 1)
 *
 * Every call blocks: the process sleeps in accept and recv until the
 * network wakes it, which on irqkernel means until the NIC's interrupt
 * does. Errors are printed with their errno's name:
 *
 *     httpd: bind: Address already in use (EADDRINUSE)
 *
 * An error on one connection (a reset) ends that connection, not the
 * server. send uses MSG_NOSIGNAL, so a client gone away is EPIPE here,
 * not a SIGPIPE that kills the server.
 *
 * The Linux i386 system calls it makes, in order, from strace -n on
 * Debian's glibc 2.36. Every socket call is socketcall (102) with its
 * subcall in EBX and its arguments in an array at ECX; a glibc built
 * for Linux >= 4.3 would make the direct calls 359-373 instead (accept
 * as accept4, 364, flags 0; send as sendto, 369, with no address; recv
 * as recvfrom, 371):
 *   start-up (glibc, before main): brk(0), brk, set_thread_area,
 *     set_tid_address, set_robust_list, rseq, ugetrlimit(RLIMIT_STACK),
 *     readlink("/proc/self/exe"), getrandom(4 bytes, GRND_NONBLOCK),
 *     brk(0), brk, brk, mprotect (RELRO): as every static glibc program
 *   socketcall SOCKET (1)      socket(AF_INET, SOCK_STREAM, 0) = 3
 *   socketcall SETSOCKOPT (14) setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4)
 *   socketcall BIND (2)        bind(3, {AF_INET, PORT, 0.0.0.0}, 16)
 *   socketcall LISTEN (4)      listen(3, 8)
 *   statx(1, "", AT_EMPTY_PATH, STATX_BASIC_STATS) (383; fstat64, 197,
 *     if statx is -ENOSYS): stdio sizes stdout's buffer before its first
 *     write. If stdout is a character device, glibc then asks
 *     ioctl(1, TCGETS) (54) whether it is a terminal, except on a Linux
 *     pty (majors 136-143, known to be terminals): statx and ioctl on
 *     the kernel's console (5:1) or /dev/null; statx alone on a pipe, a
 *     file or a pty. Either answer is fine: stdout is line-buffered
 *     already (setvbuf, which is no system call)
 *   write(1)                   the listening line
 *   then per connection:
 *     socketcall ACCEPT (5)    accept(3, &peer, &16) = 4
 *     socketcall RECV (10)     recv(4, buf, room, 0), until the blank line
 *     socketcall SEND (9)      send(4, answer, len, MSG_NOSIGNAL (0x4000))
 *     write(1)                 the answer's line
 *     socketcall SHUTDOWN (13) shutdown(4, SHUT_WR)
 *     socketcall RECV (10)     recv(4, buf, 4096, 0), until it returns 0
 *     close(4)
 *   after /quit: write(1) (the last line), close(3), exit_group(0)
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

#define DEFAULT_PORT 8080
#define BACKLOG 8
/* The longest request head (request line and headers) it reads. */
#define HEAD_MAX 4096
/* What it reads, at most, after its answer before it closes anyway. */
#define DRAIN_MAX (64 * 1024)

static const char *token;
static unsigned long answers;

/* All LEN bytes of BUF, through as many sends as it takes; -1 on error. */
static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= n;
    }
    return 0;
}

/*
 * Reads the request head into HEAD (HEAD_MAX bytes, NUL-terminated) until
 * its blank line, "\r\n\r\n" or a bare "\n\n". Returns its length; 0 if
 * the client closed before it was complete (or the connection failed);
 * -1 if it did not fit.
 */
static int read_head(int fd, char *head)
{
    size_t have = 0;
    for (;;) {
        if (have == HEAD_MAX - 1)
            return -1;
        ssize_t n = recv(fd, head + have, HEAD_MAX - 1 - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            complain("recv");
            return 0;
        }
        if (n == 0)
            return 0;
        have += n;
        head[have] = '\0';
        if (strstr(head, "\r\n\r\n") != NULL || strstr(head, "\n\n") != NULL)
            return (int)have;
    }
}

/* Sends the answer: STATUS ("200 OK"), then BODY. */
static void answer(int fd, const char *status, const char *body)
{
    char out[HEAD_MAX + 512];
    size_t len = strlen(body);
    int n = snprintf(out, sizeof out,
                     "HTTP/1.0 %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "\r\n"
                     "%s",
                     status, len, body);
    if (n < 0 || (size_t)n >= sizeof out)
        n = snprintf(out, sizeof out, "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n"
                                      "Connection: close\r\n\r\n");
    if (send_all(fd, out, n) < 0)
        complain("send");
}

/*
 * One connection: reads its request, answers it, closes it. Returns 1 if
 * the request was /quit, else 0.
 */
static int serve(int fd, const struct sockaddr_in *peer)
{
    char head[HEAD_MAX];
    char body[HEAD_MAX + 128];
    const char *status;
    char method[16] = "-", path[HEAD_MAX] = "-", version[16];
    int quit = 0;

    int len = read_head(fd, head);
    if (len == 0) {
        close(fd);
        return 0;
    }
    answers++;
    /* The request line: METHOD PATH HTTP/x.y, then the line's end. */
    int end = 0;
    if (len < 0) {
        status = "400 Bad Request";
        snprintf(body, sizeof body, "request head over %d bytes\n", HEAD_MAX - 1);
    } else if (sscanf(head, "%15s %4095s %15s%n", method, path, version, &end) != 3 ||
               (head[end] != '\r' && head[end] != '\n') || strncmp(version, "HTTP/", 5) != 0 ||
               path[0] != '/') {
        status = "400 Bad Request";
        snprintf(body, sizeof body, "bad request line\n");
    } else if (strcmp(method, "GET") != 0) {
        status = "501 Not Implemented";
        snprintf(body, sizeof body, "only GET is served\n");
    } else {
        path[strcspn(path, "?")] = '\0'; /* a query string changes nothing */
        if (strcmp(path, "/") == 0) {
            status = "200 OK";
            snprintf(body, sizeof body, "token %s, request %lu\n", token, answers);
        } else if (strcmp(path, "/quit") == 0) {
            status = "200 OK";
            snprintf(body, sizeof body, "bye after %lu requests\n", answers);
            quit = 1;
        } else {
            status = "404 Not Found";
            snprintf(body, sizeof body, "no page %s\n", path);
        }
    }
    answer(fd, status, body);
    printf("httpd: %s:%d %s %s -> %.3s (request %lu)\n", inet_ntoa(peer->sin_addr),
           ntohs(peer->sin_port), method, path, status, answers);

    /* The answer is complete: say so (FIN), then wait for the client's
       own close, reading (and dropping) whatever it still sends. */
    if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
        complain("shutdown");
    size_t drained = 0;
    while (drained < DRAIN_MAX) {
        ssize_t n = recv(fd, head, sizeof head, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the client's close (0), or a reset */
        drained += n;
    }
    close(fd);
    return quit;
}

int main(int argc, char **argv)
{
    PROGRAM = "httpd";
    int port = DEFAULT_PORT;
    if (argc < 2 || argc > 3 || (argc == 3 && (port = parse_port(argv[2])) == 0)) {
        fprintf(stderr, "usage: httpd TOKEN [PORT]   (PORT 1-65535, default %d)\n", DEFAULT_PORT);
        return 2;
    }
    token = argv[1];
    /* One write per line whether stdout is a terminal or a pipe, so a
       test reading the pipe sees the listening line at once. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        fail("socket");
    /* Restarted at once on the same port, as a test does, bind would
       otherwise find the last run's connections in TIME_WAIT. */
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        fail("setsockopt SO_REUSEADDR");
    bind_any(fd, port);
    if (listen(fd, BACKLOG) < 0)
        fail("listen");
    printf("httpd: listening on tcp port %d, token %s\n", port, token);

    for (;;) {
        struct sockaddr_in peer;
        socklen_t peerlen = sizeof peer;
        int conn = accept(fd, (struct sockaddr *)&peer, &peerlen);
        if (conn < 0) {
            /* A connection reset while it waited in the backlog is
               that client's problem, not the server's. */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            fail("accept");
        }
        if (serve(conn, &peer))
            break;
    }
    printf("httpd: bye after %lu requests\n", answers);
    close(fd);
    return 0;
}
