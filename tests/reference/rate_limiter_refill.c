/* rate_limiter_refill: a token-bucket rate limiter whose refill thread is never stopped.
 *
 * Go pattern: a limiter built on `time.NewTicker` inside a goroutine with no Stop/Close path.
 *
 * The bug: limiter_init starts refill_tokens, which adds tokens every 20 ms; limiter_close only
 * marks the limiter closed for callers of limiter_acquire. The refill thread never checks that
 * flag and the limiter keeps no handle to join, so it sleeps and refills forever.
 *
 * Expected: one running, joinable leak of `refill_tokens`, created by main. TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REFILL_INTERVAL_MS 20

struct rate_limiter {
    pthread_mutex_t lock;
    pthread_cond_t refilled;
    unsigned tokens;
    unsigned burst;
    bool closed;
};

static void *refill_tokens(void *arg)
{
    struct rate_limiter *rl = arg;
    struct timespec interval = {.tv_nsec = REFILL_INTERVAL_MS * 1000000L};
    for (;;) { /* never looks at rl->closed */
        nanosleep(&interval, NULL);
        pthread_mutex_lock(&rl->lock);
        if (rl->tokens < rl->burst)
            rl->tokens++;
        pthread_cond_broadcast(&rl->refilled);
        pthread_mutex_unlock(&rl->lock);
    }
    return NULL;
}

void limiter_init(struct rate_limiter *rl, unsigned burst)
{
    pthread_mutex_init(&rl->lock, NULL);
    pthread_cond_init(&rl->refilled, NULL);
    rl->tokens = burst;
    rl->burst = burst;
    rl->closed = false;
    pthread_t refill;
    if (pthread_create(&refill, NULL, refill_tokens, rl) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

/* Takes one token, waiting for a refill if needed. False once the limiter is closed. */
static bool limiter_acquire(struct rate_limiter *rl)
{
    pthread_mutex_lock(&rl->lock);
    while (rl->tokens == 0 && !rl->closed)
        pthread_cond_wait(&rl->refilled, &rl->lock);
    bool ok = !rl->closed;
    if (ok)
        rl->tokens--;
    pthread_mutex_unlock(&rl->lock);
    return ok;
}

static void limiter_close(struct rate_limiter *rl)
{
    pthread_mutex_lock(&rl->lock);
    rl->closed = true;
    pthread_cond_broadcast(&rl->refilled);
    pthread_mutex_unlock(&rl->lock);
}

int main(void)
{
    static struct rate_limiter limiter;
    limiter_init(&limiter, 3);
    int sent = 0;
    for (int i = 0; i < 6; i++)
        sent += limiter_acquire(&limiter);
    limiter_close(&limiter);
    printf("rate_limiter_refill: sent %d requests\n", sent);
    return 0;
}
