/* tlspeek: a hostile program for the kernel's TLS slots. It never calls
 * set_thread_area, waits until another program (tls) has its segment in
 * GDT slot 6 and has been switched away from, then loads that slot's
 * selector, 0x33, into GS itself. The kernel empties the slots of a
 * process that never set them on every switch to it, so the load must
 * fault (#GP, error code 0x30) and the program dies; if it did not, it
 * could read the other program's data through GS. Meaningful on
 * irqkernel only: on x86-64 Linux, 0x33 is the 64-bit user code segment. */
#include "linux.h"

int main(int argc, char **argv)
{
    busy_ms(200);
    unsigned int selector = 6 * 8 + 3, word;
    __asm__ volatile("movl %1, %%gs\n\tmovl %%gs:0, %0" : "=r"(word) : "r"(selector));
    puts_raw("tlspeek: read another process's TLS through GS: ");
    put_number(word);
    puts_raw("\n");
    return 1;
}
