/* data: keeps a value in its own memory (a global and the heap, from
 * brk) across many sched_yield calls, while another copy of the same
 * program, at the same virtual addresses, does the same with another
 * value. Each must find its own value every time. Exits 0 if so. */
#include "linux.h"

static volatile unsigned long global;

int main(int argc, char **argv)
{
    unsigned long pid = syscall3(SYS_getpid, 0, 0, 0);
    unsigned long mine = pid * 1000003UL;
    unsigned long start = syscall3(SYS_brk, 0, 0, 0);
    unsigned long end = syscall3(SYS_brk, start + 8192, 0, 0);
    if (end != start + 8192) {
        puts_raw("data: brk refused\n");
        return 2;
    }
    volatile unsigned long *heap = (volatile unsigned long *)start;
    global = mine;
    heap[1000] = mine + 1;
    for (int i = 0; i < 50; i++) {
        syscall3(SYS_sched_yield, 0, 0, 0);
        if (global != mine || heap[1000] != mine + 1) {
            puts_raw("data: lost my values\n");
            return 1;
        }
    }
    syscall3(SYS_brk, start, 0, 0);
    puts_raw("data: my values stayed mine at ");
    put_number((unsigned long)&global);
    puts_raw("\n");
    return 0;
}
