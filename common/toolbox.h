/* The small pieces every part of threadleak needs, written once: a hash, a growable array,
 * reading a whole file, and clocks. Internal (tl__ prefix): the shim and the CLI both link it.
 *
 * The hash and the clocks are async-signal-safe and allocation-free, so capture code may use them.
 * tl__grow and tl__read_file_at allocate: report-time code only. */
#ifndef THREADLEAK_TOOLBOX_H
#define THREADLEAK_TOOLBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64-bit: tables of interned strings, stacks and waits hash with it. Start from
 * TL__HASH_SEED and feed the parts of a key in turn. */
#define TL__HASH_SEED  0xcbf29ce484222325ull
#define TL__HASH_PRIME 0x100000001b3ull

static inline uint64_t tl__hash_bytes(uint64_t hash, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        hash = (hash ^ p[i]) * TL__HASH_PRIME;
    return hash;
}

static inline uint64_t tl__hash_string(uint64_t hash, const char *s)
{
    for (; *s; s++)
        hash = (hash ^ (unsigned char)*s) * TL__HASH_PRIME;
    return hash;
}

/* One whole word per step: cheaper than its eight bytes for keys made of addresses. */
static inline uint64_t tl__hash_word(uint64_t hash, uint64_t word)
{
    return (hash ^ word) * TL__HASH_PRIME;
}

/* Makes room for one more item in *items (count used, *capacity allocated, item_size each),
 * doubling from first_capacity. False when memory ran out; *items is then unchanged. */
bool tl__grow(void **items, size_t count, size_t *capacity, size_t item_size,
              size_t first_capacity);

/* The whole file at path (relative to dirfd, or AT_FDCWD), NUL-terminated; *len_out gets its
 * length when len_out is not NULL. Reads to the end, so /proc files (size 0 in stat) work too.
 * NULL with errno set on failure; EFBIG when the file is larger than max_size. */
char *tl__read_file_at(int dirfd, const char *path, size_t max_size, size_t *len_out);

/* len bytes of our own memory at addr into out, all or nothing. process_vm_readv, not a plain
 * read: memory another thread may unmap meanwhile (a stack, a pointer argument of a call it has
 * just left) gives false where a read would fault. Async-signal-safe. */
bool tl__read_own_memory(uint64_t addr, void *out, size_t len);

/* Clocks, in nanoseconds and seconds. Async-signal-safe. */
uint64_t tl__monotonic_ns(void);
uint64_t tl__realtime_ns(void);
double tl__monotonic_seconds(void);

#endif
