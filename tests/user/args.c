/* args: prints argc and every argv[i], one per line, as it got them. */
#include "linux.h"

int main(int argc, char **argv)
{
    puts_raw("argc=");
    put_number(argc);
    puts_raw("\n");
    for (int i = 0; i < argc; i++) {
        puts_raw("argv[");
        put_number(i);
        puts_raw("]=");
        puts_raw(argv[i]);
        puts_raw("\n");
    }
    if (argv[argc] != 0) {
        puts_raw("argv is not NULL-terminated\n");
        return 1;
    }
    return 0;
}
