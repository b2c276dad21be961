/* A program that knows nothing of threadleak, for the ctest example:
 *   worker join       starts a thread and joins it (clean)
 *   worker leak       starts a thread that waits forever, and returns from main (a leak)
 *   worker inversion  takes lock a then b, later b then a, in one thread (a lock-order
 *                     inversion, reported under LOCKS; it cannot deadlock) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *wait_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *do_nothing(void *arg)
{
    return arg;
}

static void lock_both(pthread_mutex_t *first, pthread_mutex_t *second)
{
    pthread_mutex_lock(first);
    pthread_mutex_lock(second);
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "join";
    pthread_t t;
    if (strcmp(what, "inversion") == 0) {
        lock_both(&a, &b);
        lock_both(&b, &a);
        return 0;
    }
    int leak = strcmp(what, "leak") == 0;
    if (pthread_create(&t, NULL, leak ? wait_forever : do_nothing, NULL) != 0)
        return 1;
    if (!leak)
        pthread_join(t, NULL);
    printf("worker %s: done\n", what);
    return 0;
}
