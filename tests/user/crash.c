/* crash: writes through a null pointer. Page 0 is never mapped, so the
 * CPU raises #PF (on Linux, SIGSEGV) and the process dies alone. */
#include "linux.h"

int main(int argc, char **argv)
{
    puts_raw("crash: writing to address 0\n");
    *(volatile int *)0 = 1;
    return 0;
}
