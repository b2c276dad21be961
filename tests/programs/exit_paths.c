/* One leaked thread, then the process ends by the path named in argv[1]:
 *   return | exit_from_thread | _exit | _Exit | quick_exit | main_pthread_exit |
 *   main_pthread_exit_last_is_leak | clean
 * Every path must produce the same verdict: one `parked` thread still running (or, for the
 * main_pthread_exit paths, one `finisher` thread finished but never joined). When main calls
 * pthread_exit, libc ends the process from whichever thread exits last; the second variant makes
 * that the never-joined `finisher` itself. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *parked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

static void *finisher(void *arg)
{
    if (arg) {
        struct timespec pause = {0, 200 * 1000 * 1000}; /* outlive main and the other thread */
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void *exit_caller(void *arg)
{
    (void)arg;
    exit(0);
}

static void start_parked(void)
{
    pthread_t t;
    pthread_create(&t, NULL, parked, NULL);
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "return";
    if (strcmp(how, "clean") == 0)
        return 0;
    if (strncmp(how, "main_pthread_exit", 17) == 0) {
        bool finisher_last = strcmp(how, "main_pthread_exit_last_is_leak") == 0;
        pthread_t t;
        pthread_create(&t, NULL, finisher, finisher_last ? (void *)1 : NULL);
        pthread_t waiter;
        /* The last thread to exit ends the process with exit(0). */
        pthread_create(&waiter, NULL, finisher, NULL);
        pthread_detach(waiter);
        pthread_exit(NULL);
    }
    start_parked();
    if (strcmp(how, "exit_from_thread") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exit_caller, NULL);
        pthread_join(t, NULL);
    }
    if (strcmp(how, "_exit") == 0)
        _exit(0);
    if (strcmp(how, "_Exit") == 0)
        _Exit(0);
    if (strcmp(how, "quick_exit") == 0)
        quick_exit(0);
    return 0;
}
