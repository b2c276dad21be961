/* In-process dump of every thread's current stack: see live_stacks.h and docs/live-stacks.md.
 *
 * Two kinds of code live here. The signal handler (dump_signal_handler and what it calls) is
 * async-signal-safe and allocation-free: atomics, gettid, futex wake, and
 * stack_capture_from_signal. Everything else runs in the collector thread under dump_lock. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "live_stacks.h"

#include "call_interruption.h"
#include "call_resume.h"
#include "module_text.h"
#include "parked_stack.h"
#include "quiet_mask.h"
#include "stack_capture.h"
#include "toolbox.h"

#include <sys/auxv.h>
#include <ucontext.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the mailbox */

/* A slot's word packs (generation:30, phase:2, tid:32). The collector arms a slot for one
 * (generation, tid); only a handler running in that tid for that generation can claim it, and
 * only once; the collector closes unanswered slots with the reverse CAS. */
enum slot_phase { PHASE_FREE = 0, PHASE_ARMED = 1, PHASE_WRITING = 2, PHASE_DONE = 3 };

#define GENERATION_MASK 0x3fffffffu
/* In a request's low word, beside the slot index: the collector saw the thread running or in a
 * call the kernel restarts, so a call the signal interrupted was entered after that look, and may
 * be resumed (call_resume.h). Never set for a thread known to be in such a call. */
#define REQUEST_RESUME 0x80000000u

struct mailbox_slot {
    _Atomic uint64_t word;
    _Atomic pid_t inside; /* a handler that claimed this slot and has not returned yet */
    uint32_t status;      /* enum live_stack_status, written by the handler before DONE */
    uint16_t nframes;
    uint16_t handler_switches; /* times the handler blocked (for the wait tracker) */
    void *frames[LIVE_STACK_MAX_FRAMES];
    struct tl__thread_locks locks; /* the thread's locks, from the probe */
};

struct mailbox {
    size_t capacity;
    size_t bytes;
    struct mailbox *next_retired;
    struct mailbox_slot slots[];
};

static inline uint64_t slot_word(uint32_t generation, enum slot_phase phase, pid_t tid)
{
    return (uint64_t)(generation & GENERATION_MASK) << 34 | (uint64_t)phase << 32 | (uint32_t)tid;
}

static inline enum slot_phase slot_phase_of(uint64_t word)
{
    return (enum slot_phase)((word >> 32) & 3u);
}

/* Shared with the handler. */
static _Atomic(struct mailbox *) current_mailbox;
static _Atomic uint32_t handlers_in_flight; /* handlers that may hold a mailbox pointer */
static _Atomic uint32_t acks;               /* futex word: answers since the dump began */
static _Atomic uint32_t acks_wanted;        /* the handler wakes the collector at this count */
static _Atomic pid_t dump_pid;              /* requests come only from this process */
static _Atomic(tl__thread_locks_probe) locks_probe; /* live_stacks_set_locks_probe */
static __thread unsigned loader_depth __attribute__((tls_model("initial-exec")));
/* The dynamic loader's code. dlopen and dlclose change the link map from inside it, and libunwind
 * walks that map (dl_iterate_phdr): a thread interrupted there is not unwound. The shim cannot
 * wrap dlopen instead, because glibc resolves $ORIGIN and RUNPATH from dlopen's caller. */
static struct tl__text_range loader_text;

/* The collector's own state, under dump_lock. */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mailbox *retired_mailboxes;
static uint32_t generation;
static int installed_signal;
static struct kernel_wait_tracker wait_tracker;

/* ---------------------------------------------------------------- the handler (AS-safe) */

void live_stacks_enter_loader(void)
{
    loader_depth++;
    atomic_signal_fence(memory_order_seq_cst);
}

void live_stacks_leave_loader(void)
{
    atomic_signal_fence(memory_order_seq_cst);
    loader_depth--;
}

void live_stacks_set_locks_probe(tl__thread_locks_probe probe)
{
    atomic_store(&locks_probe, probe);
}

/* Async-signal-safe: the probe is (thread_locks.h). */
static void take_locks(struct tl__thread_locks *out)
{
    tl__thread_locks_probe probe = atomic_load_explicit(&locks_probe, memory_order_relaxed);
    if (!probe || !probe(out))
        out->known = false;
}

static void wake_collector(void)
{
    syscall(SYS_futex, &acks, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The calling thread's voluntary context switches: a bare syscall, async-signal-safe. */
static long voluntary_switches(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_THREAD, &usage) == 0 ? usage.ru_nvcsw : 0;
}

static bool interrupted_in_loader(const void *ucontext)
{
    uintptr_t pc = (uintptr_t)((const ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RIP];
    return text_range_holds(&loader_text, pc);
}

/* Async-signal-safe, allocation-free. Writes only into a slot it won by CAS. */
static void answer_request(struct mailbox_slot *slot, uint32_t request_generation, void *ucontext)
{
    pid_t self = (pid_t)syscall(SYS_gettid);
    uint64_t armed = slot_word(request_generation, PHASE_ARMED, self);
    if (!atomic_compare_exchange_strong(&slot->word, &armed,
                                        slot_word(request_generation, PHASE_WRITING, self)))
        return; /* late, stale, or not for us */
    atomic_store(&slot->inside, self);
    unsigned n = 0;
    slot->handler_switches = 0;
    if (loader_depth > 0 || interrupted_in_loader(ucontext)) {
        slot->status = LIVE_STACK_BUSY_IN_LOADER;
    } else if (stack_capture_busy()) {
        slot->status = LIVE_STACK_BUSY_UNWINDING;
    } else {
        long before = voluntary_switches();
        quiet_mask_enter(); /* libunwind's sigprocmask calls change nothing here: see there */
        n = stack_capture_from_signal(ucontext, slot->frames, LIVE_STACK_MAX_FRAMES);
        quiet_mask_leave();
        long blocked = voluntary_switches() - before;
        slot->handler_switches = (uint16_t)(blocked > 0 && blocked < UINT16_MAX ? blocked : 0);
        slot->status = LIVE_STACK_OK;
    }
    slot->nframes = (uint16_t)n;
    take_locks(&slot->locks);
    atomic_store_explicit(&slot->word, slot_word(request_generation, PHASE_DONE, self),
                          memory_order_release);
    if (atomic_fetch_add(&acks, 1) + 1 >= atomic_load(&acks_wanted))
        wake_collector();
    /* Until here the dump signal is blocked in this thread (we are its handler): a dump reading
     * SigBlk meanwhile must not take that for the thread's own choice. */
    atomic_store(&slot->inside, 0);
}

/* Async-signal-safe, allocation-free. */
static void dump_signal_handler(int signo, siginfo_t *info, void *ucontext)
{
    if (info->si_code != SI_QUEUE || info->si_pid != atomic_load(&dump_pid))
        return; /* someone else's signal: nothing to answer */
    int saved_errno = errno;
    atomic_fetch_add(&handlers_in_flight, 1); /* before loading the mailbox pointer */
    struct mailbox *box = atomic_load(&current_mailbox);
    uint64_t request = (uint64_t)(uintptr_t)info->si_value.sival_ptr;
    uint32_t index = (uint32_t)request & ~REQUEST_RESUME;
    if (box && index < box->capacity)
        answer_request(&box->slots[index], (uint32_t)(request >> 32), ucontext);
    atomic_fetch_sub(&handlers_in_flight, 1);
    errno = saved_errno;
    /* Last, after the stack was taken where the thread really was: if the thread entered poll
     * or the like after the collector's look, put it back into that call. Also for a late
     * answer: the signal was still sent to a thread seen outside such a call. */
    if ((uint32_t)request & REQUEST_RESUME)
        call_resume_after_signal(ucontext, signo);
}

/* ---------------------------------------------------------------- the signal */

static bool handler_is_ours(const struct sigaction *act)
{
    return (act->sa_flags & SA_SIGINFO) && act->sa_sigaction == dump_signal_handler;
}

static void signal_label(int signo, char *out, size_t cap)
{
    if (signo >= SIGRTMIN && signo <= SIGRTMAX)
        snprintf(out, cap, "SIGRTMIN+%d", signo - SIGRTMIN);
    else
        snprintf(out, cap, "signal %d", signo);
}

/* Ours already, or free (default disposition) and now ours. Never restored afterwards: a late
 * dump signal would then kill the process with the default action. */
static bool claim_signal(int signo)
{
    struct sigaction act;
    if (sigaction(signo, NULL, &act) != 0)
        return false;
    if (handler_is_ours(&act))
        return true;
    if (act.sa_handler != SIG_DFL)
        return false;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = dump_signal_handler;
    act.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&act.sa_mask);
    return sigaction(signo, &act, NULL) == 0;
}

/* Picks the signal for this dump: the wanted one if it is free or ours, else the next free
 * real-time signal, saying so in msg. Returns 0 when none is usable. */
static int choose_signal(int wanted, char *msg, size_t cap)
{
    int fallback = SIGRTMIN + LIVE_STACKS_SIGNAL_OFFSET;
    if (wanted == 0)
        wanted = installed_signal ? installed_signal : fallback;
    char label[32];
    if (wanted < SIGRTMIN || wanted > SIGRTMAX) {
        signal_label(wanted, label, sizeof label);
        snprintf(msg, cap, "%s is not a real-time signal; ", label);
        wanted = fallback;
    }
    int span = SIGRTMAX - SIGRTMIN + 1;
    for (int i = 0; i < span; i++) {
        int signo = SIGRTMIN + (wanted - SIGRTMIN + i) % span;
        if (!claim_signal(signo))
            continue;
        if (signo != wanted) {
            char chosen[32];
            signal_label(wanted, label, sizeof label);
            signal_label(signo, chosen, sizeof chosen);
            size_t at = strlen(msg);
            snprintf(msg + at, cap - at, "%s has another handler; using %s", label, chosen);
        }
        installed_signal = signo;
        return signo;
    }
    size_t at = strlen(msg);
    snprintf(msg + at, cap - at, "no free real-time signal; kernel state only");
    return 0;
}

int live_stacks_current_signal(void)
{
    pthread_mutex_lock(&dump_lock);
    int signo = installed_signal;
    pthread_mutex_unlock(&dump_lock);
    return signo;
}

/* ---------------------------------------------------------------- mailbox management */

static void *map_zeroed(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* A retired mailbox may still be in a handler's hands; once no handler is running, none can be:
 * any handler starting later loads the current pointer. */
static void free_retired_mailboxes(void)
{
    if (!retired_mailboxes || atomic_load(&handlers_in_flight) != 0)
        return;
    while (retired_mailboxes) {
        struct mailbox *next = retired_mailboxes->next_retired;
        munmap(retired_mailboxes, retired_mailboxes->bytes);
        retired_mailboxes = next;
    }
}

/* Not claimed by a handler that is still running (its last store would land on a new claim). */
static bool slot_reusable(struct mailbox_slot *slot)
{
    return slot_phase_of(atomic_load(&slot->word)) != PHASE_WRITING &&
           atomic_load(&slot->inside) == 0;
}

static size_t usable_slots(struct mailbox *box)
{
    size_t usable = 0;
    for (size_t i = 0; i < box->capacity; i++)
        usable += slot_reusable(&box->slots[i]);
    return usable;
}

/* Enough free slots for `threads` requests, with headroom for threads created meanwhile. */
static struct mailbox *mailbox_for(size_t threads)
{
    struct mailbox *box = atomic_load(&current_mailbox);
    if (box && usable_slots(box) >= threads)
        return box;
    size_t capacity = threads + threads / 4 + 16;
    if (box && capacity < box->capacity * 2)
        capacity = box->capacity * 2;
    size_t bytes = sizeof(struct mailbox) + capacity * sizeof(struct mailbox_slot);
    struct mailbox *fresh = map_zeroed(bytes);
    if (!fresh)
        return box && usable_slots(box) > 0 ? box : NULL;
    fresh->capacity = capacity;
    fresh->bytes = bytes;
    atomic_store(&current_mailbox, fresh);
    if (box) {
        box->next_retired = retired_mailboxes;
        retired_mailboxes = box;
    }
    return fresh;
}

/* ---------------------------------------------------------------- listing threads */

static int compare_tids(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* Every tid in /proc/self/task, sorted, each once: the directory can return a tid twice when
 * threads exit while it is read. The array is malloc'd; *count is set. */
static int list_tids(int task_dir, pid_t **tids, size_t *count)
{
    char buf[8192];
    size_t n = 0, cap = 256;
    pid_t *out = malloc(cap * sizeof *out);
    if (!out)
        return -ENOMEM;
    lseek(task_dir, 0, SEEK_SET);
    for (;;) {
        long got = syscall(SYS_getdents64, task_dir, buf, sizeof buf);
        if (got < 0) {
            int err = errno;
            free(out);
            return -err;
        }
        if (got == 0)
            break;
        for (long at = 0; at < got;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *entry = (void *)(buf + at);
            at += entry->reclen;
            long tid = strtol(entry->name, NULL, 10);
            if (tid <= 0)
                continue;
            if (n == cap) {
                pid_t *bigger = realloc(out, 2 * cap * sizeof *out);
                if (!bigger) {
                    free(out);
                    return -ENOMEM;
                }
                out = bigger;
                cap *= 2;
            }
            out[n++] = (pid_t)tid;
        }
    }
    qsort(out, n, sizeof *out, compare_tids);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || out[unique - 1] != out[i])
            out[unique++] = out[i];
    *tids = out;
    *count = unique;
    return 0;
}

/* ---------------------------------------------------------------- one dump */

struct pending {
    uint32_t thread; /* index into the dump's threads */
    uint32_t slot;   /* index into the mailbox */
};

struct dump_run {
    struct live_stacks_dump *out;
    struct mailbox *box;
    struct pending *pending;
    size_t npending;
    size_t next_slot;
    int signo;
    bool interrupt_calls;
    int task_dir;
    unsigned kernel_flags; /* for kernel_state_read */
    pid_t pid, self;
    uid_t uid;
    uint32_t generation;
    uint64_t deadline_ns;
};

/* Whether tid is running our handler right now, which blocks the signal until it returns. */
static bool in_dump_handler(const struct dump_run *run, pid_t tid)
{
    for (size_t i = 0; run->box && i < run->box->capacity; i++)
        if (atomic_load(&run->box->slots[i].inside) == tid)
            return true;
    return false;
}

/* The thread blocks the dump signal by its own choice, not because it is finishing our handler
 * from an earlier dump (a signal sent now is delivered as soon as that handler returns). */
static bool blocks_signal(const struct dump_run *run, const struct kernel_thread_state *ks)
{
    return ks->sigblk_known && (ks->sigblk & (1ull << (run->signo - 1))) &&
           !in_dump_handler(run, ks->tid);
}

/* blocks_signal, looked at again before it counts: a thread returning from our previous dump's
 * handler still blocks the signal for the few instructions between clearing `inside` and
 * sigreturn. It unblocks within microseconds; a thread that blocks by choice does not. Costs
 * three short sleeps only for threads that look blocked. */
static bool keeps_blocking_signal(const struct dump_run *run, const struct kernel_thread_state *ks)
{
    if (!blocks_signal(run, ks))
        return false;
    for (int look = 0; look < 3; look++) {
        struct timespec pause = {0, 100 * 1000};
        nanosleep(&pause, NULL);
        struct kernel_thread_state now;
        if (kernel_state_read(run->task_dir, ks->tid, KERNEL_STATE_BRIEF, NULL, &now) != 0 ||
            !blocks_signal(run, &now))
            return false; /* gone (the signal then finds out), or it was ours */
    }
    return true;
}

/* A slot no handler is using; -1 when the mailbox has none left. */
static long arm_slot(struct dump_run *run, pid_t tid)
{
    for (; run->next_slot < run->box->capacity; run->next_slot++) {
        struct mailbox_slot *slot = &run->box->slots[run->next_slot];
        uint64_t word = atomic_load(&slot->word);
        if (!slot_reusable(slot))
            continue; /* a handler of an earlier dump is still in it */
        if (atomic_compare_exchange_strong(&slot->word, &word,
                                           slot_word(run->generation, PHASE_ARMED, tid)))
            return (long)run->next_slot++;
    }
    return -1;
}

/* Takes the request back; false when a handler already claimed it. */
static bool disarm_slot(struct dump_run *run, uint32_t slot, pid_t tid)
{
    uint64_t armed = slot_word(run->generation, PHASE_ARMED, tid);
    return atomic_compare_exchange_strong(&run->box->slots[slot].word, &armed, 0);
}

static int send_request(struct dump_run *run, pid_t tid, uint32_t slot, bool resume)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = run->signo;
    info.si_code = SI_QUEUE;
    info.si_pid = run->pid;
    info.si_uid = run->uid;
    uint32_t low = slot | (resume ? REQUEST_RESUME : 0);
    info.si_value.sival_ptr = (void *)(uintptr_t)((uint64_t)run->generation << 32 | low);
    if (syscall(SYS_rt_tgsigqueueinfo, run->pid, tid, run->signo, &info) == 0)
        return 0;
    return -errno;
}

static bool in_syscall(const struct kernel_thread_state *ks)
{
    return ks->syscall_state == KERNEL_SYSCALL_IN || ks->syscall_state == KERNEL_SYSCALL_NONE;
}

/* Takes the stack of a thread parked in a syscall from /proc's sp and pc, without touching it.
 * The stack is copied after /proc was read, so /proc is read again afterwards: only when the
 * thread is still in the very same call (same arguments, sp and pc) is the copy its stack. */
static bool take_parked_stack(const struct dump_run *run, struct live_stack_thread *t)
{
    const struct kernel_thread_state *ks = &t->kernel;
    if (!in_syscall(ks))
        return false;
    struct parked_stack got;
    if (!parked_stack_unwind(ks->user_sp, ks->user_pc, t->frames, LIVE_STACK_MAX_FRAMES, &got))
        return false;
    struct kernel_thread_state again = *ks;
    kernel_state_reread_syscall(run->task_dir, &again);
    if (!kernel_state_same_call(ks, &again)) {
        t->nframes = 0;
        return false;
    }
    t->nframes = (uint16_t)got.nframes;
    t->first_frame_is_pc = true;
    t->parked = true;
    t->partial = got.partial;
    return true;
}

/* In a call a handler would show in, or blocking the signal while in a syscall: the stack comes
 * from /proc, or is not taken. */
static enum live_stack_status leave_alone(const struct dump_run *run, struct live_stack_thread *t,
                                          bool blocks)
{
    if (take_parked_stack(run, t))
        return LIVE_STACK_OK;
    if (blocks)
        return LIVE_STACK_SIGNALS_BLOCKED;
    return t->kernel.syscall_state == KERNEL_SYSCALL_UNREAD ? LIVE_STACK_CALL_UNREADABLE
                                                            : LIVE_STACK_WOULD_INTERRUPT;
}

/* What to do with a thread whose kernel state we just read. LIVE_STACK_OK with no frames means:
 * signal it. */
static enum live_stack_status status_before_signal(const struct dump_run *run,
                                                   struct live_stack_thread *t)
{
    struct kernel_thread_state *ks = &t->kernel;
    if (ks->error || ks->state == 'Z' || ks->state == 'X')
        return LIVE_STACK_EXITED;
    if (run->signo == 0)
        return LIVE_STACK_NOT_SIGNALLED;
    if (ks->state == 'T' || ks->state == 't')
        return LIVE_STACK_STOPPED;
    if (run->interrupt_calls)
        return keeps_blocking_signal(run, ks) ? LIVE_STACK_SIGNALS_BLOCKED : LIVE_STACK_OK;
    if (call_would_see_signal(ks))
        return leave_alone(run, t, false);
    if (blocks_signal(run, ks) && in_syscall(ks))
        return leave_alone(run, t, true);
    if (keeps_blocking_signal(run, ks))
        return LIVE_STACK_SIGNALS_BLOCKED;
    if (tl__monotonic_ns() >= run->deadline_ns)
        return LIVE_STACK_TIMED_OUT; /* the budget went on reading /proc: don't start waits */
    /* `syscall` was the last file read, just now, unless the wait tracker read more since (a
     * wait it had not seen: stat and sched). Then a thread that was running may have entered
     * poll meanwhile: one more look, as close to the signal as we can make it. What remains is
     * the few microseconds between the last read and the signal (docs/live-stacks.md). */
    if (!t->looked_again)
        return LIVE_STACK_OK; /* meaning: signal it */
    struct kernel_thread_state now = *ks;
    kernel_state_reread_syscall(run->task_dir, &now);
    if (call_would_see_signal(&now)) {
        *ks = now;
        kernel_state_describe(ks, ks->wait, sizeof ks->wait);
        return leave_alone(run, t, false);
    }
    return LIVE_STACK_OK; /* meaning: signal it */
}

static void request_stack(struct dump_run *run, uint32_t index)
{
    struct live_stack_thread *t = &run->out->threads[index];
    long slot = arm_slot(run, t->tid);
    if (slot < 0) {
        t->status = LIVE_STACK_NOT_SIGNALLED; /* mailbox full: cannot happen with headroom */
        return;
    }
    /* A thread is signalled in such a call only under interrupt_calls; then it must not be
     * resumed (call_resume.h). Otherwise status_before_signal already knows it was not in one. */
    bool resume = !run->interrupt_calls || !call_would_see_signal(&t->kernel);
    int rc = send_request(run, t->tid, (uint32_t)slot, resume);
    if (rc != 0) {
        disarm_slot(run, (uint32_t)slot, t->tid);
        t->status = rc == -ESRCH ? LIVE_STACK_EXITED : LIVE_STACK_NOT_SIGNALLED;
        if (rc == -EAGAIN)
            snprintf(run->out->message, sizeof run->out->message,
                     "the real-time signal queue is full (RLIMIT_SIGPENDING)");
        return;
    }
    t->status = LIVE_STACK_TIMED_OUT; /* until it answers */
    run->out->signalled++;
    kernel_wait_tracker_note_signal(&wait_tracker, t->tid);
    run->pending[run->npending++] = (struct pending){index, (uint32_t)slot};
}

/* The collector reads its own `syscall` file from inside read(), so /proc says "read fd N
 * (/proc/...)": true but useless. It is running the dump. */
static void mark_running(struct kernel_thread_state *ks)
{
    ks->state = 'R';
    ks->syscall_state = KERNEL_SYSCALL_RUNNING;
    ks->syscall_nr = -1;
    ks->syscall_name = NULL;
    memset(ks->args, 0, sizeof ks->args);
    ks->fd = -1;
    ks->fd_target[0] = '\0';
    ks->futex_kind = KERNEL_FUTEX_NONE;
    ks->waiting_ns = 0;
    ks->duration_source = KERNEL_DURATION_NONE;
    kernel_state_describe(ks, ks->wait, sizeof ks->wait);
}

static void capture_self(struct live_stack_thread *t)
{
    mark_running(&t->kernel);
    t->is_collector = true;
    t->first_frame_is_pc = false;
    t->nframes = (uint16_t)stack_capture(t->frames, LIVE_STACK_MAX_FRAMES, TL_CAPTURE_CAREFUL);
    t->status = LIVE_STACK_OK;
    take_locks(&t->locks);
}

/* Reads every thread's kernel state and signals it right away, so each round trip overlaps the
 * next thread's /proc reads. */
static void read_and_signal(struct dump_run *run, const pid_t *tids, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct live_stack_thread *t = &run->out->threads[i];
        t->tid = tids[i];
        kernel_state_read(run->task_dir, t->tid, run->kernel_flags, NULL, &t->kernel);
        bool read_more = !t->kernel.stat_known;
        kernel_wait_tracker_observe(&wait_tracker, run->task_dir, &t->kernel);
        t->looked_again = read_more && t->kernel.stat_known; /* stat and sched since `syscall` */
        if (t->tid == run->self) {
            capture_self(t);
            continue;
        }
        t->status = status_before_signal(run, t);
        if (t->status == LIVE_STACK_OK && !t->parked)
            request_stack(run, (uint32_t)i);
    }
}

/* Copies a finished answer out and frees the slot. */
static void harvest(struct dump_run *run, const struct pending *p)
{
    struct mailbox_slot *slot = &run->box->slots[p->slot];
    struct live_stack_thread *t = &run->out->threads[p->thread];
    unsigned n = slot->nframes < LIVE_STACK_MAX_FRAMES ? slot->nframes : LIVE_STACK_MAX_FRAMES;
    memcpy(t->frames, slot->frames, n * sizeof t->frames[0]);
    t->nframes = (uint16_t)n;
    t->first_frame_is_pc = true;
    t->status = (enum live_stack_status)slot->status;
    t->locks = slot->locks;
    if (slot->handler_switches > 0)
        kernel_wait_tracker_note_handler_switches(&wait_tracker, t->tid, slot->handler_switches);
    run->out->answered++;
    atomic_store(&slot->word, 0);
}

static bool answered(const struct dump_run *run, const struct pending *p)
{
    pid_t tid = run->out->threads[p->thread].tid;
    return atomic_load_explicit(&run->box->slots[p->slot].word, memory_order_acquire) ==
           slot_word(run->generation, PHASE_DONE, tid);
}

/* Harvests what answered; keeps the rest in pending. */
static void collect_answers(struct dump_run *run)
{
    size_t kept = 0;
    for (size_t i = 0; i < run->npending; i++) {
        if (answered(run, &run->pending[i]))
            harvest(run, &run->pending[i]);
        else
            run->pending[kept++] = run->pending[i];
    }
    run->npending = kept;
}

/* A thread that will never answer: gone, or blocking the signal since we looked. Its request is
 * taken back so that nothing is waited for. Returns true when it was settled. */
static bool settle_unanswerable(struct dump_run *run, const struct pending *p)
{
    struct live_stack_thread *t = &run->out->threads[p->thread];
    enum live_stack_status verdict;
    if (syscall(SYS_tgkill, run->pid, t->tid, 0) != 0 && errno == ESRCH) {
        verdict = LIVE_STACK_EXITED;
    } else {
        struct kernel_thread_state now;
        /* start_ticks is 0 when neither this dump nor the tracker read stat for the thread */
        if (kernel_state_read(run->task_dir, t->tid, 0, NULL, &now) != 0 || now.state == 'Z' ||
            now.state == 'X' ||
            (t->kernel.start_ticks != 0 && now.start_ticks != t->kernel.start_ticks))
            verdict = LIVE_STACK_EXITED;
        else if (blocks_signal(run, &now))
            verdict = LIVE_STACK_SIGNALS_BLOCKED;
        else if (now.state == 'T' || now.state == 't')
            verdict = LIVE_STACK_STOPPED;
        else
            return false;
    }
    if (!disarm_slot(run, p->slot, t->tid))
        return false; /* it is answering after all */
    t->status = verdict;
    return true;
}

static void probe_pending(struct dump_run *run)
{
    size_t kept = 0;
    for (size_t i = 0; i < run->npending; i++)
        if (!settle_unanswerable(run, &run->pending[i]))
            run->pending[kept++] = run->pending[i];
    run->npending = kept;
}

static void wait_for_acks(uint32_t seen, uint64_t until_ns)
{
    uint64_t now = tl__monotonic_ns();
    if (now >= until_ns)
        return;
    uint64_t left = until_ns - now;
    struct timespec timeout = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
    syscall(SYS_futex, &acks, FUTEX_WAIT_PRIVATE, seen, &timeout, NULL, 0);
}

#define PROBE_INTERVAL_NS 5000000u /* how often to look for threads that will never answer */
#define WRITING_GRACE_NS  2000000u /* how long to let a handler caught mid-write finish */

static void await_answers(struct dump_run *run)
{
    atomic_store(&acks_wanted, run->out->signalled);
    uint64_t next_probe = tl__monotonic_ns() + PROBE_INTERVAL_NS;
    while (run->npending > 0) {
        uint32_t seen = atomic_load(&acks);
        /* acks counts late answers of earlier dumps too: it is a hint, the slots are the truth */
        if (seen >= run->out->signalled) {
            collect_answers(run);
            if (run->npending == 0)
                break;
        }
        uint64_t now = tl__monotonic_ns();
        if (now >= run->deadline_ns)
            break;
        if (now >= next_probe) {
            collect_answers(run);
            probe_pending(run);
            next_probe = now + PROBE_INTERVAL_NS;
            continue;
        }
        wait_for_acks(seen, next_probe < run->deadline_ns ? next_probe : run->deadline_ns);
    }
    collect_answers(run);
}

/* Past the deadline: take back every request still armed. A handler caught between claiming and
 * finishing gets a short grace; after that its slot stays out of use until it is done. */
static void close_pending(struct dump_run *run)
{
    uint64_t grace_end = tl__monotonic_ns() + WRITING_GRACE_NS;
    for (size_t i = 0; i < run->npending; i++) {
        const struct pending *p = &run->pending[i];
        struct live_stack_thread *t = &run->out->threads[p->thread];
        if (disarm_slot(run, p->slot, t->tid)) {
            if (syscall(SYS_tgkill, run->pid, t->tid, 0) != 0 && errno == ESRCH)
                t->status = LIVE_STACK_EXITED;
            continue;
        }
        while (!answered(run, p) && tl__monotonic_ns() < grace_end)
            sched_yield();
        if (answered(run, p))
            harvest(run, p);
    }
    run->npending = 0;
}

static bool prepare_signal(const struct live_stacks_options *options, struct dump_run *run)
{
    char *msg = run->out->message;
    size_t cap = sizeof run->out->message;
    if (options->nosignal)
        return false;
    if (!stack_capture_available() && !stack_capture_init()) {
        snprintf(msg, cap, "libunwind is not available; kernel state only");
        return false;
    }
    run->signo = choose_signal(options->signal, msg, cap);
    return run->signo != 0;
}

static void dump_with_lock(const struct live_stacks_options *options, struct dump_run *run,
                           const pid_t *tids, size_t count)
{
    struct live_stacks_dump *out = run->out;
    if (prepare_signal(options, run)) {
        run->box = mailbox_for(count);
        run->pending = malloc((count ? count : 1) * sizeof *run->pending);
        if (!run->box || !run->pending) {
            run->signo = 0;
            snprintf(out->message, sizeof out->message, "out of memory; kernel state only");
        }
    }
    out->signal = run->signo;
    generation = (generation + 1) & GENERATION_MASK;
    if (generation == 0)
        generation = 1; /* so that a zeroed slot never matches */
    run->generation = generation;
    atomic_store(&dump_pid, run->pid);
    atomic_store(&acks_wanted, UINT32_MAX); /* no wake-ups while requests are still going out */
    atomic_store(&acks, 0);
    kernel_wait_tracker_begin(&wait_tracker);
    read_and_signal(run, tids, count);
    if (run->npending > 0) {
        await_answers(run);
        close_pending(run);
    }
    kernel_wait_tracker_end(&wait_tracker);
    free(run->pending);
}

static int map_results(struct live_stacks_dump *out, size_t count)
{
    size_t bytes = (count ? count : 1) * sizeof(struct live_stack_thread);
    /* Every page is written: populating them in the mmap call costs less than a fault each
     * (about 1 MiB for 1,000 threads). */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    out->threads = p == MAP_FAILED ? NULL : p;
    if (!out->threads)
        return -ENOMEM;
    out->mapped_bytes = bytes;
    out->count = count;
    return 0;
}

static void locate_loader_once(void)
{
    module_text_at_base(getauxval(AT_BASE), &loader_text); /* AT_BASE is 0 without a loader */
}

/* Once, before the first signal: the handler reads the range without locking. */
static void locate_loader(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, locate_loader_once);
}

int live_stacks_dump(const struct live_stacks_options *options, struct live_stacks_dump *out)
{
    locate_loader();
    static const struct live_stacks_options defaults = {0};
    if (!options)
        options = &defaults;
    memset(out, 0, sizeof *out);
    uint64_t start = tl__monotonic_ns();
    unsigned deadline_ms = options->deadline_ms ? options->deadline_ms : LIVE_STACKS_DEADLINE_MS;
    struct dump_run run = {
        .out = out,
        .pid = getpid(),
        .self = (pid_t)syscall(SYS_gettid),
        .deadline_ns = start + (uint64_t)deadline_ms * 1000000u,
        .interrupt_calls = options->interrupt_calls,
        .task_dir = kernel_state_open_task_dir(),
        .kernel_flags = KERNEL_STATE_BRIEF | (options->wchan ? KERNEL_STATE_WCHAN : 0),
        .uid = getuid(),
    };
    if (run.task_dir < 0)
        return -errno;
    pid_t *tids = NULL;
    size_t count = 0;
    pthread_mutex_lock(&dump_lock);
    free_retired_mailboxes();
    int rc = list_tids(run.task_dir, &tids, &count);
    if (rc == 0)
        rc = map_results(out, count);
    if (rc == 0)
        dump_with_lock(options, &run, tids, count);
    pthread_mutex_unlock(&dump_lock);
    free(tids);
    close(run.task_dir);
    out->elapsed_ns = tl__monotonic_ns() - start;
    return rc;
}

void live_stacks_fork_child(void)
{
    static const pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&dump_lock, &unlocked, sizeof unlocked);
    atomic_store(&handlers_in_flight, 0); /* the forking thread is the only one, and not in one */
    struct mailbox *box = atomic_load(&current_mailbox);
    for (size_t i = 0; box && i < box->capacity; i++) { /* nobody here answers the parent's */
        atomic_store(&box->slots[i].word, 0);
        atomic_store(&box->slots[i].inside, 0);
    }
    atomic_store(&acks, 0);
    kernel_wait_tracker_init(&wait_tracker);
    parked_stack_fork_child();
}

const struct live_stack_thread *live_stacks_find(const struct live_stacks_dump *dump, pid_t tid)
{
    size_t lo = 0, hi = dump ? dump->count : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dump->threads[mid].tid == tid)
            return &dump->threads[mid];
        if (dump->threads[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void live_stacks_free(struct live_stacks_dump *dump)
{
    if (dump->threads)
        munmap(dump->threads, dump->mapped_bytes);
    memset(dump, 0, sizeof *dump);
}

const char *live_stack_status_name(enum live_stack_status status)
{
    switch (status) {
    case LIVE_STACK_OK:
        return "ok";
    case LIVE_STACK_SIGNALS_BLOCKED:
        return "signals blocked";
    case LIVE_STACK_TIMED_OUT:
        return "timed out";
    case LIVE_STACK_BUSY_UNWINDING:
        return "busy in unwinder";
    case LIVE_STACK_BUSY_IN_LOADER:
        return "busy in loader";
    case LIVE_STACK_EXITED:
        return "exited";
    case LIVE_STACK_STOPPED:
        return "stopped";
    case LIVE_STACK_NOT_SIGNALLED:
        return "not signalled";
    case LIVE_STACK_WOULD_INTERRUPT:
        return "would interrupt its call";
    case LIVE_STACK_CALL_UNREADABLE:
        return "its call is unreadable (not dumpable)";
    case LIVE_STACK_STATUS_COUNT:
        break;
    }
    return "?";
}
