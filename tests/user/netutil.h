/* What the network programs (httpd.c, udpecho.c, netclient.c) share:
 * their error line and the port parser. Plain C for glibc; each program
 * is still built alone, `gcc -m32 -static -o build/NAME NAME.c`, and
 * includes this first. PROGRAM is the name each one's messages start with. */
#ifndef NETUTIL_H
#define NETUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
/* Binds FD to PORT on every address of this host (INADDR_ANY), or
   fails. */
static void bind_any(int fd, int port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        fail("bind");
}

#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *PROGRAM;

/* errno's name, as strace prints it: "EADDRINUSE". */
static const char *errno_name(int e)
{
    const char *name = strerrorname_np(e);
    return name ? name : "?";
}

/* "PROGRAM: WHAT: Address already in use (EADDRINUSE)". */
static void complain(const char *what)
{
    int e = errno;
    fprintf(stderr, "%s: %s: %s (%s)\n", PROGRAM, what, strerror(e), errno_name(e));
}

/* The same, then exit 1. */
static void fail(const char *what)
{
    complain(what);
    exit(1);
}

/* A port number 1-65535, or 0 if S is not one. */
static int parse_port(const char *s)
{
    char *end;
    errno = 0;
    long port = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || port < 1 || port > 65535)
        return 0;
    return (int)port;
}

/* Binds FD to PORT on every address of this host (INADDR_ANY), or
   fails. */
static void bind_any(int fd, int port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        fail("bind");
}

#endif
