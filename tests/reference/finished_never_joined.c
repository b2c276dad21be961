/* finished_never_joined: a start-up warm-up thread that finishes and is never joined.
 *
 * Go has no equivalent (a finished goroutine is gone); in C a finished joinable thread keeps its
 * stack and descriptor until someone joins it -- the zombie that TSan reports as a thread leak.
 *
 * The bug: start_cache_warmup launches warm_cache, main waits on the `ready` flag it sets and uses
 * the cache, but the thread handle goes out of scope and nobody joins or detaches it.
 *
 * Expected: one finished, joinable leak of `warm_cache`, created by main. TSan reports a thread
 * leak created in start_cache_warmup.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CACHE_SLOTS 64

struct cache {
    pthread_mutex_t lock;
    pthread_cond_t ready_cond;
    bool ready;
    unsigned values[CACHE_SLOTS];
};

static void *warm_cache(void *arg)
{
    struct cache *c = arg;
    unsigned values[CACHE_SLOTS];
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        values[i] = i * 2654435761u; /* stands in for loading from disk */
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        c->values[i] = values[i];
    c->ready = true;
    pthread_cond_broadcast(&c->ready_cond);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

void start_cache_warmup(struct cache *c)
{
    pthread_t warmer; /* dropped on return: never joined, never detached */
    if (pthread_create(&warmer, NULL, warm_cache, c) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

static unsigned cache_get(struct cache *c, unsigned slot)
{
    pthread_mutex_lock(&c->lock);
    while (!c->ready)
        pthread_cond_wait(&c->ready_cond, &c->lock);
    unsigned v = c->values[slot % CACHE_SLOTS];
    pthread_mutex_unlock(&c->lock);
    return v;
}

int main(void)
{
    static struct cache cache = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .ready_cond = PTHREAD_COND_INITIALIZER,
    };
    start_cache_warmup(&cache);
    printf("finished_never_joined: slot 7 = %u\n", cache_get(&cache, 7));
    /* Let the warmer finish returning, so "finished" is the state at exit. */
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}
