/* libunwind, loaded RTLD_LOCAL on first use and called through pointers. See stack_capture.h for
 * why. */
#include "stack_capture.h"

#include "lazy_once.h"
#include "loader_lock.h"
#include "live_stacks.h"
#include "module_text.h"
#include "quiet_copy.h"
#include "toolbox.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <ucontext.h>
#include <unwind.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

typedef int (*unw_getcontext_fn)(unw_context_t *);
typedef int (*unw_init_local2_fn)(unw_cursor_t *, unw_context_t *, int);
typedef int (*unw_step_fn)(unw_cursor_t *);
typedef int (*unw_get_reg_fn)(unw_cursor_t *, int, unw_word_t *);
typedef int (*unw_backtrace_fn)(void **, int);

static struct {
    unw_getcontext_fn getcontext;
    unw_init_local2_fn init_local2;
    unw_step_fn step;
    unw_get_reg_fn get_reg;
    unw_backtrace_fn backtrace;
    atomic_bool ready; /* the pointers above are set: released once, by load_libunwind */
} unw;

typedef _Unwind_Reason_Code (*unwind_backtrace_fn)(_Unwind_Trace_Fn, void *);
typedef _Unwind_Ptr (*unwind_get_ip_fn)(struct _Unwind_Context *);
typedef _Unwind_Ptr (*unwind_get_ip_info_fn)(struct _Unwind_Context *, int *);

/* libgcc's unwinder, loaded privately too, with libunwind: processes with ThreadSanitizer use it,
 * and so do forked children (forked_image, below). */
static struct {
    unwind_backtrace_fn backtrace;
    unwind_get_ip_fn get_ip;
    unwind_get_ip_info_fn get_ip_info;
} gcc_unwinder;

static struct tl__text_range own_text;
/* Each loaded on first use (below); reset in a fork child when another thread was loading. */
static struct tl__lazy_once libunwind_once = TL_LAZY_ONCE_INIT;
static struct tl__lazy_once libgcc_once = TL_LAZY_ONCE_INIT;
static struct tl__lazy_once own_text_once = TL_LAZY_ONCE_INIT;
static bool own_text_inside; /* the shim is a library of its own: drop its frames anywhere */
static __thread int capture_depth __attribute__((tls_model("initial-exec")));

/* fork. libunwind's step takes its global cache lock and its memory pool's, dl_iterate_phdr the
 * loader's, libgcc's unwinder its own; none is reset in a child, so a thread of the parent inside
 * a walk at fork left the child a lock nobody will release (issue 16). So no walk is under way
 * at fork: every walk counts itself in `walkers` and then checks `fork_pending`; the atfork
 * prepare handler sets `fork_pending` and then waits for `walkers` to drain. Both sides use
 * sequentially consistent operations, so either the walker sees the fork and steps back (the
 * creation keeps no stack: a walk must not wait for the fork, which may itself be waiting on a
 * lock that walker's caller holds, through another library's prepare handler), or the fork sees
 * the walker and waits for it. The wait is bounded: a walker that does not finish in time (it
 * may be blocked on something the forking thread holds) leaves the child without unwinding. */
#define FORK_WAIT_NS 50000000ull /* 50 ms: a loaded box's scheduling latency, with room */
static atomic_uint walkers;
static atomic_uint fork_pending; /* forks between prepare and parent: glibc serialises them under
                                  * its atfork lock, but a count does not have to rely on it */
static __thread int loader_depth __attribute__((tls_model("initial-exec")));
static bool walk_unfinished_at_fork; /* set in prepare, read in the child */
static bool unwinding_lost;          /* this process image may hold a lock of a dead walker */
/* This process image was made by fork (and not replaced by exec since) from a process that had had
 * other threads, and the loader's write lock is held here by one of them, which glibc does not
 * reset in a child, or it cannot be told (loader_lock.h found no lock). The drain keeps our own
 * walks and loads out of that lock, but not the host's (a dlopen, a dl_iterate_phdr of its own),
 * and libunwind's step calls dl_iterate_phdr. So such an image walks with libgcc's unwinder, which
 * finds frames with _dl_find_object and never takes that lock, and loads nothing. Inherited by its
 * own children: the lock stays held in their memory too. */
static bool forked_image;
static bool threads_before_fork; /* set in prepare, read in the child */

static bool walk_enter(void)
{
    /* Nested in one thread (a signal handler that interrupted a walk and creates a thread or
     * dumps): the unwinder's locks may be ours already, and they are not recursive. */
    if (capture_depth > 0 || unwinding_lost)
        return false;
    capture_depth++;
    atomic_fetch_add(&walkers, 1);
    if (atomic_load(&fork_pending) > 0) {
        atomic_fetch_sub(&walkers, 1);
        capture_depth--;
        return false;
    }
    return true;
}

static void walk_leave(void)
{
    atomic_fetch_sub(&walkers, 1);
    capture_depth--;
}

bool stack_capture_walk_begin(void)
{
    return walk_enter();
}

void stack_capture_walk_end(void)
{
    walk_leave();
}

/* The calling thread's own entries in `walkers`. */
static unsigned own_walkers(void)
{
    return (capture_depth > 0 ? 1u : 0u) + (unsigned)loader_depth;
}

void stack_capture_loader_enter(void)
{
    uint64_t deadline = 0;
    for (;;) {
        atomic_fetch_add(&walkers, 1);
        if (atomic_load(&fork_pending) == 0)
            break;
        atomic_fetch_sub(&walkers, 1);
        /* Bounded: the fork may itself wait, in another library's prepare handler, on a lock
         * our caller holds. Past the bound the load goes ahead, as it did before. */
        uint64_t now = tl__monotonic_ns();
        if (deadline == 0) {
            deadline = now + FORK_WAIT_NS;
        } else if (now >= deadline) {
            atomic_fetch_add(&walkers, 1);
            break;
        }
        sched_yield();
    }
    loader_depth++;
}

void stack_capture_loader_leave(void)
{
    loader_depth--;
    atomic_fetch_sub(&walkers, 1);
}

void stack_capture_fork_prepare(void)
{
    atomic_fetch_add(&fork_pending, 1);
    /* fork from a signal handler that interrupted this thread's own walk (or from a constructor
     * our dlopen runs): that resumes in both processes once the fork returns, so only the other
     * threads' are waited for. */
    unsigned own = own_walkers();
    if (atomic_load(&walkers) > own) {
        uint64_t deadline = tl__monotonic_ns() + FORK_WAIT_NS;
        while (atomic_load(&walkers) > own && tl__monotonic_ns() < deadline)
            sched_yield();
    }
    walk_unfinished_at_fork = atomic_load(&walkers) > own;
    /* glibc clears it at the first pthread_create and never sets it again: "has had threads". */
    threads_before_fork = !__libc_single_threaded;
}

void stack_capture_fork_parent(void)
{
    atomic_fetch_sub(&fork_pending, 1);
}

void stack_capture_fork_child(void)
{
    if (walk_unfinished_at_fork)
        unwinding_lost = true; /* and in its children too: the memory holds the lock */
    /* The parent's other walkers do not exist here; only our own interrupted walk, if any. */
    atomic_store(&walkers, own_walkers());
    atomic_store(&fork_pending, 0); /* nor the parent's other forks */
    if (threads_before_fork && (!loader_lock_located() || loader_lock_held_by_other()))
        forked_image = true;
    lazy_once_fork_child(&libunwind_once);
    lazy_once_fork_child(&libgcc_once);
    lazy_once_fork_child(&own_text_once);
}

/* --- loading, once, on first use -------------------------------------------------------------
 *
 * Nothing is loaded at start-up: a process that never creates a thread never maps an unwinder
 * (docs/startup.md). The first capture loads one: libunwind for the careful and fast walks (the
 * first pthread_create's creation stack, the first live dump, the first test-API call), with
 * libgcc's beside it (forked_image); a TL_CAPTURE_LIBGCC capture loads libgcc's alone. A capture
 * from a signal handler never loads (stack_capture_from_signal returns 0 frames until then; live
 * dumps load from the collector first). That one load does run in pthread_create's path, which is
 * otherwise allocation-free: dlopen allocates and takes the loader's lock, as glibc's own
 * pthread_create does for the new thread's TLS. */

/* dlopen, counted by the fork machinery (a fork waits for it, see above) and marked for live dumps
 * (a dump does not unwind a thread inside the loader). */
void *stack_capture_open_privately(const char *name)
{
    /* A walk or load of the parent, or another thread of the parent, may have left the loader's
     * lock held: a dlopen would wait on it forever. */
    if (unwinding_lost || (forked_image && !loader_lock_free()))
        return NULL;
    live_stacks_enter_loader();
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    live_stacks_leave_loader();
    return lib;
}

static void find_own_text(void)
{
    module_text_containing((const void *)&stack_capture_init, &own_text);
    /* Linked into a program (the unit tests), "our" code is the whole program: only the frames
     * on top are the capture's own, the rest are the caller's. */
    own_text_inside = !own_text.in_program;
}

static bool resolve_libunwind(void)
{
    void *lib = stack_capture_open_privately("libunwind.so.8");
    if (!lib)
        return false;
    unw.getcontext = (unw_getcontext_fn)dlsym(lib, "_Ux86_64_getcontext");
    unw.init_local2 = (unw_init_local2_fn)dlsym(lib, "_ULx86_64_init_local2");
    unw.step = (unw_step_fn)dlsym(lib, "_ULx86_64_step");
    unw.get_reg = (unw_get_reg_fn)dlsym(lib, "_ULx86_64_get_reg");
    unw.backtrace = (unw_backtrace_fn)dlsym(lib, "unw_backtrace");
    return unw.getcontext && unw.init_local2 && unw.step && unw.get_reg && unw.backtrace;
}

static unsigned walk_libunwind(void **raw, unsigned want, enum tl__capture_method method);
static void load_libgcc(void);

static void load_libunwind(void)
{
    stack_capture_loader_enter(); /* the whole load: a fork never sees half of it */
    lazy_once_run(&own_text_once, find_own_text);
    /* libgcc's unwinder too, for the forked children (forked_image): a child must not load it
     * itself, because a dlopen takes the very lock it is there to avoid. Usually already mapped
     * (libstdc++ needs it), so most often this costs a dlopen that only counts a reference. */
    lazy_once_run(&libgcc_once, load_libgcc);
    if (!forked_image)
        loader_lock_locate(); /* its search takes the lock: never in a child that may find it held
                               */
    if (resolve_libunwind()) {
        atomic_store_explicit(&unw.ready, true, memory_order_release);
        /* libunwind's one-time setup takes a lock: done here, not in a signal handler's walk. */
        void *warm[4];
        if (walk_enter()) {
            walk_libunwind(warm, 4, TL_CAPTURE_CAREFUL);
            walk_leave();
        }
    }
    stack_capture_loader_leave();
}

bool stack_capture_init(void)
{
    return lazy_once_run(&libunwind_once, load_libunwind) && stack_capture_available();
}

static unsigned walk_with_libgcc(void **frames, unsigned max);

static void load_libgcc(void)
{
    stack_capture_loader_enter();
    lazy_once_run(&own_text_once, find_own_text);
    void *lib = stack_capture_open_privately("libgcc_s.so.1");
    if (lib) {
        gcc_unwinder.get_ip = (unwind_get_ip_fn)dlsym(lib, "_Unwind_GetIP");
        gcc_unwinder.backtrace = (unwind_backtrace_fn)dlsym(lib, "_Unwind_Backtrace");
        gcc_unwinder.get_ip_info = (unwind_get_ip_info_fn)dlsym(lib, "_Unwind_GetIPInfo");
        /* Its one-time setup (a pthread_once for the register sizes) runs here, not in a child. */
        void *warm[4];
        if (gcc_unwinder.get_ip && gcc_unwinder.backtrace && walk_enter()) {
            walk_with_libgcc(warm, 4);
            walk_leave();
        }
    }
    stack_capture_loader_leave();
}

static bool libgcc_ready(void)
{
    return lazy_once_done(&libgcc_once) && gcc_unwinder.get_ip && gcc_unwinder.backtrace;
}

bool stack_capture_use_libgcc(void)
{
    return lazy_once_run(&libgcc_once, load_libgcc) && libgcc_ready();
}

struct gcc_walk {
    void **frames;
    unsigned n, max;
};

static _Unwind_Reason_Code gcc_walk_step(struct _Unwind_Context *context, void *arg)
{
    struct gcc_walk *walk = arg;
    if (walk->n >= walk->max)
        return _URC_END_OF_STACK;
    uintptr_t ip = gcc_unwinder.get_ip(context);
    if (ip == 0)
        return _URC_END_OF_STACK;
    walk->frames[walk->n++] = (void *)ip;
    return _URC_NO_REASON;
}

static unsigned walk_with_libgcc(void **frames, unsigned max)
{
    if (!gcc_unwinder.backtrace)
        return 0;
    struct gcc_walk walk = {frames, 0, max};
    gcc_unwinder.backtrace(gcc_walk_step, &walk);
    return walk.n;
}

bool stack_capture_available(void)
{
    return atomic_load_explicit(&unw.ready, memory_order_acquire);
}

bool stack_capture_is_own_pc(uintptr_t pc)
{
    return lazy_once_done(&own_text_once) && own_text_inside && text_range_holds(&own_text, pc);
}

bool stack_capture_in_forked_image(void)
{
    return forked_image;
}

bool stack_capture_busy(void)
{
    return capture_depth > 0;
}

bool stack_capture_inside(void)
{
    return capture_depth > 0 || loader_depth > 0;
}

/* Drops the capture's own frames from the top, in place: all that is ours when threadleak is
 * linked into the program itself. */
static unsigned drop_own_top(void **frames, unsigned n)
{
    unsigned skip = 0;
    while (skip < n && text_range_holds(&own_text, (uintptr_t)frames[skip]))
        skip++;
    quiet_copy(frames, frames + skip, (n - skip) * sizeof *frames); /* ascending: overlap is safe */
    return n - skip;
}

static unsigned walk_cursor(unw_cursor_t *cursor, void **frames, unsigned max, bool first_is_pc)
{
    unsigned n = 0;
    bool at_frame = first_is_pc;
    while (n < max) {
        if (!at_frame && unw.step(cursor) <= 0)
            break;
        at_frame = false;
        unw_word_t ip = 0;
        if (unw.get_reg(cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        frames[n++] = (void *)ip;
    }
    return n;
}

/* Loads what method needs on its first use; false when it is missing or cannot load now. */
static bool unwinder_for(enum tl__capture_method method)
{
    if (method == TL_CAPTURE_LIBGCC)
        return stack_capture_use_libgcc();
    return stack_capture_available() || stack_capture_init();
}

/* In a forked image, libgcc's walk whenever it was loaded before the fork (see forked_image): one
 * load and one branch in pthread_create's path. Not loaded (the parent never captured, so it had
 * no thread of ours), the method stays, and the child loads and walks as any process does. */
static enum tl__capture_method method_for_image(enum tl__capture_method method)
{
    return forked_image && libgcc_ready() ? TL_CAPTURE_LIBGCC : method;
}

static unsigned walk_libunwind(void **raw, unsigned want, enum tl__capture_method method)
{
    if (method == TL_CAPTURE_FAST) {
        int got = unw.backtrace(raw, (int)want);
        return got > 0 ? (unsigned)got : 0;
    }
    unw_context_t uc;
    unw_cursor_t cursor;
    unw.getcontext(&uc);
    return unw.init_local2(&cursor, &uc, 0) == 0 ? walk_cursor(&cursor, raw, want, false) : 0;
}

unsigned stack_capture(void **frames, unsigned max, enum tl__capture_method method)
{
    if (max == 0 || !unwinder_for(method))
        return 0;
    method = method_for_image(method);
    if (!walk_enter())
        return 0;
    void *raw[TL_CAPTURE_RAW_MAX];
    unsigned want = max + 8 < TL_CAPTURE_RAW_MAX ? max + 8 : TL_CAPTURE_RAW_MAX;
    unsigned n = method == TL_CAPTURE_LIBGCC ? walk_with_libgcc(raw, want)
                                             : walk_libunwind(raw, want, method);
    walk_leave();
    /* Not only the wrappers on top: in a build without tail calls the shim's own frames sit
     * inside the stack too (main_with_exit_hook below main). The reader never wants them. */
    n = own_text_inside ? text_range_remove(raw, n, 0, &own_text) : drop_own_top(raw, n);
    if (n > max)
        n = max;
    quiet_copy(frames, raw, n * sizeof *frames); /* frames may be a registry record's */
    return n;
}

/* libgcc's walk from inside a signal handler: it starts in the handler and goes through the
 * signal trampoline's frame (which glibc describes in its unwind tables) into the interrupted
 * code. The first frame whose pc libgcc calls exact (not a return address) is the one the signal
 * interrupted; when that is not the ucontext's pc, the signal was not ours and nothing is kept. */
#define HANDLER_FRAMES_MAX 32u /* the handler's own frames and the trampoline: a few */

struct gcc_signal_walk {
    void **frames;
    unsigned n, max, skipped;
    uintptr_t interrupted_pc;
};

static _Unwind_Reason_Code gcc_signal_walk_step(struct _Unwind_Context *context, void *arg)
{
    struct gcc_signal_walk *walk = arg;
    int exact = 0;
    uintptr_t ip = gcc_unwinder.get_ip_info(context, &exact);
    if (ip == 0 || walk->n >= walk->max)
        return _URC_END_OF_STACK;
    if (walk->n == 0) {
        if (!exact)
            return ++walk->skipped < HANDLER_FRAMES_MAX ? _URC_NO_REASON : _URC_END_OF_STACK;
        if (ip != walk->interrupted_pc)
            return _URC_END_OF_STACK;
    }
    walk->frames[walk->n++] = (void *)ip;
    return _URC_NO_REASON;
}

static unsigned walk_signal_with_libgcc(void *ucontext, void **frames, unsigned max)
{
#if defined(__x86_64__)
    if (!gcc_unwinder.get_ip_info)
        return 0;
    const ucontext_t *uc = ucontext;
    struct gcc_signal_walk walk = {frames, 0, max, 0, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]};
    gcc_unwinder.backtrace(gcc_signal_walk_step, &walk);
    return walk.n;
#else
    (void)ucontext, (void)frames, (void)max;
    return 0;
#endif
}

unsigned stack_capture_from_signal(void *ucontext, void **frames, unsigned max)
{
    if (!stack_capture_available() || max == 0 || !walk_enter()) /* never loads: see above */
        return 0;
    unw_cursor_t cursor;
    unsigned n = 0;
    if (method_for_image(TL_CAPTURE_CAREFUL) == TL_CAPTURE_LIBGCC)
        n = walk_signal_with_libgcc(ucontext, frames, max); /* a forked child: see forked_image */
    else if (unw.init_local2(&cursor, (unw_context_t *)ucontext, UNW_INIT_SIGNAL_FRAME) == 0)
        n = walk_cursor(&cursor, frames, max, true);
    walk_leave();
    /* frames[0] is where the thread was interrupted, kept even in our code: what follows it are
     * return addresses, which symbolisation treats differently. */
    return own_text_inside ? text_range_remove(frames, n, 1, &own_text) : n;
}
