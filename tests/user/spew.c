/* spew: writes N numbered lines (argv[1], default 500) of 40 bytes, one
 * write() each, then one write() of 8 KB of them at once, then a last
 * line. Far more than COM1's 4 KB transmit queue holds: the writer must
 * wait for the THRE interrupt to drain it, and every byte must come out,
 * in order. */
#include "linux.h"

static char big[8192];

/* "spew 000123 abcdefghijklmnopqrstuvwxyz.\n": 40 bytes. */
static void format_line(char *out, unsigned long n)
{
    const char *text = "spew 000000 abcdefghijklmnopqrstuvwxyz.\n";
    for (int i = 0; i < 40; i++)
        out[i] = text[i];
    for (int i = 10; i >= 5; i--, n /= 10)
        out[i] = '0' + n % 10;
}

int main(int argc, char **argv)
{
    unsigned long count = 500;
    if (argc > 1) {
        count = 0;
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
            count = count * 10 + (*p - '0');
    }
    char line[40];
    unsigned long n = 1;
    for (; n <= count; n++) {
        format_line(line, n);
        if (write(1, line, sizeof line) != sizeof line)
            return 1;
    }
    for (unsigned long i = 0; i + 40 <= sizeof big; i += 40, n++)
        format_line(big + i, n);
    unsigned long whole = sizeof big / 40 * 40;
    if (write(1, big, whole) != (long)whole)
        return 2;
    puts_raw("spew: done, ");
    put_number(n - 1);
    puts_raw(" lines\n");
    return 0;
}
