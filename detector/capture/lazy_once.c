/* See lazy_once.h. */
#include "lazy_once.h"

#include "toolbox.h"

#include <sched.h>
#include <stdint.h>

enum { NOT_RUN, RUNNING, DONE };

/* The onces the calling thread is running, innermost last; a handler that nests a once inside the
 * same once would otherwise spin on itself. Onces nest (a load inside the unwinder's once may
 * call another), but never deeply. */
#define NESTING_MAX 4
static __thread struct tl__lazy_once *running[NESTING_MAX]
    __attribute__((tls_model("initial-exec")));
static __thread unsigned running_depth __attribute__((tls_model("initial-exec")));

static bool running_here(const struct tl__lazy_once *once)
{
    for (unsigned i = 0; i < running_depth && i < NESTING_MAX; i++) {
        if (running[i] == once)
            return true;
    }
    return false;
}

bool lazy_once_done(struct tl__lazy_once *once)
{
    return atomic_load_explicit(&once->state, memory_order_acquire) == DONE;
}

static bool wait_for_other(struct tl__lazy_once *once)
{
    uint64_t deadline = 0;
    while (atomic_load_explicit(&once->state, memory_order_acquire) == RUNNING) {
        uint64_t now = tl__monotonic_ns();
        if (deadline == 0)
            deadline = now + LAZY_ONCE_WAIT_NS;
        else if (now >= deadline)
            return false;
        sched_yield();
    }
    return true;
}

bool lazy_once_run(struct tl__lazy_once *once, void (*work)(void))
{
    int state = atomic_load_explicit(&once->state, memory_order_acquire);
    if (state == DONE)
        return true;
    if (state == RUNNING || !atomic_compare_exchange_strong(&once->state, &state, RUNNING)) {
        if (running_here(once))
            return false;
        return wait_for_other(once);
    }
    unsigned depth = running_depth++;
    if (depth < NESTING_MAX)
        running[depth] = once;
    atomic_signal_fence(memory_order_seq_cst); /* a handler sees running[] before the work */
    work();
    atomic_store_explicit(&once->state, DONE, memory_order_release);
    running_depth--;
    return true;
}

void lazy_once_fork_child(struct tl__lazy_once *once)
{
    if (atomic_load(&once->state) == RUNNING && !running_here(once))
        atomic_store(&once->state, NOT_RUN);
}
