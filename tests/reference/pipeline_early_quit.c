/* pipeline_early_quit: a three-stage pipeline whose last stage stops reading early.
 *
 * Go pattern: generator -> square -> print, where the printer returns after the first match and
 * the upstream goroutines block forever on `out <- v` (the classic pipeline leak).
 *
 * The bug: print_until_large returns as soon as it sees a value above 50 and is joined, but the
 * generator and the squarer are never told. Each blocks in chan_send on a full one-slot channel.
 *
 * Expected: two running, joinable leaks -- `generate` and `square` -- both created by main.
 * The printer is joined. TSan: nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* An unbuffered-ish channel of ints: one slot, senders wait for it to be empty. */
struct chan {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool full;
    int value;
};

#define CHAN_INIT                                                                                  \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER                     \
    }

static void chan_send(struct chan *c, int v)
{
    pthread_mutex_lock(&c->lock);
    while (c->full)
        pthread_cond_wait(&c->changed, &c->lock);
    c->value = v;
    c->full = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static int chan_recv(struct chan *c)
{
    pthread_mutex_lock(&c->lock);
    while (!c->full)
        pthread_cond_wait(&c->changed, &c->lock);
    int v = c->value;
    c->full = false;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    return v;
}

struct stage {
    struct chan *in;
    struct chan *out;
};

static void *generate(void *arg)
{
    struct stage *s = arg;
    for (int i = 1; i <= 100; i++)
        chan_send(s->out, i);
    return NULL;
}

static void *square(void *arg)
{
    struct stage *s = arg;
    for (;;) {
        int v = chan_recv(s->in);
        chan_send(s->out, v * v);
    }
    return NULL;
}

static void *print_until_large(void *arg)
{
    struct stage *s = arg;
    for (;;) {
        int v = chan_recv(s->in);
        printf("pipeline_early_quit: %d\n", v);
        if (v > 50)
            return NULL; /* early quit: nobody drains the upstream stages */
    }
}

static pthread_t start_stage(void *(*fn)(void *), struct stage *s)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, s) != 0) {
        perror("pthread_create");
        exit(1);
    }
    return t;
}

int main(void)
{
    static struct chan numbers = CHAN_INIT, squares = CHAN_INIT;
    static struct stage gen = {.out = &numbers};
    static struct stage sq = {.in = &numbers, .out = &squares};
    static struct stage printer = {.in = &squares};

    start_stage(generate, &gen);
    start_stage(square, &sq);
    pthread_t p = start_stage(print_until_large, &printer);
    pthread_join(p, NULL);
    return 0;
}
