/* A detached thread that needs argv[1] milliseconds to finish after main returns. With a linger
 * budget longer than that it is not a leak; with a shorter one it is a running, detached leak. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static void *flush_logs(void *arg)
{
    long ms = (long)arg;
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 100;
    pthread_t t;
    pthread_create(&t, NULL, flush_logs, (void *)ms);
    pthread_detach(t);
    return 0;
}
