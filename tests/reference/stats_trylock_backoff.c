/* stats_trylock_backoff: a stats flusher that takes the cache lock with trylock and backs off.
 *
 * The cache filler locks the cache, then the stats (cache -> stats). The flusher needs both the
 * other way round, so it locks the stats and only *tries* the cache: when the cache is busy it
 * drops the stats lock, yields and starts over. A trylock cannot wait, so the two orders can never
 * deadlock: the correct form of lock_order_inversion.
 *
 * Expected: clean, also with the lock module (a successful trylock adds no order edge to itself).
 * The threads run together; whichever interleaving happens, the totals printed are the same.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 200

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long cache_entries, stats_inserts, stats_flushed, flushes;

static void *fill_cache(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&cache_lock);
        cache_entries++;
        pthread_mutex_lock(&stats_lock);
        stats_inserts++;
        pthread_mutex_unlock(&stats_lock);
        pthread_mutex_unlock(&cache_lock);
    }
    return NULL;
}

static void flush_once(void)
{
    for (;;) {
        pthread_mutex_lock(&stats_lock);
        if (pthread_mutex_trylock(&cache_lock) == 0) {
            stats_flushed = cache_entries;
            flushes++;
            pthread_mutex_unlock(&cache_lock);
            pthread_mutex_unlock(&stats_lock);
            return;
        }
        pthread_mutex_unlock(&stats_lock); /* back off: never wait for the cache holding stats */
        sched_yield();
    }
}

static void *flush_stats(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++)
        flush_once();
    return NULL;
}

int main(void)
{
    pthread_t filler, flusher;
    if (pthread_create(&filler, NULL, fill_cache, NULL) != 0 ||
        pthread_create(&flusher, NULL, flush_stats, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(filler, NULL);
    pthread_join(flusher, NULL);
    printf("stats_trylock_backoff: %lu entries, %lu inserts, %lu flushes\n", cache_entries,
           stats_inserts, flushes);
    return 0;
}
