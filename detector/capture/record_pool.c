/* Record storage. Chunks are mapped on demand and installed with a CAS, and the free list is a
 * Treiber stack whose head carries a tag against ABA. Nothing here takes a lock or calls malloc,
 * because it runs inside pthread_create's path. */
#include "record_pool.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define SLOTS_PER_CHUNK 1024u
#define MAX_CHUNKS      4096u /* 4M live threads; the table itself is 32 KiB of bss */

static _Atomic(struct tl__thread_record *) chunks[MAX_CHUNKS];
static _Atomic uint32_t slots_handed_out;
static _Atomic uint64_t free_head; /* high 32 bits: tag; low 32 bits: slot index + 1, 0 = empty */

static struct tl__thread_record *slot_at(uint32_t index)
{
    struct tl__thread_record *chunk =
        atomic_load_explicit(&chunks[index / SLOTS_PER_CHUNK], memory_order_acquire);
    return chunk ? &chunk[index % SLOTS_PER_CHUNK] : NULL;
}

static struct tl__thread_record *chunk_install(uint32_t c)
{
    struct tl__thread_record *have = atomic_load_explicit(&chunks[c], memory_order_acquire);
    if (have)
        return have;
    void *m = mmap(NULL, SLOTS_PER_CHUNK * sizeof(struct tl__thread_record), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    struct tl__thread_record *expected = NULL;
    if (atomic_compare_exchange_strong(&chunks[c], &expected, (struct tl__thread_record *)m))
        return m;
    munmap(m, SLOTS_PER_CHUNK * sizeof(struct tl__thread_record));
    return expected;
}

static struct tl__thread_record *free_list_pop(void)
{
    uint64_t head = atomic_load_explicit(&free_head, memory_order_acquire);
    for (;;) {
        uint32_t top = (uint32_t)head;
        if (top == 0)
            return NULL;
        struct tl__thread_record *r = slot_at(top - 1);
        if (!r)
            return NULL; /* cannot happen: only installed slots are ever freed */
        uint32_t next = atomic_load_explicit(&r->free_next, memory_order_relaxed);
        uint64_t replacement = ((head >> 32) + 1) << 32 | next;
        if (atomic_compare_exchange_weak(&free_head, &head, replacement))
            return r;
    }
}

struct tl__thread_record *record_pool_get(void)
{
    struct tl__thread_record *r = free_list_pop();
    if (r)
        return r;
    uint32_t index = atomic_fetch_add(&slots_handed_out, 1);
    if (index >= SLOTS_PER_CHUNK * MAX_CHUNKS) {
        atomic_fetch_sub(&slots_handed_out, 1);
        return NULL;
    }
    struct tl__thread_record *chunk = chunk_install(index / SLOTS_PER_CHUNK);
    if (!chunk)
        return NULL;
    r = &chunk[index % SLOTS_PER_CHUNK];
    r->pool_slot = index;
    return r;
}

void record_pool_put(struct tl__thread_record *r)
{
    uint32_t link = r->pool_slot + 1;
    uint64_t head = atomic_load_explicit(&free_head, memory_order_relaxed);
    for (;;) {
        atomic_store_explicit(&r->free_next, (uint32_t)head, memory_order_relaxed);
        uint64_t replacement = ((head >> 32) + 1) << 32 | link;
        if (atomic_compare_exchange_weak_explicit(&free_head, &head, replacement,
                                                  memory_order_release, memory_order_relaxed))
            return;
    }
}

void record_pool_for_each(bool (*visit)(struct tl__thread_record *r, void *ctx), void *ctx)
{
    uint32_t n = atomic_load_explicit(&slots_handed_out, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        struct tl__thread_record *r = slot_at(i);
        if (r && !visit(r, ctx))
            return;
    }
}

void record_pool_reset_except(struct tl__thread_record *keep)
{
    atomic_store(&free_head, 0);
    uint32_t n = atomic_load(&slots_handed_out);
    for (uint32_t i = 0; i < n; i++) {
        struct tl__thread_record *r = slot_at(i);
        if (!r)
            continue;
        /* A thread that no longer exists may have died holding the record's writer lock. */
        uint32_t seq = atomic_load(&r->seq);
        atomic_store(&r->seq, seq + (seq & 1));
        if (r == keep)
            continue;
        atomic_store(&r->flags, 0);
        record_pool_put(r);
    }
}
