/* Sampling live threads per creation site: growth_sampler.h. */
#include "growth_sampler.h"

#include "findings.h"
#include "growth_history.h"
#include "registry.h"
#include "symbolize.h"
#include "toolbox.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS    8192 /* a power of two */
#define CACHE_MAX_USED (CACHE_SLOTS / 2)
#define NO_GROUP       (-1)

/* (start routine, first creation pcs) -> group, without the history's linear search. */
struct cache_slot {
    bool used;
    struct growth_key key;
    int group; /* NO_GROUP: past GROWTH_MAX_GROUPS */
};

struct sampler {
    pthread_mutex_t lock; /* guards history; threadleak's own threads only ever take it */
    struct growth_history *history;
    uint64_t next_due_ms;
    /* The sampler's thread only: */
    struct cache_slot *cache;
    size_t cache_used;
    struct tl__thread_info *threads;
    size_t threads_cap;
    uint64_t max_serial[GROWTH_MAX_GROUPS]; /* per group: the newest thread seen */
    uint32_t live[GROWTH_MAX_GROUPS], created[GROWTH_MAX_GROUPS];
};

static struct sampler sampler = {.lock = PTHREAD_MUTEX_INITIALIZER};

int growth_sampler_start(unsigned sample_ms, unsigned window_s)
{
    struct growth_history *h = growth_history_new(sample_ms, window_s);
    sampler.cache = calloc(CACHE_SLOTS, sizeof *sampler.cache);
    if (!h || !sampler.cache) {
        growth_history_free(h);
        free(sampler.cache);
        sampler.cache = NULL;
        return -1;
    }
    pthread_mutex_lock(&sampler.lock);
    sampler.history = h;
    pthread_mutex_unlock(&sampler.lock);
    return 0;
}

static struct growth_key key_of(const struct tl__thread_info *t)
{
    struct growth_key k = {.start = t->start_routine};
    for (size_t i = 0; i < GROWTH_KEY_PCS && i < t->nframes; i++)
        k.pcs[i] = t->frames[i];
    return k;
}

static size_t key_hash(const struct growth_key *k)
{
    uint64_t h = tl__hash_word(TL__HASH_SEED, (uintptr_t)k->start);
    for (size_t i = 0; i < GROWTH_KEY_PCS; i++)
        h = tl__hash_word(h, (uintptr_t)k->pcs[i]);
    return (size_t)h;
}

/* The site of a thread: its start routine, and the first creation frame with a source file.
 * Runs when a view is asked for (growth_history.h), in the thread that asks. */
static bool resolve_site(const struct tl__thread_info *t, struct growth_site *site)
{
    struct tl__frame frames[TL_MAX_FRAMES];
    size_t depth = findings_creation_stack(t, frames);
    *site = (struct growth_site){
        .start_routine = t->start_routine ? symbolize_function_or_offset(t->start_routine) : "??",
        .function = "??",
    };
    size_t pick = depth;
    for (size_t i = 0; i < depth && !findings_function_below_main(frames[i].function); i++)
        if (frames[i].file) {
            pick = i;
            break;
        }
    if (pick == depth && depth > 0)
        pick = 0;
    if (pick < depth) {
        site->function = frames[pick].function ? frames[pick].function : "??";
        site->file = frames[pick].file;
        site->line = frames[pick].line;
        if (strcmp(site->function, "??") == 0) /* a stripped binary: MODULE+0xOFF, as TSan */
            site->function = symbolize_function_or_offset((const void *)frames[pick].pc);
    }
    return true;
}

/* Called with the lock held. */
static int group_of(const struct tl__thread_info *t)
{
    struct growth_key k = key_of(t);
    size_t i = key_hash(&k) & (CACHE_SLOTS - 1);
    for (; sampler.cache[i].used; i = (i + 1) & (CACHE_SLOTS - 1))
        if (memcmp(&sampler.cache[i].key, &k, sizeof k) == 0)
            return sampler.cache[i].group;
    int g = growth_history_group(sampler.history, &k, t);
    if (sampler.cache_used < CACHE_MAX_USED) { /* past that, the history's search each time */
        sampler.cache[i] = (struct cache_slot){.used = true, .key = k, .group = g};
        sampler.cache_used++;
    }
    return g;
}

/* The registry's records, in a buffer kept from one sample to the next. */
static size_t copy_threads(void)
{
    for (;;) {
        size_t n = registry_copy_all(sampler.threads, sampler.threads_cap);
        if (n <= sampler.threads_cap)
            return n;
        size_t cap = n + n / 4 + 16;
        struct tl__thread_info *more = realloc(sampler.threads, cap * sizeof *more);
        if (!more)
            return sampler.threads_cap;
        sampler.threads = more;
        sampler.threads_cap = cap;
    }
}

static void take_sample(void)
{
    size_t n = copy_threads();
    memset(sampler.live, 0, sizeof sampler.live);
    memset(sampler.created, 0, sizeof sampler.created);
    uint64_t unattributed = 0;
    uint64_t newest[GROWTH_MAX_GROUPS];
    memcpy(newest, sampler.max_serial, sizeof newest);
    pthread_mutex_lock(&sampler.lock);
    for (size_t i = 0; i < n; i++) {
        const struct tl__thread_info *t = &sampler.threads[i];
        if (t->flags & (TL_F_TOOL | TL_F_MAIN | TL_F_JOINED))
            continue;
        int g = group_of(t);
        if (g == NO_GROUP) {
            unattributed++;
            continue;
        }
        sampler.live[g]++;
        if (t->serial > sampler.max_serial[g]) {
            sampler.created[g]++;
            newest[g] = t->serial > newest[g] ? t->serial : newest[g];
        }
    }
    memcpy(sampler.max_serial, newest, sizeof newest);
    growth_history_add(sampler.history, (int64_t)(tl__realtime_ns() / 1000000), sampler.live,
                       sampler.created, unattributed);
    pthread_mutex_unlock(&sampler.lock);
}

unsigned growth_sampler_tick(uint64_t now_ms)
{
    if (!sampler.history || !sampler.cache)
        return UINT32_MAX;
    unsigned interval = growth_history_interval_ms(sampler.history);
    if (now_ms >= sampler.next_due_ms) {
        take_sample();
        sampler.next_due_ms = now_ms + interval;
    }
    uint64_t wait = sampler.next_due_ms - now_ms;
    return wait < interval ? (unsigned)wait : interval;
}

int growth_sampler_view(struct growth_view *out)
{
    pthread_mutex_lock(&sampler.lock);
    int rc = sampler.history ? growth_history_view(sampler.history, resolve_site, out) : -1;
    pthread_mutex_unlock(&sampler.lock);
    if (rc == 0)
        growth_view_judge(out);
    return rc;
}
