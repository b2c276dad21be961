/* Taking a thread profile: one live dump (kernel state and current stacks), one lock-free copy of
 * the registry taken after it, merged by tid, then symbolised once per distinct address.
 *
 * Merging rules, so that no tid is listed twice:
 *  - every task the dump saw is listed once, with the registry record of that tid if any; when a
 *    tid has several records (the kernel reused an exited thread's tid), the record of a thread
 *    that has not exited wins;
 *  - a record that exited, is joinable and was never joined, and whose tid no live task has, is
 *    listed as EXITED_UNJOINED (the newest one per tid); older ones are counted in
 *    hidden_reused_tid;
 *  - a record that has not exited but whose tid the dump did not see started after the dump
 *    listed /proc (or has not started yet): it is left for the next profile. */
#include "thread_profile.h"

#include "check.h"
#include "findings.h"
#include "registry.h"
#include "stack_capture.h"
#include "symbolize.h"
#include "thread_locks.h"
#include "toolbox.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INLINED_FRAMES 16
#define COPY_ATTEMPTS      8

void thread_profile_options_from_config(const struct tl__config *cfg,
                                        struct thread_profile_options *out)
{
    struct live_stacks_options live = check_live_options(cfg); /* the checks' own */
    *out = (struct thread_profile_options){
        .nosignal = live.nosignal,
        .interrupt_calls = live.interrupt_calls,
        .signal = live.signal,
        .deadline_ms = live.deadline_ms,
    };
}

/* ---- symbols ---- */

/* dladdr knows exported symbols only; the offset is shown only when it names the same function
 * as the symboliser did, so that it is never measured from some unrelated symbol below. */
static void find_offset(struct tl__location *loc, const char *function)
{
    Dl_info info;
    uintptr_t lookup = loc->return_address ? loc->pc - 1 : loc->pc;
    if (!dladdr((void *)lookup, &info) || !info.dli_sname || !info.dli_saddr)
        return;
    if (strcmp(info.dli_sname, function) != 0)
        return;
    loc->offset = loc->pc - (uintptr_t)info.dli_saddr;
    loc->offset_known = true;
}

/* A location from frames[0..n) of symbolize_frames_inlined for one pc. */
static uint32_t add_symbolised(struct thread_profile *p, uintptr_t pc, bool return_address,
                               const struct tl__frame *frames, size_t n)
{
    struct tl__frame unknown = {.pc = pc, .function = "??"};
    if (n == 0) {
        frames = &unknown;
        n = 1;
    }
    if (n > MAX_INLINED_FRAMES) {
        frames += n - MAX_INLINED_FRAMES; /* keep the outermost: the function that holds pc */
        n = MAX_INLINED_FRAMES;
    }
    struct tl__location loc = {
        .pc = pc,
        .return_address = return_address,
        .frames = frames,
        .nframes = (uint32_t)n,
    };
    if (frames[n - 1].function)
        find_offset(&loc, frames[n - 1].function);
    return thread_profile_add_location(p, &loc);
}

static uint32_t location_of(struct thread_profile *p, uintptr_t pc, bool return_address)
{
    uint32_t known = thread_profile_find_location(p, pc, return_address);
    if (known != THREAD_PROFILE_NO_LOCATION)
        return known;
    struct tl__frame frames[MAX_INLINED_FRAMES];
    void *pcs[1] = {(void *)pc};
    size_t n = symbolize_frames_inlined(pcs, 1, return_address, frames, MAX_INLINED_FRAMES);
    return add_symbolised(p, pc, return_address, frames, n);
}

/* ---- raw stacks seen before: the same frames give the same stack without a second lookup ---- */

struct raw_entry {
    const void *const *frames;
    uint32_t n;
    bool first_is_pc;
    uint32_t stack;
};

struct raw_cache {
    struct raw_entry *slots;
    size_t cap; /* power of two, at least twice the entries */
};

static bool raw_cache_init(struct raw_cache *c, size_t entries)
{
    c->cap = 16;
    while (c->cap < entries * 2)
        c->cap *= 2;
    c->slots = calloc(c->cap, sizeof *c->slots);
    return c->slots != NULL;
}

static size_t raw_hash(const void *const *frames, uint32_t n, bool first_is_pc)
{
    uint64_t h = TL__HASH_SEED ^ n ^ ((uint64_t)first_is_pc << 32);
    for (uint32_t i = 0; i < n; i++)
        h = tl__hash_word(h, (uintptr_t)frames[i]);
    return (size_t)(h ^ (h >> 29));
}

/* The slot for this raw stack: a match, or the empty slot where it goes. */
static struct raw_entry *raw_slot(struct raw_cache *c, const void *const *frames, uint32_t n,
                                  bool first_is_pc)
{
    size_t i = raw_hash(frames, n, first_is_pc) & (c->cap - 1);
    for (; c->slots[i].frames; i = (i + 1) & (c->cap - 1)) {
        const struct raw_entry *e = &c->slots[i];
        if (e->n == n && e->first_is_pc == first_is_pc &&
            memcmp(e->frames, frames, n * sizeof *frames) == 0)
            break;
    }
    return &c->slots[i];
}

/* A live stack: frames[0] is the interrupted pc when first_is_pc, every other one a return
 * address. The capture left threadleak's own frames out below frames[0]; an interrupted pc in
 * our code (the launch trampoline, the collector) is left out here, keeping the next frame a
 * return address. */
static uint32_t live_stack_of(struct thread_profile *p, struct raw_cache *cache,
                              void *const *frames, uint32_t n, bool first_is_pc)
{
    struct raw_entry *slot = raw_slot(cache, (const void *const *)frames, n, first_is_pc);
    if (slot->frames)
        return slot->stack;
    uint32_t ids[LIVE_STACK_MAX_FRAMES];
    uint32_t depth = 0;
    for (uint32_t i = 0; i < n && depth < LIVE_STACK_MAX_FRAMES; i++) {
        uintptr_t pc = (uintptr_t)frames[i];
        if (pc == 0 || stack_capture_is_own_pc(pc))
            continue;
        uint32_t id = location_of(p, pc, !(i == 0 && first_is_pc));
        if (id != THREAD_PROFILE_NO_LOCATION)
            ids[depth++] = id;
    }
    *slot = (struct raw_entry){(const void *const *)frames, n, first_is_pc,
                               thread_profile_add_stack(p, ids, depth)};
    return slot->stack;
}

/* A creation stack, without the interceptor frames above the user's pthread_create call. Its
 * frames come as the findings have them, end to end; each location's run becomes one location. */
static uint32_t creation_stack_of(struct thread_profile *p, struct raw_cache *cache,
                                  const struct tl__thread_info *info)
{
    if (info->nframes == 0)
        return THREAD_PROFILE_NO_STACK;
    struct raw_entry *slot = raw_slot(cache, (const void *const *)info->frames, info->nframes, 0);
    if (slot->frames)
        return slot->stack;
    struct tl__frame frames[TL_MAX_FRAMES];
    size_t n = findings_creation_stack(info, frames);
    uint32_t ids[TL_MAX_FRAMES];
    uint32_t depth = 0;
    for (size_t start = 0, run; start < n; start += run) {
        run = tl__location_length(frames + start, n - start);
        uint32_t id = thread_profile_find_location(p, frames[start].pc, true);
        if (id == THREAD_PROFILE_NO_LOCATION)
            id = add_symbolised(p, frames[start].pc, true, frames + start, run);
        if (id != THREAD_PROFILE_NO_LOCATION)
            ids[depth++] = id;
    }
    *slot = (struct raw_entry){(const void *const *)info->frames, info->nframes, false,
                               thread_profile_add_stack(p, ids, depth)};
    return slot->stack;
}

/* The start routine as a one-frame stack; its name comes from the same lookup. */
static uint32_t start_stack_of(struct thread_profile *p, struct thread_profile_thread *t,
                               const void *start_routine)
{
    if (!start_routine)
        return THREAD_PROFILE_NO_STACK;
    uint32_t id = location_of(p, (uintptr_t)start_routine, false);
    if (id == THREAD_PROFILE_NO_LOCATION)
        return THREAD_PROFILE_NO_STACK;
    const struct tl__location *loc = &p->locations[id];
    t->start_routine = loc->frames[loc->nframes - 1].function;
    if (strcmp(t->start_routine, "??") == 0)
        t->start_routine = symbolize_function_or_offset(start_routine);
    return thread_profile_add_stack(p, &id, 1);
}

/* ---- merging ---- */

struct registry_copy {
    struct tl__thread_info *infos; /* sorted by tid, then serial */
    size_t count;
    bool *listed; /* per info: merged with a live task or listed as exited */
};

static int compare_tid_serial(const void *pa, const void *pb)
{
    const struct tl__thread_info *a = pa, *b = pb;
    if (a->tid != b->tid)
        return a->tid < b->tid ? -1 : 1;
    return (a->serial > b->serial) - (a->serial < b->serial);
}

static int copy_registry(struct registry_copy *rc)
{
    size_t cap = registry_threads_live() + 64;
    for (int attempt = 0; attempt < COPY_ATTEMPTS; attempt++) {
        struct tl__thread_info *infos = malloc(cap * sizeof *infos);
        if (!infos)
            return -ENOMEM;
        size_t total = registry_copy_all(infos, cap);
        if (total <= cap || attempt + 1 == COPY_ATTEMPTS) {
            rc->infos = infos;
            rc->count = total <= cap ? total : cap;
            break;
        }
        free(infos);
        cap = total + total / 4 + 64;
    }
    rc->listed = calloc(rc->count ? rc->count : 1, sizeof *rc->listed);
    if (!rc->listed)
        return -ENOMEM;
    qsort(rc->infos, rc->count, sizeof *rc->infos, compare_tid_serial);
    return 0;
}

static bool exited_unjoined(const struct tl__thread_info *info)
{
    return (info->flags & TL_F_EXITED) && !(info->flags & (TL_F_DETACHED | TL_F_JOINED));
}

/* First index of tid in the sorted copy (count when absent). */
static size_t first_of_tid(const struct registry_copy *rc, pid_t tid)
{
    size_t lo = 0, hi = rc->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rc->infos[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The record for a live tid: the newest one that has not exited, else the newest one. Every
 * record of that tid is marked listed; exited-unjoined ones that lose are hidden. */
static const struct tl__thread_info *record_for_live(struct thread_profile *p,
                                                     struct registry_copy *rc, pid_t tid)
{
    const struct tl__thread_info *best = NULL;
    size_t i = first_of_tid(rc, tid);
    for (size_t k = i; k < rc->count && rc->infos[k].tid == tid; k++) {
        const struct tl__thread_info *info = &rc->infos[k];
        rc->listed[k] = true;
        if (!best || !(info->flags & TL_F_EXITED) || (best->flags & TL_F_EXITED))
            best = info;
    }
    for (size_t k = i; k < rc->count && rc->infos[k].tid == tid; k++) {
        const struct tl__thread_info *info = &rc->infos[k];
        if (info != best && exited_unjoined(info) && !(info->flags & TL_F_TOOL))
            p->hidden_reused_tid++;
    }
    return best;
}

static enum thread_profile_state state_from_kernel(const struct kernel_thread_state *k)
{
    if (k->error != 0)
        return THREAD_PROFILE_EXITING;
    switch (k->state) {
    case 'R':
        return THREAD_PROFILE_RUNNING;
    case 'T':
    case 't':
        return THREAD_PROFILE_STOPPED;
    case 'Z':
    case 'X':
    case 'x':
        return THREAD_PROFILE_EXITING;
    default:
        return THREAD_PROFILE_WAITING;
    }
}

static void set_wait_duration(struct thread_profile_thread *t, const struct kernel_thread_state *k)
{
    if (t->state != THREAD_PROFILE_WAITING && t->state != THREAD_PROFILE_STOPPED)
        return;
    switch (k->duration_source) {
    case KERNEL_DURATION_LAST_RAN:
    case KERNEL_DURATION_OBSERVED:
        t->duration = THREAD_PROFILE_DURATION_KNOWN;
        break;
    case KERNEL_DURATION_AT_LEAST:
        t->duration = THREAD_PROFILE_DURATION_AT_LEAST;
        break;
    case KERNEL_DURATION_NONE:
        return;
    }
    t->state_ns = k->waiting_ns;
}

static void fill_from_record(struct thread_profile_thread *t, const struct tl__thread_info *info,
                             pid_t pid)
{
    t->tracked = true;
    t->serial = info->serial;
    t->flags = info->flags;
    t->creator_tid = info->creator_tid;
    t->creator_is_main = info->creator_tid != 0 && info->creator_tid == pid;
    memcpy(t->creator_name, info->creator_name, TL_NAME_MAX);
    t->creator_name[TL_NAME_MAX - 1] = '\0';
    t->created_ns = info->created_ns;
    t->exited_ns = info->exited_ns;
}

/* The live dump is the run's: threads' kernel states are copied into the profile, and its stacks
 * are needed only until they are symbolised. */
struct take_run {
    struct thread_profile *p;
    const struct thread_profile_options *options;
    struct live_stacks_dump dump;
    bool has_dump;
    struct registry_copy rc;
    struct raw_cache live_cache, creation_cache;
};

/* Symbols for one listed thread: its current, creation and start-routine stacks. */
static void symbolise_thread(struct take_run *run, struct thread_profile_thread *t,
                             const struct live_stack_thread *live,
                             const struct tl__thread_info *info)
{
    if (info)
        t->start_stack = start_stack_of(run->p, t, info->start_routine);
    if (run->options->states_only)
        return;
    if (live && live->status == LIVE_STACK_OK && live->nframes > 0)
        t->stack = live_stack_of(run->p, &run->live_cache, live->frames, live->nframes,
                                 live->first_frame_is_pc);
    if (info)
        t->creation_stack = creation_stack_of(run->p, &run->creation_cache, info);
}

static struct thread_profile_lock profile_lock(struct take_run *run,
                                               const struct tl__thread_lock *l, bool symbols)
{
    return (struct thread_profile_lock){
        .address = l->addr,
        .type = l->type,
        .read = l->read,
        .location =
            symbols && l->pc ? location_of(run->p, l->pc, true) : THREAD_PROFILE_NO_LOCATION,
    };
}

/* The thread's locks as its dump handler copied them (thread_locks.h), their call sites
 * symbolised; NULL when the lock module did not answer for it. */
static const struct thread_profile_locks *locks_of(struct take_run *run,
                                                   const struct live_stack_thread *live,
                                                   struct thread_profile_locks *out,
                                                   struct thread_profile_lock *held)
{
    const struct tl__thread_locks *raw = &live->locks;
    if (!raw->known)
        return NULL;
    run->p->locks_module = true;
    bool symbols = !run->options->states_only;
    *out = (struct thread_profile_locks){.overflow = raw->overflow, .held = held};
    for (uint8_t i = 0; i < raw->nheld && i < TL_THREAD_LOCKS_MAX; i++) {
        const struct tl__thread_lock *l = &raw->held[i];
        held[out->nheld++] = profile_lock(run, l, symbols);
    }
    if (raw->waits_for.addr) {
        out->waiting = true;
        out->waits_for = profile_lock(run, &raw->waits_for, symbols);
        out->waits_for_owner = raw->waits_for_owner;
        out->waits_for_mutex = raw->waits_for_mutex;
    }
    return out;
}

static int add_live_thread(struct take_run *run, const struct live_stack_thread *live)
{
    struct thread_profile *p = run->p;
    const struct tl__thread_info *info = record_for_live(p, &run->rc, live->tid);
    if (info && (info->flags & TL_F_TOOL) && !run->options->include_tool_threads) {
        p->tool_threads++;
        return 0;
    }
    struct thread_profile_thread t = {
        .tid = live->tid,
        .is_collector = live->is_collector,
        .kernel = &live->kernel,
        .stack_status = live->status,
        .stack_partial = live->partial,
        .stack = THREAD_PROFILE_NO_STACK,
        .creation_stack = THREAD_PROFILE_NO_STACK,
        .start_stack = THREAD_PROFILE_NO_STACK,
    };
    t.state = state_from_kernel(&live->kernel);
    set_wait_duration(&t, &live->kernel);
    if (info) {
        fill_from_record(&t, info, p->pid);
        if (info->flags & TL_F_EXITED) {
            t.state = THREAD_PROFILE_EXITING; /* past its exit hook, still a task */
            t.duration = THREAD_PROFILE_DURATION_NONE;
        }
    }
    if (live->kernel.error == 0 && live->kernel.comm[0])
        memcpy(t.name, live->kernel.comm, sizeof t.name);
    else if (info)
        memcpy(t.name, info->name, sizeof t.name);
    t.name[TL_NAME_MAX - 1] = '\0';
    symbolise_thread(run, &t, live, info);
    struct thread_profile_locks locks;
    struct thread_profile_lock held[TL_THREAD_LOCKS_MAX];
    t.locks = locks_of(run, live, &locks, held);
    return thread_profile_add_thread(p, &t) ? 0 : -ENOMEM;
}

static int add_exited_thread(struct take_run *run, const struct tl__thread_info *info)
{
    struct thread_profile *p = run->p;
    struct thread_profile_thread t = {
        .tid = info->tid,
        .state = THREAD_PROFILE_EXITED_UNJOINED,
        .stack_status = LIVE_STACK_EXITED,
        .stack = THREAD_PROFILE_NO_STACK,
        .creation_stack = THREAD_PROFILE_NO_STACK,
        .start_stack = THREAD_PROFILE_NO_STACK,
    };
    fill_from_record(&t, info, p->pid);
    memcpy(t.name, info->name, sizeof t.name);
    t.name[TL_NAME_MAX - 1] = '\0';
    if (info->exited_ns && info->exited_ns <= p->taken_ns) {
        t.duration = THREAD_PROFILE_DURATION_KNOWN;
        t.state_ns = p->taken_ns - info->exited_ns;
    }
    symbolise_thread(run, &t, NULL, info);
    return thread_profile_add_thread(p, &t) ? 0 : -ENOMEM;
}

/* Records no live task matched: the newest exited-unjoined one per tid is listed. */
static int add_exited_threads(struct take_run *run)
{
    struct registry_copy *rc = &run->rc;
    for (size_t i = 0; i < rc->count;) {
        size_t end = i;
        while (end < rc->count && rc->infos[end].tid == rc->infos[i].tid)
            end++;
        const struct tl__thread_info *newest = NULL;
        for (size_t k = i; k < end; k++) {
            const struct tl__thread_info *info = &rc->infos[k];
            if (rc->listed[k] || info->tid == 0 || !exited_unjoined(info))
                continue;
            if (info->flags & TL_F_TOOL) {
                if (!run->options->include_tool_threads)
                    continue;
            }
            if (newest && !(newest->flags & TL_F_TOOL))
                run->p->hidden_reused_tid++;
            newest = info;
        }
        if (newest && add_exited_thread(run, newest) != 0)
            return -ENOMEM;
        i = end;
    }
    return 0;
}

static void count_exited_unjoined(struct thread_profile *p, const struct registry_copy *rc)
{
    for (size_t i = 0; i < rc->count; i++) {
        if (exited_unjoined(&rc->infos[i]) && !(rc->infos[i].flags & TL_F_TOOL))
            p->exited_unjoined++;
    }
}

static int compare_threads(const void *pa, const void *pb)
{
    const struct thread_profile_thread *a = pa, *b = pb;
    if (a->tid != b->tid)
        return a->tid < b->tid ? -1 : 1;
    return (a->serial > b->serial) - (a->serial < b->serial);
}

static int dump_live(struct take_run *run)
{
    const struct thread_profile_options *o = run->options;
    struct thread_profile *p = run->p;
    struct live_stacks_options lo = {
        .signal = o->signal,
        .deadline_ms = o->deadline_ms,
        .nosignal = o->nosignal || o->states_only,
        .interrupt_calls = o->interrupt_calls,
        .wchan = o->wchan,
    };
    int rc = live_stacks_dump(&lo, &run->dump);
    if (rc != 0)
        return rc;
    run->has_dump = true;
    p->signalled = run->dump.signal != 0;
    p->signal = run->dump.signal;
    p->signals_sent = run->dump.signalled;
    p->answers = run->dump.answered;
    p->process_threads = run->dump.count;
    memcpy(p->message, run->dump.message, sizeof p->message);
    p->message[sizeof p->message - 1] = '\0';
    return 0;
}

static int merge(struct take_run *run)
{
    const struct live_stacks_dump *dump = &run->dump;
    int rc = copy_registry(&run->rc);
    if (rc == 0 && (!raw_cache_init(&run->live_cache, dump->count) ||
                    !raw_cache_init(&run->creation_cache, dump->count + run->rc.count)))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < dump->count; i++)
        rc = add_live_thread(run, &dump->threads[i]);
    if (rc == 0)
        rc = add_exited_threads(run);
    count_exited_unjoined(run->p, &run->rc);
    return rc;
}

/* A holder the dump did not interrupt (asleep in poll or a timed wait, say) could not copy its
 * locks; but every thread that waits for one of them names it as the holder, by glibc's record of
 * the lock. Those locks are listed for it, each with the waiter that told. */
static int add_locks_known_from_waiters(struct thread_profile *p)
{
    for (size_t i = 0; i < p->count; i++) {
        const struct thread_profile_locks *w = p->threads[i].locks;
        /* A joined thread "could end" its joiner's wait, but holds nothing for it. */
        if (!w || !w->waiting || w->waits_for_owner <= 0 ||
            !tl__thread_lock_is_lock(w->waits_for.type))
            continue;
        size_t at = thread_profile_index(p, w->waits_for_owner);
        struct thread_profile_thread *o = at < p->count ? &p->threads[at] : NULL;
        if (!o || (o->locks && !o->locks->from_waiters))
            continue;
        struct thread_profile_locks locks = {.from_waiters = true};
        struct thread_profile_lock held[TL_THREAD_LOCKS_MAX];
        bool listed = false;
        for (uint32_t k = 0; o->locks && k < o->locks->nheld; k++) {
            held[locks.nheld++] = o->locks->held[k];
            listed = listed || o->locks->held[k].address == w->waits_for.address;
        }
        if (listed || locks.nheld == TL_THREAD_LOCKS_MAX)
            continue;
        held[locks.nheld] = w->waits_for;
        held[locks.nheld].location = THREAD_PROFILE_NO_LOCATION;
        held[locks.nheld].read = false; /* glibc records writers only */
        held[locks.nheld++].known_from = p->threads[i].tid;
        locks.held = held;
        if (thread_profile_set_locks(p, o, &locks) != 0)
            return -ENOMEM;
    }
    return 0;
}

int thread_profile_take(const struct thread_profile_options *options, struct thread_profile *out)
{
    static const struct thread_profile_options defaults = {0};
    if (!options)
        options = &defaults;
    int rc = thread_profile_init_empty(out);
    if (rc != 0)
        return rc;
    uint64_t start = tl__monotonic_ns();
    out->pid = getpid();
    out->taken_ns = tl__realtime_ns();
    struct take_run run = {.p = out, .options = options};
    rc = dump_live(&run);
    if (rc == 0)
        rc = merge(&run);
    if (run.has_dump)
        live_stacks_free(&run.dump);
    free(run.rc.infos);
    free(run.rc.listed);
    free(run.live_cache.slots);
    free(run.creation_cache.slots);
    if (rc != 0) {
        thread_profile_free(out);
        return rc;
    }
    qsort(out->threads, out->count, sizeof *out->threads, compare_threads);
    if (out->locks_module && add_locks_known_from_waiters(out) != 0) {
        thread_profile_free(out);
        return -ENOMEM;
    }
    out->created_total = registry_threads_created();
    thread_profile_count_states(out);
    out->elapsed_ns = tl__monotonic_ns() - start;
    return 0;
}
