/* A program whose leaked threads include one that blocks every signal, as real programs' I/O
 * threads often do, and is busy in user space: a live dump can neither interrupt it for its stack
 * nor read one from a blocking call's /proc state.
 *
 *   deaf_thread_prog MODE SECONDS   starts "deaf_spinner" (every signal blocked, spinning until
 *                                   main returns) and "reader" (nothing blocked, waiting on a pipe
 *                                   that is never written); prints "ready" once both are in
 *                                   place, then returns from main after SECONDS or on SIGTERM,
 *                                   leaving both running.
 *
 * MODE is not used: the argument is there for the endpoint tests' starter. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int never_written[2];
static sem_t started;
static volatile sig_atomic_t terminate;

static atomic_ulong spins;

/* Busy without a system call in its loop, so that it is caught running; the spin stops when the
 * process does. */
__attribute__((noinline)) static void *deaf_spinner(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    sem_post(&started);
    for (;;)
        atomic_fetch_add_explicit(&spins, 1, memory_order_relaxed);
    return arg;
}

__attribute__((noinline)) static void *reader(void *arg)
{
    sem_post(&started);
    char byte;
    ssize_t n = read(never_written[0], &byte, 1);
    (void)n;
    return arg;
}

static void on_term(int sig)
{
    (void)sig;
    terminate = 1;
}

int main(int argc, char **argv)
{
    long seconds = argc > 2 ? atol(argv[2]) : 0;
    signal(SIGTERM, on_term);
    if (pipe(never_written) != 0 || sem_init(&started, 0, 0) != 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, deaf_spinner, NULL);
    pthread_create(&t, NULL, reader, NULL);
    sem_wait(&started);
    sem_wait(&started);
    printf("ready\n");
    fflush(stdout);
    for (long tenths = 0; !terminate && tenths < seconds * 10; tenths++) {
        struct timespec tenth = {0, 100 * 1000 * 1000};
        nanosleep(&tenth, NULL);
    }
    return 0;
}
