/* Built with gcc -fsanitize=address, so that it has DT_NEEDED libasan.so.N: the CLI must preload
 * that library before the shim, or ASan aborts with "ASan runtime does not come first in initial
 * library list". It starts one thread that is still blocked when main returns, and joins nothing:
 * a leak for the shim, and a live thread for LeakSanitizer's exit-time check to stop and scan. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static sem_t started;

static void *blocked_forever(void *arg)
{
    (void)arg;
    sem_post(&started);
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    const char *preload = getenv("LD_PRELOAD");
    printf("LD_PRELOAD=%s\n", preload ? preload : "");
    pthread_t t;
    /* The thread is running before main returns, so that every exit-time check finds it live. */
    if (sem_init(&started, 0, 0) != 0 || pthread_create(&t, NULL, blocked_forever, NULL) != 0)
        return 2;
    while (sem_wait(&started) != 0)
        ;
    return 0;
}
