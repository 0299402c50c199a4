/*
 * args_c: prints its argc and each argv[i], with printf: a static glibc
 * program (gcc -m32 -static -o build/args_c tests/user/args_c.c). The
 * same binary prints the same on Linux and on irqkernel, given the same
 * arguments.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("argc = %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
    return argv[argc] == NULL ? 0 : 1;
}
