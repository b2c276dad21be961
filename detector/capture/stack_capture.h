/* Program-counter stacks through libunwind, loaded privately.
 *
 * Debian's libunwind.a is not PIC, and its shared library exports a weak `backtrace` and every
 * `_Unwind_*` symbol, which would take over C++ exception handling if it joined the global scope.
 * So libunwind.so.8 is dlopen'd RTLD_LOCAL and called through pointers: nothing of it is visible
 * to the host. It is loaded on first use, not at start-up (docs/startup.md): by the first capture,
 * or by stack_capture_init for callers that want it loaded before they need it.
 *
 * Two ways to walk the stack, chosen per call:
 *  - careful: unw_init_local + unw_step. No per-thread memory, ~6 µs for 14 frames.
 *  - fast: unw_backtrace. ~0.1 µs, but the first call in each thread maps a 256 KiB cache that
 *    lives as long as the thread (and allocates libunwind's TLS block once).
 * The shim uses the careful walk for a thread's first TL_FAST_CAPTURE_AFTER creations and the fast
 * one after that, so the cache costs at most 1 KiB per thread its owner created. */
#ifndef THREADLEAK_STACK_CAPTURE_H
#define THREADLEAK_STACK_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#define TL_FAST_CAPTURE_AFTER 256u
#define TL_CAPTURE_RAW_MAX    80u

/* Loads libunwind, once, and warms it up (its first use takes a lock): true when libunwind is
 * loaded, now or before. Idempotent and thread-safe; a thread that finds another one loading waits
 * for it (bounded, lazy_once.h). Not async-signal-safe: it may dlopen. False when libunwind is
 * missing; captures then return 0 frames. stack_capture calls it on its first use; a caller that
 * needs libunwind before a signal handler does (live dumps) calls it first. */
bool stack_capture_init(void);
/* True once libunwind is loaded. Async-signal-safe: one acquire load; never loads. */
bool stack_capture_available(void);

/* Loads libgcc's unwinder for TL_CAPTURE_LIBGCC, once (as stack_capture_init does libunwind, which
 * loads it too: see stack_capture_in_forked_image); false when libgcc_s is missing. A
 * TL_CAPTURE_LIBGCC capture calls it on its first use. */
bool stack_capture_use_libgcc(void);

enum tl__capture_method {
    TL_CAPTURE_CAREFUL, /* unw_step: no per-thread memory */
    TL_CAPTURE_FAST,    /* unw_backtrace: a per-thread cache */
    /* libgcc's _Unwind_Backtrace, for processes with ThreadSanitizer below us: libunwind's
     * per-thread cache has a TSD destructor that locks a mutex, which TSan intercepts after it
     * has finished the thread (SIGSEGV with gcc's libtsan), and the careful walk's syscalls cut
     * TSan's own creation stacks short (clang). libgcc keeps no per-thread state and, with
     * glibc's _dl_find_object, calls nothing TSan intercepts. */
    TL_CAPTURE_LIBGCC,
};

/* The caller's stack, innermost first, without the frames of threadleak itself. The first call
 * loads the method's unwinder (a dlopen, once per process); after that, allocation-free on the
 * careful and libgcc paths; see above for the fast path. 0 frames while another thread is
 * forking, and when nested in the same thread (a signal handler that interrupted a walk). */
unsigned stack_capture(void **frames, unsigned max, enum tl__capture_method method);

/* The stack of a thread interrupted by a signal, from the handler's ucontext. Async-signal-safe
 * provided the thread was not already inside libunwind (see stack_capture_busy). Never loads
 * libunwind: 0 frames until something called stack_capture_init. */
unsigned stack_capture_from_signal(void *ucontext, void **frames, unsigned max);

/* True in a process made by fork (and not replaced by exec since) from a process that had had other
 * threads, when the loader's write lock is held there by a thread the child does not have, or
 * could not be found (loader_lock.h); and in such a process's own children. libunwind's lookups
 * (dl_iterate_phdr) and dlopen would wait on that lock forever, so such a process walks with
 * libgcc's unwinder, loaded before the fork, and stack_capture_open_privately loads nothing.
 * Async-signal-safe: one load. */
bool stack_capture_in_forked_image(void);

/* True while the calling thread is inside an unwinder; a signal handler must not unwind then,
 * because libunwind's global cache lock may be held (both captures refuse to nest anyway). */
bool stack_capture_busy(void);

/* For another unwinder of ours (parked_stack.c), the guards this file's own walks and loads
 * run under. walk_begin is false, and nothing may be walked, while another thread forks, when
 * nested in a walk of this thread, or in a fork child whose parent left a walk unfinished;
 * otherwise walk_end must follow. open_privately dlopens a library RTLD_LOCAL, NULL in such a
 * child (the loader's lock may be held). Not async-signal-safe. */
bool stack_capture_walk_begin(void);
void stack_capture_walk_end(void);
void *stack_capture_open_privately(const char *name);

/* True while the calling thread is inside a walk or a load of ours (stack_capture_loader_enter
 * included): whatever it does now, an unwinder does for us, not the host (shim/interpose_fd.c).
 * Async-signal-safe. */
bool stack_capture_inside(void);

/* fork (shim_state.c calls these from the atfork handlers). Prepare waits, bounded, until no other
 * thread is inside an unwinder, and walks starting meanwhile capture nothing; so the child never
 * inherits an unwinder lock held by a thread it does not have. When a walk does not finish within
 * the bound (it may be blocked on something the forking thread holds), the child never unwinds:
 * its stacks are empty rather than its threads hung. Async-signal-safe: fork may be called from a
 * signal handler, even one that interrupted a walk of the forking thread. */
void stack_capture_fork_prepare(void);
/* Around a dlopen of ours (the symboliser's libdw): it takes the loader's write lock, which glibc
 * does not reset in a child and which a child's walk needs (dl_iterate_phdr), so prepare drains
 * it as it drains a walk. A load that finds a fork pending waits for it first, bounded. */
void stack_capture_loader_enter(void);
void stack_capture_loader_leave(void);
void stack_capture_fork_parent(void);
void stack_capture_fork_child(void);

/* True when pc lies in threadleak's own code and threadleak is a library of its own (the shim).
 * Linked into a program, as in the unit tests, nothing counts: "own" would be the whole program.
 * stack_capture and stack_capture_from_signal already leave such frames out, except a signal
 * stack's interrupted pc. */
bool stack_capture_is_own_pc(uintptr_t pc);

#endif
