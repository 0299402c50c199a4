/* big: 64 MiB of zeroed data (bss), more than the test machine's RAM.
 * Loading it must fail with "out of memory" and leave every frame free;
 * on Linux, with memory enough, it prints and exits 0. */
#include "linux.h"

static char big[64 << 20];

int main(int argc, char **argv)
{
    big[sizeof big - 1] = 1;
    puts_raw("big: 64 MiB mapped\n");
    return big[0];
}
