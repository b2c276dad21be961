/* The registry: lifetime state of each record, the handle index, and exit events.
 *
 * Everything except registry_copy_all and the fork hooks runs inside pthread_create's path or an
 * exiting thread, so it is async-signal-safe and allocation-free: atomics, per-bucket spinlocks
 * and raw futex syscalls only. */
#include "registry.h"

#include "quiet_copy.h"
#include "record_pool.h"
#include "toolbox.h"

#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HASH_BUCKETS 4096u /* power of two; one spinlock each */

struct hash_bucket {
    atomic_flag lock;
    struct tl__thread_record *head;
};

static struct hash_bucket buckets[HASH_BUCKETS];
static _Atomic uint64_t next_serial = 1;
static _Atomic uint64_t threads_created;
static _Atomic uint64_t threads_live;
static _Atomic uint32_t exit_epoch;
static _Atomic uint32_t exit_waiters;

static struct hash_bucket *bucket_for(pthread_t handle)
{
    /* pthread_t is the address of the thread descriptor: drop the alignment bits, then mix. */
    uint64_t h = ((uint64_t)handle >> 6) * 0x9E3779B97F4A7C15ull;
    return &buckets[h >> (64 - 12)];
}

static void bucket_lock(struct hash_bucket *b)
{
    unsigned spins = 0;
    while (atomic_flag_test_and_set_explicit(&b->lock, memory_order_acquire)) {
        if (++spins % 64 == 0)
            sched_yield();
    }
}

static void bucket_unlock(struct hash_bucket *b)
{
    atomic_flag_clear_explicit(&b->lock, memory_order_release);
}

void registry_write_begin(struct tl__thread_record *r)
{
    /* The sequence counter doubles as the writers' lock: even means free, odd means held. */
    uint32_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
    for (;;) {
        if ((seq & 1) == 0 &&
            atomic_compare_exchange_weak_explicit(&r->seq, &seq, seq + 1, memory_order_acquire,
                                                  memory_order_relaxed))
            break;
        sched_yield();
        seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
    }
    atomic_thread_fence(memory_order_release);
}

void registry_write_end(struct tl__thread_record *r)
{
    atomic_fetch_add_explicit(&r->seq, 1, memory_order_release);
}

struct tl__thread_record *registry_new_record(void)
{
    struct tl__thread_record *r = record_pool_get();
    if (!r)
        return NULL;
    registry_write_begin(r);
    quiet_zero(&r->info, sizeof r->info);
    r->hash_next = NULL;
    r->info.serial = atomic_fetch_add_explicit(&next_serial, 1, memory_order_relaxed);
    r->info.created_ns = tl__realtime_ns();
    atomic_store_explicit(&r->flags, TL_F_IN_USE | TL_F_CREATOR_HOLD, memory_order_release);
    registry_write_end(r);
    atomic_fetch_add_explicit(&threads_live, 1, memory_order_relaxed);
    return r;
}

static void hash_insert(struct tl__thread_record *r, pthread_t handle)
{
    struct hash_bucket *b = bucket_for(handle);
    bucket_lock(b);
    r->hash_next = b->head;
    b->head = r;
    bucket_unlock(b);
}

static void hash_remove(struct tl__thread_record *r)
{
    struct hash_bucket *b = bucket_for(r->info.handle);
    bucket_lock(b);
    for (struct tl__thread_record **p = &b->head; *p; p = &(*p)->hash_next) {
        if (*p == r) {
            *p = r->hash_next;
            break;
        }
    }
    bucket_unlock(b);
}

void registry_publish(struct tl__thread_record *r, pthread_t handle)
{
    /* The creator and the new thread both publish; deciding who wins and inserting happen under
     * the bucket lock, so that whoever loses finds the record in the index when it returns (a
     * creator that joins at once must find it). */
    struct hash_bucket *b = bucket_for(handle);
    bucket_lock(b);
    uint32_t old = atomic_fetch_or(&r->flags, TL_F_PUBLISHED);
    if (!(old & TL_F_PUBLISHED)) {
        registry_write_begin(r);
        r->info.handle = handle;
        registry_write_end(r);
        r->hash_next = b->head;
        b->head = r;
    }
    bucket_unlock(b);
}

static bool is_freeable(uint32_t flags)
{
    if (flags & TL_F_CREATOR_HOLD)
        return false;
    return (flags & TL_F_JOINED) || ((flags & TL_F_EXITED) && (flags & TL_F_DETACHED));
}

static void record_free(struct tl__thread_record *r)
{
    if (atomic_load(&r->flags) & TL_F_PUBLISHED)
        hash_remove(r);
    registry_write_begin(r);
    atomic_store_explicit(&r->flags, 0, memory_order_release);
    registry_write_end(r);
    atomic_fetch_sub_explicit(&threads_live, 1, memory_order_relaxed);
    record_pool_put(r);
}

/* Sets or clears bits; frees the record when this change completed its lifetime. Exactly one
 * caller can observe the transition into the freeable state, so the record is freed once. */
static void flags_change(struct tl__thread_record *r, uint32_t set, uint32_t clear)
{
    uint32_t old = atomic_load_explicit(&r->flags, memory_order_relaxed);
    uint32_t new;
    do {
        new = (old | set) & ~clear;
    } while (!atomic_compare_exchange_weak(&r->flags, &old, new));
    if (is_freeable(new) && !is_freeable(old))
        record_free(r);
}

void registry_release_creator_hold(struct tl__thread_record *r)
{
    flags_change(r, 0, TL_F_CREATOR_HOLD);
}

void registry_discard(struct tl__thread_record *r)
{
    flags_change(r, TL_F_JOINED, TL_F_CREATOR_HOLD);
}

void registry_count_created(void)
{
    atomic_fetch_add_explicit(&threads_created, 1, memory_order_relaxed);
}

struct tl__thread_record *registry_find(pthread_t handle)
{
    struct hash_bucket *b = bucket_for(handle);
    struct tl__thread_record *found = NULL;
    bucket_lock(b);
    for (struct tl__thread_record *r = b->head; r; r = r->hash_next) {
        if (pthread_equal(r->info.handle, handle)) {
            found = r;
            break;
        }
    }
    bucket_unlock(b);
    return found;
}

void registry_thread_started(struct tl__thread_record *r, pid_t tid)
{
    registry_write_begin(r);
    r->info.tid = tid;
    registry_write_end(r);
    flags_change(r, TL_F_STARTED, 0);
}

static void exit_event(void)
{
    atomic_fetch_add_explicit(&exit_epoch, 1, memory_order_release);
    if (atomic_load_explicit(&exit_waiters, memory_order_acquire) > 0)
        syscall(SYS_futex, &exit_epoch, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

void registry_thread_exited(struct tl__thread_record *r, const char *final_name)
{
    registry_write_begin(r);
    r->info.exited_ns = tl__realtime_ns();
    if (final_name && final_name[0])
        quiet_copy_string(r->info.name, final_name, TL_NAME_MAX);
    registry_write_end(r);
    flags_change(r, TL_F_EXITED, 0);
    exit_event(); /* touches no record, so it is safe after the change above freed r */
}

void registry_thread_detached(struct tl__thread_record *r)
{
    flags_change(r, TL_F_DETACHED, 0);
}

void registry_thread_joined(struct tl__thread_record *r)
{
    flags_change(r, TL_F_JOINED, 0);
}

void registry_thread_cancelled(struct tl__thread_record *r)
{
    flags_change(r, TL_F_CANCELLED, 0);
}

void registry_set_flags(struct tl__thread_record *r, uint32_t flags)
{
    flags_change(r, flags, 0);
}

void registry_set_name(struct tl__thread_record *r, const char *name)
{
    registry_write_begin(r);
    quiet_copy_string(r->info.name, name, TL_NAME_MAX);
    registry_write_end(r);
}

bool registry_copy(const struct tl__thread_record *r, struct tl__thread_info *out)
{
    struct tl__thread_record *w = (struct tl__thread_record *)r;
    for (;;) {
        uint32_t before = atomic_load_explicit(&w->seq, memory_order_acquire);
        if (before & 1) {
            sched_yield();
            continue;
        }
        uint32_t flags = atomic_load_explicit(&w->flags, memory_order_acquire);
        if (!(flags & TL_F_IN_USE))
            return false;
        quiet_copy(out, &w->info, sizeof *out);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&w->seq, memory_order_relaxed) != before)
            continue;
        out->flags = flags;
        return true;
    }
}

struct copy_all_ctx {
    struct tl__thread_info *out;
    size_t cap;
    size_t count;
};

static bool copy_one(struct tl__thread_record *r, void *arg)
{
    struct copy_all_ctx *ctx = arg;
    if (ctx->count < ctx->cap) {
        if (registry_copy(r, &ctx->out[ctx->count]))
            ctx->count++;
    } else if (atomic_load_explicit(&r->flags, memory_order_acquire) & TL_F_IN_USE) {
        ctx->count++; /* only counted: the caller will call again with room for it */
    }
    return true;
}

size_t registry_copy_all(struct tl__thread_info *out, size_t cap)
{
    struct copy_all_ctx ctx = {out, cap, 0};
    record_pool_for_each(copy_one, &ctx);
    return ctx.count;
}

uint64_t registry_threads_created(void)
{
    return atomic_load_explicit(&threads_created, memory_order_relaxed);
}

uint64_t registry_threads_live(void)
{
    return atomic_load_explicit(&threads_live, memory_order_relaxed);
}

uint32_t registry_exit_epoch(void)
{
    return atomic_load_explicit(&exit_epoch, memory_order_acquire);
}

bool registry_wait_exit(uint32_t seen_epoch, uint64_t deadline_ns)
{
    atomic_fetch_add(&exit_waiters, 1);
    bool moved = false;
    for (;;) {
        if (atomic_load_explicit(&exit_epoch, memory_order_acquire) != seen_epoch) {
            moved = true;
            break;
        }
        uint64_t now = tl__monotonic_ns();
        if (now >= deadline_ns)
            break;
        uint64_t left = deadline_ns - now;
        struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
        syscall(SYS_futex, &exit_epoch, FUTEX_WAIT_PRIVATE, seen_epoch, &ts, NULL, 0);
    }
    atomic_fetch_sub(&exit_waiters, 1);
    return moved;
}

void registry_fork_child(struct tl__thread_record *keep)
{
    for (unsigned i = 0; i < HASH_BUCKETS; i++) {
        buckets[i].head = NULL;
        bucket_unlock(&buckets[i]);
    }
    record_pool_reset_except(keep);
    atomic_store(&threads_created, 0);
    atomic_store(&threads_live, keep ? 1 : 0);
    atomic_store(&exit_waiters, 0);
    if (keep) {
        keep->hash_next = NULL;
        hash_insert(keep, keep->info.handle);
    }
}
