/* Program counters to function, file:line and module, via elfutils libdw loaded on first use.
 *
 * Heavy: it reads ELF and DWARF. Call it only when there is something to report, never in
 * pthread_create's path or a signal handler. Without libdw, or without debug info, it falls back
 * to dladdr's symbol names. Returned strings live until symbolizer_close. */
#ifndef THREADLEAK_SYMBOLIZE_H
#define THREADLEAK_SYMBOLIZE_H

#include "stack_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Symbolises n program counters. For return addresses (every frame of a captured stack except a
 * signal frame's first), the lookup uses pc - 1 so that the line is the call's, not the next one.
 */
void symbolize_frames(void *const *pcs, size_t n, bool return_addresses, struct tl__frame *out);

/* The same, but every function inlined at a pc becomes a frame of its own, innermost first, with
 * the line it was called from in its caller, as eu-addr2line -i shows them; the compilers' own
 * sanitizer reports do the same. Writes at most cap frames and returns how many it wrote. */
size_t symbolize_frames_inlined(void *const *pcs, size_t n, bool return_addresses,
                                struct tl__frame *out, size_t cap);

/* The function that starts exactly at, or contains, pc (for start routines). "??" when unknown. */
const char *symbolize_function(const void *pc);

/* The same, but for a pc its module has no symbol for (a static function in a stripped library)
 * TSan's MODULE+0xOFFSET: "liblzma.so.5.4.1+0xcce0", offset from the module's load base, which
 * addr2line resolves once the debug symbols are installed. "??" when not even the module is
 * known. */
const char *symbolize_function_or_offset(const void *pc);

/* A copy of s that lives as long as the symbolizer's own strings (until symbolizer_close). */
const char *symbolize_intern(const char *s);

/* In the child of a fork (shim_state.c's atfork handler): when another thread of the parent was
 * symbolising at fork, starts afresh instead of waiting forever on its lock. */
void symbolizer_fork_child(void);

/* Releases libdw's state and every string handed out. */
void symbolizer_close(void);

/* Whether libdw may be used (the default) or only dladdr. Implies symbolizer_close: strings handed
 * out before are released. For tests of the fallback, and for hosts where libdw must not load. */
void symbolizer_use_libdw(bool enabled);

#endif
