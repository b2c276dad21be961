/* A library whose constructor starts a thread, possibly before threadleak's own constructor has
 * run. The thread finishes at once and is never joined: a leak that must still be reported. */
#include <pthread.h>

static int started;

static void *early_bird(void *arg)
{
    return arg;
}

__attribute__((constructor)) static void start_early(void)
{
    pthread_t t;
    started = pthread_create(&t, NULL, early_bird, NULL) == 0;
}

int ctor_threads_started(void)
{
    return started;
}
