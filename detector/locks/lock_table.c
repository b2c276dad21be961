/* The lock table (lock_table.h): open addressing with linear probing over one mapping. A slot's
 * address is claimed with one compare-and-swap and never released, so a reader that found an
 * address keeps finding it in the same slot; no lock anywhere. */
#include "lock_table.h"

#include <errno.h>
#include <sys/mman.h>

static struct tl__lock *_Atomic table;
static unsigned table_slots = TL_LOCK_TABLE_SLOTS;
static unsigned table_max_tracked = TL_LOCK_TABLE_MAX_TRACKED;
static _Atomic uint64_t tracked, not_tracked;
static _Atomic uint32_t next_id; /* the last identity handed out */
static atomic_bool map_failed;

/* Mapped on first use by whichever thread gets there first; a loser unmaps its own mapping.
 * MAP_NORESERVE: the pages are touched only as slots are used. */
static struct tl__lock *the_table(void)
{
    struct tl__lock *t = atomic_load_explicit(&table, memory_order_acquire);
    if (t || atomic_load_explicit(&map_failed, memory_order_relaxed))
        return t;
    size_t bytes = (size_t)table_slots * sizeof(struct tl__lock);
    int saved = errno; /* the host's lock call is under way */
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    errno = saved;
    if (m == MAP_FAILED) {
        atomic_store(&map_failed, true);
        return NULL;
    }
    struct tl__lock *expected = NULL;
    if (!atomic_compare_exchange_strong(&table, &expected, (struct tl__lock *)m)) {
        munmap(m, bytes);
        return expected;
    }
    return m;
}

/* Locks are at least 4-byte aligned; the low bits carry nothing. Fibonacci hashing spreads
 * neighbouring addresses (an array of mutexes) over the table. */
static inline unsigned slot_of(uintptr_t addr)
{
    return (unsigned)(((uint64_t)(addr >> 2) * 0x9E3779B97F4A7C15ull) >> 40) & (table_slots - 1);
}

struct tl__lock *lock_table_find(uintptr_t addr)
{
    struct tl__lock *t = atomic_load_explicit(&table, memory_order_acquire);
    if (!t || !addr)
        return NULL;
    for (unsigned i = slot_of(addr), n = 0; n < table_slots; i = (i + 1) & (table_slots - 1), n++) {
        uintptr_t a = atomic_load_explicit(&t[i].addr, memory_order_acquire);
        if (a == addr)
            return &t[i];
        if (a == 0)
            return NULL;
    }
    return NULL;
}

struct tl__lock *lock_table_get(uintptr_t addr, enum tl__lock_type type)
{
    struct tl__lock *t = the_table();
    if (!t || !addr) {
        atomic_fetch_add_explicit(&not_tracked, 1, memory_order_relaxed);
        return NULL;
    }
    for (unsigned i = slot_of(addr), n = 0; n < table_slots; i = (i + 1) & (table_slots - 1), n++) {
        uintptr_t a = atomic_load_explicit(&t[i].addr, memory_order_acquire);
        if (a == addr)
            return &t[i];
        if (a != 0)
            continue;
        /* A free slot: the end of addr's probe sequence. Claim it, unless the table is full. */
        if (atomic_fetch_add_explicit(&tracked, 1, memory_order_relaxed) >= table_max_tracked) {
            atomic_fetch_sub_explicit(&tracked, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&not_tracked, 1, memory_order_relaxed);
            return NULL;
        }
        /* The type goes in before the address is published: a reader that finds the address sees
         * it. The slot is still free, so no other thread reads the type now. */
        atomic_store_explicit(&t[i].type, (uint8_t)type, memory_order_relaxed);
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong_explicit(&t[i].addr, &expected, addr,
                                                    memory_order_acq_rel, memory_order_acquire))
            return &t[i];
        atomic_fetch_sub_explicit(&tracked, 1, memory_order_relaxed);
        if (expected == addr) /* another thread claimed it for the same lock */
            return &t[i];
        /* Another lock took the slot: probe on. */
    }
    atomic_fetch_add_explicit(&not_tracked, 1, memory_order_relaxed);
    return NULL;
}

uint32_t lock_identity(struct tl__lock *l)
{
    uint32_t id = atomic_load_explicit(&l->id, memory_order_acquire);
    if (id)
        return id;
    uint32_t fresh = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed) + 1;
    if (fresh == 0 || fresh > TL_LOCK_ID_MAX) {
        atomic_store_explicit(&next_id, TL_LOCK_ID_MAX, memory_order_relaxed);
        atomic_fetch_add_explicit(&not_tracked, 1, memory_order_relaxed);
        return 0;
    }
    /* Two threads naming the same lock at once: the first one's name stands; the other number is
     * simply never used. */
    if (atomic_compare_exchange_strong_explicit(&l->id, &id, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    return id;
}

_Atomic uint32_t lock_epoch = 1;

void lock_end_identity(struct tl__lock *l, bool destroyed)
{
    if (atomic_exchange_explicit(&l->id, 0, memory_order_acq_rel) != 0) {
        /* Never 0, which means "never known". */
        uint32_t e = atomic_fetch_add_explicit(&lock_epoch, 1, memory_order_acq_rel) + 1;
        if (e == 0)
            atomic_compare_exchange_strong(&lock_epoch, &e, 1);
    }
    if (destroyed)
        atomic_store_explicit(&l->flags, TL_LOCKF_DESTROYED, memory_order_relaxed);
    else
        atomic_store_explicit(&l->flags, TL_LOCKF_INITED, memory_order_relaxed);
}

struct tl__lock_table_stats lock_table_stats(void)
{
    uint32_t ids = atomic_load(&next_id);
    return (struct tl__lock_table_stats){
        .tracked = atomic_load(&tracked),
        .not_tracked = atomic_load(&not_tracked),
        .identities = ids > TL_LOCK_ID_MAX ? TL_LOCK_ID_MAX : ids,
    };
}

void lock_table_reset_for_tests(unsigned slots, unsigned max_tracked)
{
    struct tl__lock *t = atomic_load(&table);
    if (t)
        munmap(t, (size_t)table_slots * sizeof(struct tl__lock));
    atomic_store(&table, NULL);
    atomic_store(&map_failed, false);
    table_slots = slots;
    table_max_tracked = max_tracked;
    atomic_store(&tracked, 0);
    atomic_store(&not_tracked, 0);
    atomic_store(&next_id, 0);
}
