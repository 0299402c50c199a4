/*
 * hello_c: an ordinary C program, built the ordinary way:
 *
 *     gcc -m32 -static -o build/hello_c tests/user/hello_c.c
 *
 * and run unchanged on Linux and on irqkernel (make run
 * INITRD="build/hello_c"). glibc's start-up, printf, fgets, scanf and
 * malloc all go through Linux i386 system calls, which the kernel
 * answers (README: Linux programs). It greets you, asks a number and
 * exits with it: exit(300) comes back as status 44, the 8 bits a Linux
 * parent sees, and the kernel's end line shows both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("Hello from %s, a C program built with gcc -m32 -static.\n", argv[0]);
    printf("What is your name? ");
    char line[100];
    if (fgets(line, sizeof line, stdin) == NULL) {
        printf("\nNo name: the input ended.\n");
        return 1;
    }
    line[strcspn(line, "\n")] = '\0';

    /* A greeting on the heap (malloc: brk, as on Linux). */
    size_t size = strlen(line) + sizeof "Hello, ! Your name has  letters.";
    char *greeting = malloc(size + 20);
    if (greeting == NULL) {
        printf("malloc failed\n");
        return 2;
    }
    snprintf(greeting, size + 20, "Hello, %s! Your name has %zu letters.", line, strlen(line));
    puts(greeting);
    free(greeting);

    printf("Pick an exit status: ");
    int status;
    if (scanf("%d", &status) != 1) {
        printf("\nThat was no number.\n");
        return 3;
    }
    printf("Exiting with %d; Linux keeps the low 8 bits: %d.\n", status, status & 0xff);
    return status;
}
