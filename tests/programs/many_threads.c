/* argv[1] threads, of which every second one is joined and the others stay blocked on a pipe.
 * Some of the leaked ones block every signal, as real programs' I/O threads often do.
 * Expected: argv[1]/2 leaked `reader` threads (rounded down), none of the joined `quick` ones. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static int never_written[2];

static void *reader(void *arg)
{
    char byte;
    if ((long)arg % 3 == 0) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    read(never_written[0], &byte, 1);
    return NULL;
}

static void *quick(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200;
    pipe(never_written);
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    for (long i = 0; i < n; i++)
        pthread_create(&threads[i], NULL, i % 2 ? quick : reader, (void *)i);
    for (long i = 1; i < n; i += 2)
        pthread_join(threads[i], NULL);
    free(threads);
    return 0;
}
