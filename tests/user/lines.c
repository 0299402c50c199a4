/* lines: shows what each read(0, buf, SIZE) returns, until end of file.
 * One line per read: "read N: TEXT", with a newline shown as \n and
 * other control bytes as \xHH, so a terminal's line discipline can be
 * seen at work (and compared with Linux's, in a pty). SIZE is argv[1]
 * (default 64, at most 256). The exit status is the number of reads that
 * returned data. */
#include "linux.h"

/* Appends `n` bytes of `buf` to `out`, shown as described above. */
static unsigned long show(char *out, const char *buf, long n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned long at = 0;
    for (long i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == '\n') {
            out[at++] = '\\';
            out[at++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            out[at++] = '\\';
            out[at++] = 'x';
            out[at++] = hex[c >> 4];
            out[at++] = hex[c & 15];
        } else {
            out[at++] = c;
        }
    }
    return at;
}

int main(int argc, char **argv)
{
    char buf[256];
    /* One report line, written with one write(), so that the terminal's
     * echo of what is typed meanwhile cannot land in the middle of it. */
    char report[16 + 4 * sizeof buf];
    unsigned long size = 64;
    if (argc > 1) {
        size = 0;
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
            size = size * 10 + (*p - '0');
        if (size == 0 || size > sizeof buf)
            size = 64;
    }
    int reads = 0;
    for (;;) {
        long n = read(0, buf, size);
        if (n < 0) {
            puts_raw("read error\n");
            return 255;
        }
        unsigned long at = 0;
        const char *head = "read ";
        while (*head)
            report[at++] = *head++;
        at += format_number(report + at, n);
        report[at++] = ':';
        report[at++] = ' ';
        at += show(report + at, buf, n);
        report[at++] = '\n';
        write(1, report, at);
        if (n == 0)
            return reads;
        reads++;
    }
}
