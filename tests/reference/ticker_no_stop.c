/* ticker_no_stop: a periodic metrics flusher that has no way to stop.
 *
 * Go pattern: `go func() { for range time.Tick(d) { flush() } }()` -- a ticker loop with no
 * ctx.Done() case, so the goroutine lives as long as the process.
 *
 * The bug: metrics_start_flusher starts a thread that wakes every 50 ms to fold the request
 * counter into a total, and the metrics API offers no stop or join. When main is done the flusher
 * is asleep in nanosleep and will tick forever.
 *
 * Expected: one running, joinable leak of `flush_ticker`, created by main. TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define FLUSH_INTERVAL_MS 50

struct metrics {
    pthread_mutex_t lock;
    unsigned long pending_requests;
    unsigned long flushed_requests;
    unsigned long flushes;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void *flush_ticker(void *arg)
{
    struct metrics *m = arg;
    for (;;) { /* no stop flag: nothing ever ends this loop */
        sleep_ms(FLUSH_INTERVAL_MS);
        pthread_mutex_lock(&m->lock);
        m->flushed_requests += m->pending_requests;
        m->pending_requests = 0;
        m->flushes++;
        pthread_mutex_unlock(&m->lock);
    }
    return NULL;
}

void metrics_start_flusher(struct metrics *m)
{
    pthread_t ticker;
    if (pthread_create(&ticker, NULL, flush_ticker, m) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

static void metrics_record_request(struct metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->pending_requests++;
    pthread_mutex_unlock(&m->lock);
}

int main(void)
{
    static struct metrics metrics = {.lock = PTHREAD_MUTEX_INITIALIZER};
    metrics_start_flusher(&metrics);
    for (int i = 0; i < 12; i++) {
        metrics_record_request(&metrics);
        sleep_ms(10);
    }
    pthread_mutex_lock(&metrics.lock);
    unsigned long total = metrics.flushed_requests + metrics.pending_requests;
    pthread_mutex_unlock(&metrics.lock);
    printf("ticker_no_stop: %lu requests recorded\n", total);
    return 0; /* the flusher keeps ticking */
}
