/* The findings of a merged report (docs/json-schema.md) as a baseline sees them: each with the key
 * that survives a rebuild (its kind, start routine, and the function and file of the frame it is
 * located at, never a line or an address) and the JSON node it came from. Read from the merged
 * JSON alone, so `run` and `merge` key the same reports the same way. Not async-signal-safe; the
 * CLI only. */
#ifndef THREADLEAK_CLI_BASELINE_FINDINGS_H
#define THREADLEAK_CLI_BASELINE_FINDINGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct tl__json;

/* Where a finding lives in the merged document. */
enum tl__bl_where {
    TL_BL_LEAK,       /* processes[].leaks[] */
    TL_BL_DEADLOCK,   /* processes[].deadlocks[] */
    TL_BL_LOCK_ORDER, /* processes[].lock_order[] */
    TL_BL_MISUSE,     /* processes[].misuse[] */
    TL_BL_TSAN,       /* tsan_findings[] */
    TL_BL_ASAN,       /* asan_findings[] */
};

/* A finding's identity. Every string points into the parsed document; NULL when unknown. */
struct tl__bl_key {
    const char *kind;   /* "thread_leak", "deadlock", "lock_order", "misuse", "tsan", "asan" */
    const char *detail; /* the report's own kind ("lock_cycle", "data race"), or for
                         * lock_order the function the other lock was held at */
    const char *start_routine; /* the thread's; NULL for sanitizer findings */
    const char *function;      /* of the located frame; "??" when unknown */
    const char *file;          /* of the located frame, relative to the source root, else its
                                * base name; NULL without line info */
};

struct tl__bl_finding {
    struct tl__bl_key key;
    enum tl__bl_where where;
    const struct tl__json *node;
    size_t process;      /* index into processes; SIZE_MAX for sanitizer findings */
    long pid;            /* its process's */
    unsigned long count; /* threads of a leak group, times of a misuse or race; else 1 */
    size_t entry;        /* set by the caller: the baseline entry it matched; SIZE_MAX: new */
};

struct tl__bl_findings {
    struct tl__json *root; /* the merged document */
    struct tl__bl_finding *finding;
    size_t nfinding;
    char source_root[PATH_MAX]; /* absolute, without a trailing slash ("" for /) */
};

/* Parses the merged document json and lists its findings in document order. source_root: the
 * directory files are made relative to (NULL: the working directory). 0, or -1 with a message in
 * err. */
int bl_findings_read(const char *json, const char *source_root, struct tl__bl_findings *out,
                     char *err, size_t errlen);

void bl_findings_free(struct tl__bl_findings *f);

/* Two keys name the same finding: every member equal, NULL only to NULL. */
bool bl_key_equal(const struct tl__bl_key *a, const struct tl__bl_key *b);

/* Orders keys for the baseline file: kind, file, function, start routine, detail. */
int bl_key_compare(const struct tl__bl_key *a, const struct tl__bl_key *b);

#endif
