/* Where a loaded module's code is: the address range of its executable segment, found once with
 * dl_iterate_phdr. Used to tell threadleak's own frames, the dynamic loader and libstdc++ apart
 * by program counter, cheaply enough for pthread_create's path and signal handlers. */
#ifndef THREADLEAK_MODULE_TEXT_H
#define THREADLEAK_MODULE_TEXT_H

#include <stdbool.h>
#include <stdint.h>

struct tl__text_range {
    uintptr_t begin, end; /* empty (0, 0) when not found */
    bool in_program;      /* the module is the main program, not a shared library */
};

/* The module that holds address, the one loaded at base (getauxval(AT_BASE) for ld.so), or the
 * first whose path contains name_part. Not async-signal-safe (dl_iterate_phdr takes a lock; but
 * module_text_at_base reads the headers mapped at base and takes none): call them at start-up and
 * keep the range. False, and an empty range, when there is none. */
bool module_text_containing(const void *address, struct tl__text_range *out);
bool module_text_at_base(uintptr_t base, struct tl__text_range *out);
bool module_text_named(const char *name_part, struct tl__text_range *out);

/* Async-signal-safe. */
static inline bool text_range_holds(const struct tl__text_range *r, uintptr_t pc)
{
    return pc >= r->begin && pc < r->end;
}

/* Removes frames[from..n) that lie in r, keeping the rest in order; returns the new count.
 * Async-signal-safe and allocation-free. */
static inline unsigned text_range_remove(void **frames, unsigned n, unsigned from,
                                         const struct tl__text_range *r)
{
    unsigned kept = from < n ? from : n;
    for (unsigned i = kept; i < n; i++) {
        if (!text_range_holds(r, (uintptr_t)frames[i]))
            frames[kept++] = frames[i];
    }
    return kept;
}

#endif
