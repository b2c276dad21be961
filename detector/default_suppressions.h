/* The default suppressions (default_suppressions.inc): runtimes' own threads, which the program
 * cannot join, taken out of every check before the user's suppressions file, the way Valgrind
 * ships suppressions for system libraries. default_suppressions=0 turns them off.
 *
 * An entry's pattern is matched, with the suppressions file's matcher, against a thread's start
 * routine only (function, source file, module): docs/default-suppressions.md says why. Each check
 * counts the threads each entry took, for the reports' "N threads suppressed by default". */
#ifndef THREADLEAK_DEFAULT_SUPPRESSIONS_H
#define THREADLEAK_DEFAULT_SUPPRESSIONS_H

#include "options.h"
#include "stack_model.h"
#include "thread_record.h"

#include <stdbool.h>
#include <stddef.h>

/* At most this many entries (a static assertion holds the table to it). */
#define TL_DEFAULT_SUPPRESSIONS_MAX 32

struct tl__default_suppression {
    const char *runtime; /* "JVM", "node" */
    const char *pattern;
    const char *reason;
};

/* The table, in file order, and its length. */
extern const struct tl__default_suppression tl__default_suppressions[];
extern const size_t tl__default_suppression_count;

/* The lock findings' entries (TL__DEFAULT_LOCK_SUPPRESSION): a misuse kind and a pattern for the
 * frames of its stack. */
struct tl__default_lock_suppression {
    const char *runtime;
    const char *kind; /* "exit_holding_lock" */
    const char *pattern;
    const char *reason;
};

extern const struct tl__default_lock_suppression tl__default_lock_suppressions[];
extern const size_t tl__default_lock_suppression_count;

/* The index of the first lock entry for kind whose pattern matches the function, file or module of
 * the call site at the top of stack (frame 0 and the frames inlined at its pc); -1 when none does.
 * Pure. */
int default_lock_suppressions_match(const char *kind, const struct tl__frame *stack, size_t n);

/* The index of the first entry whose pattern matches the start routine's function, file or
 * module; -1 when none does. Pure: no symbolisation, no counting. */
int default_suppressions_match(const struct tl__frame *start_routine);

/* Hit counts, one per entry, in table order. A thread is counted only when it would have been a
 * leak in mode when it was taken out: under mode=tsan the JVM's running threads are taken out but
 * not counted, since they would not have been reported either. */
struct tl__default_hits {
    enum tl_mode mode;
    unsigned threads[TL_DEFAULT_SUPPRESSIONS_MAX];
};

/* A verdict filter (tl__verdict_filter.ignores) whose ctx is a struct tl__default_hits: symbolises
 * t's start routine, and counts the thread on the entry that matched. */
bool default_suppressions_ignores(const struct tl__thread_info *t, void *ctx);

#endif
