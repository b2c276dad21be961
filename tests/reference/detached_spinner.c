/* detached_spinner: a detached progress spinner that nobody stops.
 *
 * Go pattern: `go spinner(100 * time.Millisecond)` in a CLI, left spinning when main is done.
 *
 * The bug: show_spinner starts a detached thread that animates a spinner (to stderr, only when it
 * is a terminal) until `spinner_stop` is set -- and nothing ever sets it. Detaching hides the
 * thread from every join, but it is still running at exit.
 *
 * This is the one corpus program whose leaked thread is not blocked: it spins, yielding and
 * sleeping 1 ms per frame.
 *
 * Expected: one running, detached leak of `spin`, created by main. TSan: nothing (it never
 * reports detached threads).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_bool spinner_stop;
static atomic_ulong spinner_frames;

static void *spin(void *arg)
{
    (void)arg;
    static const char frames[] = "|/-\\";
    bool tty = isatty(STDERR_FILENO);
    struct timespec frame_delay = {.tv_nsec = 1000000L};
    while (!atomic_load(&spinner_stop)) {
        unsigned long n = atomic_fetch_add(&spinner_frames, 1);
        if (tty)
            fprintf(stderr, "\r%c", frames[n % 4]);
        sched_yield();
        nanosleep(&frame_delay, NULL);
    }
    return NULL;
}

void show_spinner(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t spinner;
    if (pthread_create(&spinner, &attr, spin, NULL) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_attr_destroy(&attr);
}

static long slow_download(void)
{
    long bytes = 0;
    for (int chunk = 0; chunk < 5; chunk++) {
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000L}, NULL);
        bytes += 4096;
    }
    return bytes;
}

int main(void)
{
    show_spinner();
    long bytes = slow_download();
    printf("detached_spinner: downloaded %ld bytes\n", bytes); /* spinner_stop never set */
    return 0;
}
