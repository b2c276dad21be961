/* cache_destroy_locked: a cache torn down while its lock is still held.
 *
 * The bug: cache_shutdown() locks the cache to drop its entries and then calls cache_destroy(),
 * which destroys the mutex -- still locked by the same thread. glibc's pthread_mutex_destroy
 * returns EBUSY for a locked mutex; the return value is ignored, as it often is. The filler thread
 * is joined before; the shutdown runs in main, whose exit is not a thread ending with a lock held.
 *
 * Expected: clean for the leak check. With the lock module: one destroy_locked, in
 * cache_destroy. TSan: "destroy of a locked mutex".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CACHE_SLOTS 16

struct cache {
    pthread_mutex_t lock;
    int *slots[CACHE_SLOTS];
    unsigned entries;
};

static struct cache cache;

static void cache_put(struct cache *c, unsigned key, int value)
{
    pthread_mutex_lock(&c->lock);
    int *v = malloc(sizeof *v);
    if (v) {
        *v = value;
        free(c->slots[key % CACHE_SLOTS]);
        c->slots[key % CACHE_SLOTS] = v;
        c->entries++;
    }
    pthread_mutex_unlock(&c->lock);
}

static void cache_destroy(struct cache *c)
{
    pthread_mutex_destroy(&c->lock); /* EBUSY: the caller still holds it */
}

static unsigned cache_shutdown(struct cache *c)
{
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < CACHE_SLOTS; i++) {
        free(c->slots[i]);
        c->slots[i] = NULL;
    }
    unsigned dropped = c->entries;
    cache_destroy(c); /* should unlock first */
    return dropped;
}

static void *fill_cache(void *arg)
{
    for (unsigned i = 0; i < 8; i++)
        cache_put(arg, i, (int)i * 10);
    return NULL;
}

int main(void)
{
    pthread_mutex_init(&cache.lock, NULL);
    pthread_t filler;
    if (pthread_create(&filler, NULL, fill_cache, &cache) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(filler, NULL);
    printf("cache_destroy_locked: %u entries dropped\n", cache_shutdown(&cache));
    return 0;
}
