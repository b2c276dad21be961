/* config_self_lock: a config reload that calls a getter which takes the same lock.
 *
 * The bug: reload_config() locks the config to swap in new values and, to log the old limit,
 * calls config_limit(), which locks the config again. The mutex is a default (non-recursive) one,
 * so the reloading thread waits for itself for ever. Certain on every run: no other thread is
 * involved.
 *
 * Expected: a live deadlock. Without the lock module the program hangs (main joins the reloader
 * for ever). Under `threadleak run --locks` (deadlock=abort): one self_lock of the reloader thread,
 * and the run exits 68. TSan: measured, see the manifest.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct config {
    pthread_mutex_t lock;
    int max_connections;
};

static struct config config = {PTHREAD_MUTEX_INITIALIZER, 64};

static int config_limit(struct config *c)
{
    pthread_mutex_lock(&c->lock); /* already held by reload_config: waits for ever */
    int limit = c->max_connections;
    pthread_mutex_unlock(&c->lock);
    return limit;
}

static void *reload_config(void *arg)
{
    struct config *c = arg;
    pthread_mutex_lock(&c->lock);
    fprintf(stderr, "config_self_lock: reloading, old limit %d\n", config_limit(c));
    c->max_connections = 128;
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int main(void)
{
    pthread_t reloader;
    if (pthread_create(&reloader, NULL, reload_config, &config) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(reloader, NULL);
    printf("config_self_lock: max_connections=%d\n", config.max_connections);
    return 0;
}
