/* Threads' current stacks as function names, for ignore_top and ignore_any.
 *
 * One live dump (detector/live_stacks.h) serves a whole check: it is taken the first time a
 * candidate thread needs its stack, and taken again only for a thread that started after it.
 * A dump interrupts every thread with a signal, so it happens only when the options hold a top or
 * any list and some thread survived the cheaper filters (scope, snapshot). A thread the dump
 * could not reach for a passing reason gets one more dump, within MAX_DUMPS_PER_CHECK. Where no
 * live stack is to be had (the thread exited or has not started, stacks=nosignal, the thread blocks
 * the signal, no unwinder), the one frame known to be on the stack stands in: the start routine. */
#include "test_api_internal.h"

#include "symbolize.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DUMPS_PER_CHECK 4

static bool dump_allowed(const struct test_api_stack_cache *cache)
{
    return !cache->options.nosignal && cache->dumps < MAX_DUMPS_PER_CHECK;
}

static void redump(struct test_api_stack_cache *cache)
{
    if (cache->dumps > 0)
        live_stacks_free(&cache->dump);
    cache->dumps++;
    if (live_stacks_dump(&cache->options, &cache->dump) != 0)
        memset(&cache->dump, 0, sizeof cache->dump);
}

/* Whether another dump may well get this thread's stack: it was caught at a bad moment (inside
 * the unwinder or the loader, slow to answer), or looked as if it blocked the signal, which is
 * also how a thread looks while the kernel runs the dump handler in it. */
static bool worth_retrying(enum live_stack_status status)
{
    return status == LIVE_STACK_SIGNALS_BLOCKED || status == LIVE_STACK_TIMED_OUT ||
           status == LIVE_STACK_BUSY_UNWINDING || status == LIVE_STACK_BUSY_IN_LOADER;
}

static const struct live_stack_thread *live_stack_of(struct test_api_stack_cache *cache,
                                                     const struct tl__thread_info *t)
{
    bool running = (t->flags & TL_F_STARTED) && !(t->flags & TL_F_EXITED) && t->tid > 0;
    if (!running)
        return NULL;
    const struct live_stack_thread *found =
        cache->dumps ? live_stacks_find(&cache->dump, t->tid) : NULL;
    if (!found && dump_allowed(cache)) {
        redump(cache);
        found = live_stacks_find(&cache->dump, t->tid);
    }
    if (found && worth_retrying(found->status) && dump_allowed(cache)) {
        /* The dump handler runs with every signal blocked, so a thread still on its way out of
         * it (from this check's dump or the one before) reads as "signals blocked": give it time
         * to leave first. */
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
        redump(cache);
        found = live_stacks_find(&cache->dump, t->tid);
    }
    return found && found->status == LIVE_STACK_OK && found->nframes > 0 ? found : NULL;
}

/* The C library and the loader: what a blocked thread's innermost frames are made of, and not
 * what a user means by the function "on top" of a thread. */
static bool is_system_frame(const struct tl__frame *frame)
{
    static const char *const prefixes[] = {"libc.so", "libpthread.so", "ld-linux", "linux-vdso"};
    if (!frame->module)
        return true;
    const char *slash = strrchr(frame->module, '/');
    const char *base = slash ? slash + 1 : frame->module;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    }
    return false;
}

size_t test_api_current_functions(struct test_api_stack_cache *cache,
                                  const struct tl__thread_info *t, const char **out, size_t max,
                                  size_t *top)
{
    *top = 0;
    if (max == 0)
        return 0;
    const struct live_stack_thread *live = live_stack_of(cache, t);
    if (!live) {
        out[0] = symbolize_function(t->start_routine);
        return 1;
    }
    struct tl__frame frames[LIVE_STACK_MAX_FRAMES];
    size_t n = live->nframes < max ? live->nframes : max;
    /* The first frame of a signal-time stack is the interrupted instruction itself. */
    size_t exact = live->first_frame_is_pc ? 1 : 0;
    symbolize_frames(live->frames, exact, false, frames);
    symbolize_frames(live->frames + exact, n - exact, true, frames + exact);
    bool top_found = false;
    for (size_t i = 0; i < n; i++) {
        out[i] = frames[i].function;
        if (!top_found && !is_system_frame(&frames[i])) {
            *top = i;
            top_found = true;
        }
    }
    return n;
}

void test_api_stack_cache_free(struct test_api_stack_cache *cache)
{
    if (cache->dumps > 0)
        live_stacks_free(&cache->dump);
    memset(cache, 0, sizeof *cache);
}
