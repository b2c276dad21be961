/* signal_handler_unsafe: a SIGUSR1 "dump stats" handler that does too much.
 *
 * The bug: on_dump_stats formats the stats into a malloc'd buffer (malloc is not
 * async-signal-safe) and opens a stats file that may not exist without saving errno, so the
 * interrupted code can see a changed errno. A worker thread sends SIGUSR1 to the main thread
 * with pthread_kill while main waits for the dump (at most 2 s); the worker is joined.
 *
 * The signal goes to main, not to the process: TSan defers a signal until the receiving thread
 * next enters the runtime, and with kill() the kernel may pick the worker, which then exits with
 * the signal still queued -- measured: the TSan builds then hung about one run in three.
 *
 * Expected: clean for threadleak (no leaks). TSan: "signal-unsafe call inside of a signal
 * handler" and "signal handler spoils errno".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_long requests_served = 1234;
static atomic_int dumps;

static void on_dump_stats(int sig)
{
    (void)sig;
    char *line = malloc(64); /* not async-signal-safe */
    if (line) {
        int n = snprintf(line, 64, "served=%ld\n", atomic_load(&requests_served));
        ssize_t ignored = write(STDOUT_FILENO, line, (size_t)n);
        (void)ignored;
        free(line);
    }
    int fd = open("/nonexistent/threadleak-stats", O_WRONLY | O_APPEND); /* sets errno */
    if (fd >= 0)
        close(fd);
    atomic_fetch_add(&dumps, 1);
}

static void *request_stats_dump(void *arg)
{
    pthread_t *main_thread = arg;
    pthread_kill(*main_thread, SIGUSR1);
    return NULL;
}

/* Waits up to 2 s for the handler to have run; false on timeout. */
static bool wait_for_dump(void)
{
    for (int waited_ms = 0; waited_ms < 2000; waited_ms++) {
        if (atomic_load(&dumps) > 0)
            return true;
        nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
    }
    return atomic_load(&dumps) > 0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_dump_stats;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    pthread_t self = pthread_self(), t;
    if (pthread_create(&t, NULL, request_stats_dump, &self) != 0) {
        perror("pthread_create");
        return 1;
    }
    bool dumped = wait_for_dump();
    pthread_join(t, NULL);
    printf("signal_handler_unsafe: %s\n", dumped ? "stats dumped" : "no dump within 2 s");
    return 0;
}
