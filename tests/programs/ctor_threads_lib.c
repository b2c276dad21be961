/* A library whose constructor starts a thread, possibly before threadleak's own constructor has
 * run. The thread finishes at once and is never joined: a leak that must still be reported.
 * ctor_threads_wait() returns once the thread's routine is done, so that the verdict does not
 * depend on scheduling. */
#include <pthread.h>
#include <stdbool.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static bool started, done;

static void *early_bird(void *arg)
{
    pthread_mutex_lock(&lock);
    done = true;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&lock);
    return arg;
}

__attribute__((constructor)) static void start_early(void)
{
    pthread_t t;
    started = pthread_create(&t, NULL, early_bird, NULL) == 0;
}

int ctor_threads_wait(void)
{
    pthread_mutex_lock(&lock);
    while (started && !done)
        pthread_cond_wait(&done_cond, &lock);
    pthread_mutex_unlock(&lock);
    return started;
}
