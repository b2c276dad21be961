/* What the C code makes of interceptors.inc: the real functions (TL__REAL), a declaration of each,
 * and TL__WRAPPER, which opens a wrapper's definition. Internal to the shim. */
#ifndef THREADLEAK_INTERCEPTORS_H
#define THREADLEAK_INTERCEPTORS_H

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define TL__NORETURN __attribute__((noreturn))

/* The type of each real function: TL__REAL(name) has the type of the member name. */
struct tl__real_functions {
#define TL__INTERCEPTOR(ret, name, params)     ret(*name) params;
#define TL__INTERCEPTOR_NORETURN(name, params) void(*name) params TL__NORETURN;
#include "interceptors.inc"
#undef TL__INTERCEPTOR
#undef TL__INTERCEPTOR_NORETURN
};

/* One index per entry, into tl__real_cache. */
enum tl__interceptor_index {
#define TL__INTERCEPTOR(ret, name, params)     TL__INDEX_##name,
#define TL__INTERCEPTOR_NORETURN(name, params) TL__INDEX_##name,
#include "interceptors.inc"
#undef TL__INTERCEPTOR
#undef TL__INTERCEPTOR_NORETURN
    TL__INTERCEPTOR_COUNT
};

/* The definition that ours hides, as dlsym(RTLD_NEXT) finds it, looked up on the wrapper's first
 * call rather than all at start-up (docs/startup.md): a process pays only for the functions it
 * calls. After that, one relaxed load: the pointer is to code mapped before our constructor ran,
 * so there is nothing for an acquire to order. NULL when libc lacks the function.
 *
 * dlsym is not async-signal-safe. The wrappers a signal handler may call (_exit, _Exit and C11's
 * quick_exit) and the one a vfork child calls are resolved by shim_resolve_real() at start-up
 * instead (shim_state.c, TL__EAGER). The others are not async-signal-safe in libc either. */
extern void *_Atomic tl__real_cache[TL__INTERCEPTOR_COUNT];
void *shim_real_lookup(enum tl__interceptor_index index, const char *name);

static inline void *tl__real_function(enum tl__interceptor_index index, const char *name)
{
    void *f = atomic_load_explicit(&tl__real_cache[index], memory_order_relaxed);
    return f ? f : shim_real_lookup(index, name);
}

#define TL__REAL(name)                                                                             \
    ((__typeof__(((struct tl__real_functions *)0)->name))tl__real_function(TL__INDEX_##name, #name))

/* Declared again from the table: the compiler rejects an entry whose types differ from libc's
 * declaration, and a wrapper whose types differ from the entry's. */
#define TL__INTERCEPTOR(ret, name, params)     extern ret name params;
#define TL__INTERCEPTOR_NORETURN(name, params) extern void name params TL__NORETURN;
#include "interceptors.inc"
#undef TL__INTERCEPTOR
#undef TL__INTERCEPTOR_NORETURN

/* One constant per entry, for TL__WRAPPER to require. */
enum {
#define TL__INTERCEPTOR(ret, name, params)     TL__LISTED_##name = 1,
#define TL__INTERCEPTOR_NORETURN(name, params) TL__LISTED_##name = 1,
#include "interceptors.inc"
#undef TL__INTERCEPTOR
#undef TL__INTERCEPTOR_NORETURN
};

/* Opens the definition of the wrapper for an entry of interceptors.inc, as compiler-rt's
 * INTERCEPTOR does:
 *     TL__WRAPPER(int, pthread_join, pthread_t thread, void **retval) { ... }
 * The wrapper is exported, and compiles only if the entry exists: without it the function would
 * be neither resolved nor exported, and would silently interpose nothing. */
#define TL__WRAPPER(ret, name, ...)                                                                \
    _Static_assert(TL__LISTED_##name, #name " is not in interceptors.inc");                        \
    __attribute__((visibility("default"))) ret name(__VA_ARGS__)

#endif
