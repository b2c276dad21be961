/* The profile's own memory: a bump arena for strings, frames, kernel states and stack arrays,
 * growable arrays for threads, locations and stacks, and hash indexes that intern strings,
 * locations and stacks so that equal ones are stored once. Everything is freed in one go by
 * thread_profile_free. */
#include "thread_profile_store.h"

#include "toolbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (64u * 1024u)

struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct store_index {
    uint32_t *slots; /* entry + 1; 0 = empty */
    size_t cap, used;
};

struct profile_store {
    struct chunk *chunks;
    const char **strings;
    size_t nstrings, strings_cap;
    struct store_index strings_index, locations_index, stacks_index;
    size_t threads_cap, locations_cap, stacks_cap;
};

static void *store_alloc(struct profile_store *s, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct chunk *c = s->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = s->chunks;
        c->used = 0;
        c->cap = cap;
        s->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

/* Open-addressing index of uint32 entries; slots hold entry + 1 so that 0 is empty. */
static bool index_grow(struct store_index *ix, uint64_t (*hash_of)(const void *ctx, uint32_t),
                       const void *ctx)
{
    size_t cap = ix->cap ? ix->cap * 2 : 256;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->slots[i])
            continue;
        size_t j = hash_of(ctx, ix->slots[i] - 1) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = ix->slots[i];
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return true;
}

/* ---- strings ---- */

static uint64_t string_hash_of(const void *ctx, uint32_t entry)
{
    const struct profile_store *s = ctx;
    const char *str = s->strings[entry];
    return tl__hash_bytes(TL__HASH_SEED, str, strlen(str));
}

static const char *store_intern(struct profile_store *s, const char *str)
{
    if (!str)
        return NULL;
    if (s->strings_index.used * 2 >= s->strings_index.cap &&
        !index_grow(&s->strings_index, string_hash_of, s))
        return NULL;
    size_t len = strlen(str);
    struct store_index *ix = &s->strings_index;
    size_t i = tl__hash_bytes(TL__HASH_SEED, str, len) & (ix->cap - 1);
    for (; ix->slots[i]; i = (i + 1) & (ix->cap - 1)) {
        const char *known = s->strings[ix->slots[i] - 1];
        if (strcmp(known, str) == 0)
            return known;
    }
    char *copy = store_alloc(s, len + 1);
    if (!copy ||
        !tl__grow((void **)&s->strings, s->nstrings, &s->strings_cap, sizeof *s->strings, 16))
        return NULL;
    memcpy(copy, str, len + 1);
    s->strings[s->nstrings] = copy;
    ix->slots[i] = (uint32_t)++s->nstrings;
    ix->used++;
    return copy;
}

/* ---- locations ---- */

static uint64_t location_key_hash(uintptr_t pc, bool return_address)
{
    uint64_t h = tl__hash_bytes(TL__HASH_SEED, &pc, sizeof pc);
    return tl__hash_bytes(h, &return_address, 1);
}

static uint64_t location_hash_of(const void *ctx, uint32_t entry)
{
    const struct thread_profile *p = ctx;
    return location_key_hash(p->locations[entry].pc, p->locations[entry].return_address);
}

uint32_t thread_profile_find_location(const struct thread_profile *p, uintptr_t pc,
                                      bool return_address)
{
    const struct store_index *ix =
        &((const struct profile_store *)p->private_arena)->locations_index;
    if (!ix->cap)
        return THREAD_PROFILE_NO_LOCATION;
    size_t i = location_key_hash(pc, return_address) & (ix->cap - 1);
    for (; ix->slots[i]; i = (i + 1) & (ix->cap - 1)) {
        const struct tl__location *l = &p->locations[ix->slots[i] - 1];
        if (l->pc == pc && l->return_address == return_address)
            return ix->slots[i] - 1;
    }
    return THREAD_PROFILE_NO_LOCATION;
}

/* The arena's copy of loc's frames, with their strings interned; NULL on ENOMEM. */
static const struct tl__frame *copy_frames(struct profile_store *s, const struct tl__location *loc)
{
    struct tl__frame *frames = store_alloc(s, loc->nframes * sizeof *frames);
    if (!frames)
        return NULL;
    for (uint32_t k = 0; k < loc->nframes; k++) {
        const struct tl__frame *from = &loc->frames[k];
        frames[k] = (struct tl__frame){
            .pc = loc->pc,
            .function = store_intern(s, from->function ? from->function : "??"),
            .file = store_intern(s, from->file),
            .line = from->line,
            .module = store_intern(s, from->module),
            .inlined = k + 1 < loc->nframes,
        };
        if (!frames[k].function)
            return NULL;
    }
    return frames;
}

uint32_t thread_profile_add_location(struct thread_profile *p, const struct tl__location *loc)
{
    struct profile_store *s = p->private_arena;
    uint32_t known = thread_profile_find_location(p, loc->pc, loc->return_address);
    if (known != THREAD_PROFILE_NO_LOCATION)
        return known;
    if (s->locations_index.used * 2 >= s->locations_index.cap &&
        !index_grow(&s->locations_index, location_hash_of, p))
        return THREAD_PROFILE_NO_LOCATION;
    if (!tl__grow((void **)&p->locations, p->nlocations, &s->locations_cap, sizeof *p->locations,
                  16))
        return THREAD_PROFILE_NO_LOCATION;
    if (loc->nframes == 0)
        return THREAD_PROFILE_NO_LOCATION;
    struct tl__location copy = *loc;
    copy.frames = copy_frames(s, loc);
    if (!copy.frames)
        return THREAD_PROFILE_NO_LOCATION;
    uint32_t index = (uint32_t)p->nlocations++;
    p->locations[index] = copy;
    struct store_index *ix = &s->locations_index;
    size_t i = location_key_hash(loc->pc, loc->return_address) & (ix->cap - 1);
    while (ix->slots[i])
        i = (i + 1) & (ix->cap - 1);
    ix->slots[i] = index + 1;
    ix->used++;
    return index;
}

/* ---- stacks ---- */

static uint64_t stack_key_hash(const uint32_t *locations, uint32_t depth)
{
    return tl__hash_bytes(TL__HASH_SEED ^ depth, locations, depth * sizeof *locations);
}

static uint64_t stack_hash_of(const void *ctx, uint32_t entry)
{
    const struct thread_profile *p = ctx;
    return stack_key_hash(p->stacks[entry].locations, p->stacks[entry].depth);
}

uint32_t thread_profile_add_stack(struct thread_profile *p, const uint32_t *locations,
                                  uint32_t depth)
{
    struct profile_store *s = p->private_arena;
    if (depth == 0)
        return THREAD_PROFILE_NO_STACK;
    if (s->stacks_index.used * 2 >= s->stacks_index.cap &&
        !index_grow(&s->stacks_index, stack_hash_of, p))
        return THREAD_PROFILE_NO_STACK;
    struct store_index *ix = &s->stacks_index;
    size_t i = stack_key_hash(locations, depth) & (ix->cap - 1);
    for (; ix->slots[i]; i = (i + 1) & (ix->cap - 1)) {
        const struct thread_profile_stack *known = &p->stacks[ix->slots[i] - 1];
        if (known->depth == depth &&
            memcmp(known->locations, locations, depth * sizeof *locations) == 0)
            return ix->slots[i] - 1;
    }
    uint32_t *copy = store_alloc(s, depth * sizeof *copy);
    if (!copy || !tl__grow((void **)&p->stacks, p->nstacks, &s->stacks_cap, sizeof *p->stacks, 16))
        return THREAD_PROFILE_NO_STACK;
    memcpy(copy, locations, depth * sizeof *copy);
    uint32_t index = (uint32_t)p->nstacks++;
    p->stacks[index] = (struct thread_profile_stack){copy, depth};
    ix->slots[i] = index + 1;
    ix->used++;
    return index;
}

/* ---- threads and the profile ---- */

static const struct thread_profile_locks *copy_locks(struct profile_store *s,
                                                     const struct thread_profile_locks *from)
{
    struct thread_profile_locks *locks = store_alloc(s, sizeof *locks);
    struct thread_profile_lock *held =
        from->nheld ? store_alloc(s, from->nheld * sizeof *held) : NULL;
    if (!locks || (from->nheld && !held))
        return NULL;
    *locks = *from;
    if (held)
        memcpy(held, from->held, from->nheld * sizeof *held);
    locks->held = held;
    return locks;
}

int thread_profile_set_locks(struct thread_profile *p, struct thread_profile_thread *t,
                             const struct thread_profile_locks *locks)
{
    const struct thread_profile_locks *copy = copy_locks(p->private_arena, locks);
    if (!copy)
        return -ENOMEM;
    t->locks = copy;
    return 0;
}

struct thread_profile_thread *thread_profile_add_thread(struct thread_profile *p,
                                                        const struct thread_profile_thread *t)
{
    struct profile_store *s = p->private_arena;
    if (!tl__grow((void **)&p->threads, p->count, &s->threads_cap, sizeof *p->threads, 16))
        return NULL;
    struct kernel_thread_state *kernel = NULL;
    if (t->kernel) {
        kernel = store_alloc(s, sizeof *kernel);
        if (!kernel)
            return NULL;
        *kernel = *t->kernel;
    }
    const struct thread_profile_locks *locks = t->locks ? copy_locks(s, t->locks) : NULL;
    if (t->locks && !locks)
        return NULL;
    struct thread_profile_thread *slot = &p->threads[p->count++];
    *slot = *t;
    slot->kernel = kernel;
    slot->locks = locks;
    slot->start_routine = store_intern(s, t->start_routine);
    return slot;
}

const char *thread_profile_strdup(struct thread_profile *p, const char *s)
{
    return store_intern(p->private_arena, s);
}

int thread_profile_init_empty(struct thread_profile *p)
{
    memset(p, 0, sizeof *p);
    struct profile_store *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    p->private_arena = s;
    return 0;
}

void thread_profile_count_states(struct thread_profile *p)
{
    memset(p->by_state, 0, sizeof p->by_state);
    for (size_t i = 0; i < p->count; i++) {
        if (p->threads[i].state < THREAD_PROFILE_STATE_COUNT)
            p->by_state[p->threads[i].state]++;
    }
}

void thread_profile_free(struct thread_profile *p)
{
    struct profile_store *s = p->private_arena;
    if (s) {
        for (struct chunk *c = s->chunks, *next; c; c = next) {
            next = c->next;
            free(c);
        }
        free(s->strings);
        free(s->strings_index.slots);
        free(s->locations_index.slots);
        free(s->stacks_index.slots);
        free(s);
    }
    free(p->threads);
    free(p->locations);
    free(p->stacks);
    memset(p, 0, sizeof *p);
}
