/* reader: reads stdin up to the end of a line (or of the input) and
 * prints it back as "got: ...". It loops, because a read may return part
 * of a line: a pipe's does, and so does a terminal's when the buffer is
 * smaller than the line or Ctrl-D ends it without a newline. */
#include "linux.h"

int main(int argc, char **argv)
{
    char line[64];
    unsigned long have = 0;
    while (have < sizeof line) {
        long n = read(0, line + have, sizeof line - have);
        if (n < 0)
            return 1;
        if (n == 0)
            break;
        have += n;
        if (line[have - 1] == '\n')
            break;
    }
    puts_raw("got: ");
    write(1, line, have);
    if (have == 0 || line[have - 1] != '\n')
        puts_raw("\n");
    return 0;
}
