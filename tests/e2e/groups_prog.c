/* A program for the grouping tests, built with -O2: `unrolled` leaves two threads running,
 * created by a loop of two pthread_create calls that the compiler unrolls (two call
 * instructions, one source line); `fork` leaks one such thread in the parent and one in a forked
 * child, at the same line. The tests find the lines by their marker comments. */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *reader(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static __attribute__((noinline)) void start_one_reader(void)
{
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL); /* MARK_FORKED */
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "unrolled") == 0) {
        pthread_t t[2];
#pragma GCC unroll 2
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, reader, NULL); /* MARK_UNROLLED */
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "fork") == 0) {
        pid_t child = fork();
        start_one_reader();
        if (child > 0)
            waitpid(child, NULL, 0);
        return 0;
    }
    return 0;
}
