/* shutdown_double_join: a server's shutdown joins its listener thread twice.
 *
 * The bug: stop_listener() joins the listener, and the generic cleanup at the end of main,
 * written for the error paths, joins every handle it knows again. The second join is of a thread
 * whose join already succeeded: undefined behaviour. glibc 2.36 answers ESRCH while the thread's
 * memory is still in its stack cache (as here); a reused handle could join somebody else's thread.
 *
 * Expected: clean for the leak check. With the lock module: one double_join, in cleanup_threads.
 * TSan: measured, see the manifest.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned accepted;

static void *listen_loop(void *arg)
{
    (void)arg;
    accepted = 3;
    return NULL;
}

static void stop_listener(pthread_t t)
{
    pthread_join(t, NULL);
}

static int cleanup_threads(const pthread_t *threads, int n)
{
    int errors = 0;
    for (int i = 0; i < n; i++)
        errors += pthread_join(threads[i], NULL) != 0; /* the listener was joined already */
    return errors;
}

int main(void)
{
    pthread_t threads[1];
    if (pthread_create(&threads[0], NULL, listen_loop, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    stop_listener(threads[0]);
    int errors = cleanup_threads(threads, 1);
    printf("shutdown_double_join: %u accepted, %d join error(s)\n", accepted, errors);
    return 0;
}
