/*
 * netprobe_c: the socket calls' error paths and non-blocking behaviour,
 * one case a line; an ordinary C program, run unchanged on Linux and on
 * irqkernel, whose outputs must be the same (tests/net_probe.py):
 *
 *     gcc -m32 -static -o build/netprobe_c tests/user/netprobe_c.c
 *     build/netprobe_c HOST REFUSED BASE
 *
 * HOST is the address of a machine that answers REFUSED, a TCP port
 * nothing listens on there, with a reset: 127.0.0.1 on Linux, 10.0.2.2
 * (the host, through QEMU's user network) on the kernel. BASE is the
 * first of BASE..BASE+9, ports this program binds on this machine (on
 * Linux they must be free: the test picks them).
 *
 * Each line is a case's name and its answer: the value when the call
 * worked, or the name of its errno (`bind same port twice: EADDRINUSE`).
 * It prints nothing that differs between two correct kernels: no
 * addresses of the machine, no ephemeral ports, no times; a file
 * descriptor's number only where POSIX fixes it (the lowest free one).
 * HOST and REFUSED appear only as "the same as asked". Nothing in it
 * waits for long: every blocking call here fails or returns at once,
 * but the connects to REFUSED, which wait for the reset.
 *
 * Every socket call of Debian's glibc 2.36 is socketcall (102); a newer
 * glibc makes the direct calls 359-373: both reach the same code.
 * send() always has MSG_NOSIGNAL: a send on a socket that cannot send
 * raises SIGPIPE on Linux, and the kernel has no signals.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct in_addr host;
static int refused, base;

/* The line for a call's result `r` (with errno when r < 0). */
static void say(const char *name, long r)
{
    if (r < 0)
        printf("%s: %s\n", name, strerrorname_np(errno));
    else
        printf("%s: %ld\n", name, r);
}

/* The same, for a call whose success is only "ok" (a new fd's number
 * is no business of the comparison). */
static void ok(const char *name, long r)
{
    if (r < 0)
        printf("%s: %s\n", name, strerrorname_np(errno));
    else
        printf("%s: ok\n", name);
}

static struct sockaddr_in inet(struct in_addr ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr = ip;
    return a;
}

static struct sockaddr_in any(int port)
{
    struct in_addr ip = {htonl(INADDR_ANY)};
    return inet(ip, port);
}

static int bind_to(int fd, struct sockaddr_in a)
{
    return bind(fd, (struct sockaddr *)&a, sizeof a);
}

static int connect_to(int fd, struct sockaddr_in a)
{
    return connect(fd, (struct sockaddr *)&a, sizeof a);
}

/* getsockname's or getpeername's answer as "ADDRESS:PORT" (the address
 * only when it is 0.0.0.0; another is this machine's and differs). */
static void say_name(const char *name, int fd, int peer)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len)
                 : getsockname(fd, (struct sockaddr *)&a, &len);
    if (r < 0) {
        printf("%s: %s\n", name, strerrorname_np(errno));
        return;
    }
    printf("%s: family %d, len %u, %s, port %d\n", name, a.sin_family, len,
           a.sin_addr.s_addr == htonl(INADDR_ANY) ? "0.0.0.0" : "not 0.0.0.0",
           ntohs(a.sin_port));
}

static int option(int fd, int level, int name, int value, socklen_t len)
{
    return setsockopt(fd, level, name, &value, len);
}

static long option_value(int fd, int level, int name)
{
    int value = -1;
    socklen_t len = sizeof value;
    int r = getsockopt(fd, level, name, &value, &len);
    return r < 0 ? r : value;
}

static void socket_cases(void)
{
    ok("socket(200, SOCK_STREAM, 0)", socket(200, SOCK_STREAM, 0));
    ok("socket(AF_INET, 99, 0)", socket(AF_INET, 99, 0));
    ok("socket(AF_INET, SOCK_DGRAM | 0x10000, 0)", socket(AF_INET, SOCK_DGRAM | 0x10000, 0));
    ok("socket(AF_INET, SOCK_RDM, 0)", socket(AF_INET, SOCK_RDM, 0));
    ok("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    ok("socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP)", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
    int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ok("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)", fd);
    say("getsockopt SO_TYPE (stream)", option_value(fd, SOL_SOCKET, SO_TYPE));
    say("getsockopt SO_ERROR", option_value(fd, SOL_SOCKET, SO_ERROR));
    close(fd);
    fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    ok("socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", fd);
    say("getsockopt SO_TYPE (datagram)", option_value(fd, SOL_SOCKET, SO_TYPE));
    close(fd);
}

static void bind_cases(void)
{
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = any(base);
    say("bind addrlen 8", bind(tcp, (struct sockaddr *)&a, 8));
    say("bind addrlen 200", bind(tcp, (struct sockaddr *)&a, 200));
    say("bind NULL address", bind(tcp, NULL, sizeof a));
    struct sockaddr_in unix_family = a;
    unix_family.sin_family = AF_UNIX;
    say("bind AF_UNIX family in a sockaddr_in", bind_to(tcp, unix_family));
    struct in_addr elsewhere = {inet_addr("1.2.3.4")};
    say("bind 1.2.3.4 (not this host's)", bind_to(tcp, inet(elsewhere, base)));
    say_name("getsockname before bind", tcp, 0);
    say("bind 0.0.0.0:BASE", bind_to(tcp, a));
    say_name("getsockname after bind", tcp, 0);
    say("bind the same socket again, same port", bind_to(tcp, a));
    say("bind the same socket again, another port", bind_to(tcp, any(base + 5)));

    int second = socket(AF_INET, SOCK_STREAM, 0);
    say("bind same port twice (second TCP socket)", bind_to(second, a));
    say("setsockopt SO_REUSEADDR", option(second, SOL_SOCKET, SO_REUSEADDR, 1, sizeof(int)));
    say("bind same port, SO_REUSEADDR on the second only", bind_to(second, a));
    close(second);

    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    say_name("getsockname unbound UDP", udp, 0);
    say("bind UDP on the TCP socket's port", bind_to(udp, a));
    say_name("getsockname after UDP bind", udp, 0);
    int udp2 = socket(AF_INET, SOCK_DGRAM, 0);
    say("bind same UDP port twice (second socket)", bind_to(udp2, a));
    close(udp2);
    close(udp);

    /* Linux takes AF_UNSPEC for AF_INET in bind, for 0.0.0.0 only
     * (old programs leave the family 0). */
    int unspec = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in no_family = inet(elsewhere, base + 7);
    no_family.sin_family = AF_UNSPEC;
    say("bind AF_UNSPEC family, 1.2.3.4", bind_to(unspec, no_family));
    no_family = any(base + 7);
    no_family.sin_family = AF_UNSPEC;
    say("bind AF_UNSPEC family, 0.0.0.0", bind_to(unspec, no_family));
    say_name("getsockname after the AF_UNSPEC bind", unspec, 0);
    close(unspec);

    /* Closed, the port is free again. */
    close(tcp);
    tcp = socket(AF_INET, SOCK_STREAM, 0);
    say("bind the port of a closed socket", bind_to(tcp, a));
    close(tcp);
}

static void listen_cases(void)
{
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    say("listen on UDP", listen(udp, 1));
    say("accept on UDP", accept(udp, NULL, NULL));
    close(udp);

    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    say("accept on a socket not listening", accept(tcp, NULL, NULL));
    say("accept4 with bad flags", accept4(tcp, NULL, NULL, 0x40));
    bind_to(tcp, any(base + 1));
    say("listen", listen(tcp, 2));
    say("listen again", listen(tcp, 2));
    say_name("getsockname listening", tcp, 0);
    say_name("getpeername listening", tcp, 1);
    char byte;
    say("recv on a listening socket", recv(tcp, &byte, 1, MSG_DONTWAIT));
    say("bind after listen", bind_to(tcp, any(base + 6)));
    int flags = fcntl(tcp, F_GETFL);
    say("fcntl F_SETFL O_NONBLOCK (listener)", fcntl(tcp, F_SETFL, flags | O_NONBLOCK));
    say("accept on a non-blocking listener", accept(tcp, NULL, NULL));
    close(tcp);

    tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    bind_to(tcp, any(base + 2));
    listen(tcp, 1);
    say("accept on a SOCK_NONBLOCK listener", accept(tcp, NULL, NULL));
    close(tcp);
}

static void unconnected_cases(void)
{
    char buf[16] = "ping";
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    say("recv on an unconnected TCP socket", recv(tcp, buf, sizeof buf, 0));
    say("send on an unconnected TCP socket", send(tcp, buf, 4, MSG_NOSIGNAL));
    say_name("getpeername unconnected TCP", tcp, 1);
    say("shutdown unconnected TCP", shutdown(tcp, SHUT_RDWR));
    say("shutdown how 7", shutdown(tcp, 7));
    struct sockaddr_in to = inet(host, refused);
    say("connect addrlen 8", connect(tcp, (struct sockaddr *)&to, 8));
    struct sockaddr_in unix_family = to;
    unix_family.sin_family = AF_UNIX;
    say("connect AF_UNIX family", connect_to(tcp, unix_family));
    close(tcp);

    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    say("send on an unconnected UDP socket", send(udp, buf, 4, MSG_NOSIGNAL));
    say("write on an unconnected UDP socket", write(udp, buf, 4));
    say_name("getpeername unconnected UDP", udp, 1);
    say("recv MSG_DONTWAIT on an unbound UDP socket", recv(udp, buf, sizeof buf, MSG_DONTWAIT));
    struct sockaddr_in port0 = inet(host, 0);
    say("sendto port 0", sendto(udp, buf, 4, 0, (struct sockaddr *)&port0, sizeof port0));
    say("sendto addrlen 8", sendto(udp, buf, 4, 0, (struct sockaddr *)&to, 8));
    say("sendto AF_UNIX family",
        sendto(udp, buf, 4, 0, (struct sockaddr *)&unix_family, sizeof unix_family));
    static char big[65508];
    say("sendto 65508 bytes", sendto(udp, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to));
    close(udp);

    /* A connected UDP socket sends without an address. */
    udp = socket(AF_INET, SOCK_DGRAM, 0);
    say("connect UDP", connect_to(udp, to));
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int r = getpeername(udp, (struct sockaddr *)&peer, &len);
    if (r < 0)
        say("getpeername connected UDP", r);
    else
        printf("getpeername connected UDP: %s\n",
               peer.sin_addr.s_addr == host.s_addr && ntohs(peer.sin_port) == refused
                   ? "the address connected to" : "another address");
    say("send on a connected UDP socket", send(udp, buf, 4, MSG_NOSIGNAL));
    close(udp);
}

static void fd_cases(void)
{
    struct sockaddr_in a = any(base + 3);
    char byte;
    /* fd 0 is the terminal (or whatever stdin is): not a socket. */
    say("bind on fd 0", bind_to(0, a));
    say("listen on fd 0", listen(0, 1));
    say("recv on fd 0", recv(0, &byte, 1, MSG_DONTWAIT));
    say("setsockopt on fd 0", option(0, SOL_SOCKET, SO_REUSEADDR, 1, sizeof(int)));
    say_name("getsockname on fd 0", 0, 0);
    say("shutdown on fd 0", shutdown(0, SHUT_RDWR));
    /* fd 20 is not open; -1 never is. */
    say("bind on closed fd 20", bind_to(20, a));
    say("listen on closed fd 20", listen(20, 1));
    say("send on closed fd 20", send(20, "x", 1, MSG_NOSIGNAL));
    say_name("getsockname on closed fd 20", 20, 0);
    say("accept on fd -1", accept(-1, NULL, NULL));

    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    bind_to(udp, a);
    say("lseek on a socket", lseek(udp, 0, SEEK_SET));
    struct stat st;
    say("fstat on a socket", fstat(udp, &st));
    printf("fstat on a socket: S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
    errno = 0;
    int tty = isatty(udp);
    printf("isatty on a socket: %d, %s\n", tty, strerrorname_np(errno));
    say("dup2 onto fd 5", dup2(udp, 5));
    say_name("getsockname through fd 5", 5, 0);
    say("close the original", close(udp));
    say_name("getsockname through fd 5, the original closed", 5, 0);
    say("recv MSG_DONTWAIT through fd 5", recv(5, &byte, 1, MSG_DONTWAIT));
    say("close fd 5", close(5));
    say_name("getsockname on fd 5, closed", 5, 0);
    say("recv on fd 5, closed", recv(5, &byte, 1, MSG_DONTWAIT));
    say("close fd 5 again", close(5));
}

static void option_cases(void)
{
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    say("setsockopt SO_REUSEADDR", option(tcp, SOL_SOCKET, SO_REUSEADDR, 1, sizeof(int)));
    say("setsockopt SO_REUSEADDR, optlen 2", option(tcp, SOL_SOCKET, SO_REUSEADDR, 1, 2));
    say("setsockopt unknown level 12345", option(tcp, 12345, 1, 1, sizeof(int)));
    say("setsockopt SOL_SOCKET option 9999", option(tcp, SOL_SOCKET, 9999, 1, sizeof(int)));
    say("getsockopt SOL_SOCKET option 9999", option_value(tcp, SOL_SOCKET, 9999));
    say("getsockopt unknown level 12345", option_value(tcp, 12345, 1));
    close(tcp);
}

static void nonblocking_cases(void)
{
    char buf[16];
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    bind_to(udp, any(base + 4));
    say("fcntl F_GETFL (octal)", fcntl(udp, F_GETFL) & 07777);
    say("recvfrom MSG_DONTWAIT on a blocking socket", recvfrom(udp, buf, sizeof buf,
                                                               MSG_DONTWAIT, NULL, NULL));
    say("fcntl F_SETFL O_NONBLOCK", fcntl(udp, F_SETFL, fcntl(udp, F_GETFL) | O_NONBLOCK));
    say("fcntl F_GETFL after (octal)", fcntl(udp, F_GETFL) & 07777);
    say("recvfrom O_NONBLOCK", recvfrom(udp, buf, sizeof buf, 0, NULL, NULL));
    say("read O_NONBLOCK", read(udp, buf, sizeof buf));
    say("fcntl F_SETFL 0", fcntl(udp, F_SETFL, 0));
    say("fcntl F_GETFL cleared (octal)", fcntl(udp, F_GETFL) & 07777);
    say("recv MSG_DONTWAIT again", recv(udp, buf, sizeof buf, MSG_DONTWAIT));
    close(udp);

    udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    say("SOCK_NONBLOCK: fcntl F_GETFL (octal)", fcntl(udp, F_GETFL) & 07777);
    say("SOCK_NONBLOCK: recv", recv(udp, buf, sizeof buf, 0));
    close(udp);

    /* A dup shares the open file, and so its O_NONBLOCK: set through the
       copy, the original does not wait either. Close-on-exec belongs to
       the descriptor: the dup does not have it. */
    udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bind_to(udp, any(base + 9));
    say("SOCK_CLOEXEC: fcntl F_GETFD", fcntl(udp, F_GETFD));
    int copy = dup(udp);
    say("its dup: fcntl F_GETFD", fcntl(copy, F_GETFD));
    say("O_NONBLOCK set through the dup", fcntl(copy, F_SETFL, O_NONBLOCK));
    say("recv on the original, without waiting", recv(udp, buf, sizeof buf, 0));
    close(copy);
    close(udp);
}

/* connect to REFUSED on HOST, which answers the SYN with a reset. */
static void refused_cases(void)
{
    char buf[4] = "ping";
    struct sockaddr_in to = inet(host, refused);
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    say("connect to a port nothing listens on", connect_to(tcp, to));
    say_name("getpeername after the refusal", tcp, 1);
    say("recv after the refusal", recv(tcp, buf, sizeof buf, MSG_DONTWAIT));
    say("send after the refusal", send(tcp, buf, 4, MSG_NOSIGNAL));
    say("connect again", connect_to(tcp, to));
    close(tcp);

    /* Non-blocking: the connect is under way, then refused. */
    tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    say("non-blocking connect", connect_to(tcp, to));
    say_name("getpeername while connecting", tcp, 1);
    int r, tries = 0;
    while ((r = connect_to(tcp, to)) < 0 && errno == EALREADY && tries++ < 500)
        usleep(10000);
    say("non-blocking connect again, until no longer EALREADY", r);
    say("recv after", recv(tcp, buf, sizeof buf, 0));
    close(tcp);

    /* The refusal told by recv instead, once. */
    tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    say("non-blocking connect (2)", connect_to(tcp, to));
    tries = 0;
    while ((r = recv(tcp, buf, sizeof buf, 0)) < 0 && errno == EAGAIN && tries++ < 500)
        usleep(10000);
    say("recv, until no longer EAGAIN", r);
    say("recv again", recv(tcp, buf, sizeof buf, 0));
    close(tcp);
}

int main(int argc, char **argv)
{
    if (argc != 4 || inet_aton(argv[1], &host) == 0) {
        fprintf(stderr, "usage: netprobe_c HOST REFUSED BASE\n");
        return 2;
    }
    refused = atoi(argv[2]);
    base = atoi(argv[3]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    socket_cases();
    bind_cases();
    listen_cases();
    unconnected_cases();
    fd_cases();
    option_cases();
    nonblocking_cases();
    refused_cases();
    printf("netprobe_c: done\n");
    return 0;
}
