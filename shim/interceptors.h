/* What the C code makes of interceptors.inc: the pointers to the real functions, a declaration of
 * each, and TL__WRAPPER, which opens a wrapper's definition. Internal to the shim. */
#ifndef THREADLEAK_INTERCEPTORS_H
#define THREADLEAK_INTERCEPTORS_H

#include <pthread.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define TL__NORETURN __attribute__((noreturn))

/* tl__real.name: the definition that ours hides, as dlsym(RTLD_NEXT) found it; NULL until
 * shim_resolve_real() ran, or when libc lacks the function. */
struct tl__real_functions {
#define TL__INTERCEPTOR(ret, name, params)     ret(*name) params;
#define TL__INTERCEPTOR_NORETURN(name, params) void(*name) params TL__NORETURN;
#include "interceptors.inc"
#undef TL__INTERCEPTOR
#undef TL__INTERCEPTOR_NORETURN
};

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
