/* Copies of registry memory that ThreadSanitizer cannot see.
 *
 * The registry is a seqlock: a reader copies a record while its writer may be changing it, and
 * retries when the sequence moved. This library is not instrumented, so its plain loads and
 * stores are invisible to TSan, but a call to memcpy, memset or strncpy reaches TSan's
 * interceptors, and TSan then reports a data race in the host program. Seen in a -O0 build of
 * the shim, where the compiler leaves every such call in; at -O2 it inlines a memcpy or memset of
 * known size, but strncpy stays a call. Relaxed atomic word and byte accesses are never turned
 * back into library calls (tests/lint/check-quiet-registry.sh checks every .c in this folder, -O0
 * to -O3).
 *
 * Async-signal-safe and allocation-free: they run in pthread_create's path. */
#ifndef THREADLEAK_QUIET_COPY_H
#define THREADLEAK_QUIET_COPY_H

#include <stddef.h>
#include <stdint.h>

static inline void quiet_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t i = 0;
    if ((((uintptr_t)d | (uintptr_t)s) & (sizeof(uint64_t) - 1)) == 0) {
        for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t))
            __atomic_store_n((uint64_t *)(d + i),
                             __atomic_load_n((const uint64_t *)(s + i), __ATOMIC_RELAXED),
                             __ATOMIC_RELAXED);
    }
    for (; i < n; i++)
        __atomic_store_n(d + i, __atomic_load_n(s + i, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

static inline void quiet_zero(void *dst, size_t n)
{
    unsigned char *d = dst;
    size_t i = 0;
    if (((uintptr_t)d & (sizeof(uint64_t) - 1)) == 0) {
        for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t))
            __atomic_store_n((uint64_t *)(d + i), 0, __ATOMIC_RELAXED);
    }
    for (; i < n; i++)
        __atomic_store_n(d + i, 0, __ATOMIC_RELAXED);
}

/* At most cap - 1 bytes of src, always NUL-terminated (cap > 0). */
static inline void quiet_copy_string(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; i + 1 < cap && src[i]; i++)
        __atomic_store_n(dst + i, src[i], __ATOMIC_RELAXED);
    for (; i < cap; i++)
        __atomic_store_n(dst + i, '\0', __ATOMIC_RELAXED);
}

#endif
