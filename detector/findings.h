/* What a verdict found, ready to render: leaked threads grouped, symbolised and named.
 *
 * With the thread profile (profile_model.h), the structure that crosses from detector/ to
 * reports/; both carry stacks in the one stack model (stack_model.h). Every array in it is owned by
 * the findings and freed by findings_free; frame strings live as long as the symboliser's. */
#ifndef THREADLEAK_FINDINGS_H
#define THREADLEAK_FINDINGS_H

#include "options.h"
#include "stack_model.h"
#include "thread_record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum tl__leak_state {
    TL_LEAK_RUNNING, /* still running at the verdict */
    TL_LEAK_EXITED,  /* finished but never joined */
};

/* One leaked thread inside a group. */
struct tl__leaked_thread {
    pid_t tid;
    uint64_t serial;
    char name[TL_NAME_MAX];
    bool cancelled; /* pthread_cancel was called on it */
    char wait[128]; /* what it is blocked on now, "" when unknown or exited */
};

/* Leaks that share start routine, creation stack as source lines (function, file, line of every
 * frame; never pcs, see docs/report-format.md), state, detachment, scope and creator. */
struct tl__leak_group {
    unsigned count;
    enum tl__leak_state state;
    bool detached;
    bool c11;                  /* created with thrd_create */
    const char *start_routine; /* the user's function, "??" when unknown */
    const char *scope;         /* test-API scope, NULL when none */
    pid_t creator_tid;
    bool creator_is_main;
    char creator_name[TL_NAME_MAX];
    struct tl__frame *creation_stack; /* innermost first */
    size_t creation_depth;
    /* Where the threads were created: the creation stack's first frame outside the C++ standard
     * library (std::thread's constructor, std::async), as the SUMMARY line and the JSON's
     * created_at name it. Points into creation_stack; NULL when no stack was captured. */
    const struct tl__frame *site;
    uintptr_t site_offset;           /* site->pc minus its module's load base; 0 when unknown */
    struct tl__frame *current_stack; /* live stack of the first running thread; NULL if unknown */
    size_t current_depth;
    pid_t current_tid;    /* the thread current_stack is from */
    bool current_partial; /* current_stack was read from /proc and ends early (live_stacks.h) */
    /* "ok" with a current stack; else why there is none, in live_stack_status_name's words
     * ("signals blocked", "not signalled", "exited", ...); NULL when live state was not asked. */
    const char *stack_status;
    struct tl__leaked_thread *threads; /* count entries */
};

/* A default suppression that took threads out of this check (default_suppressions.inc). */
struct tl__default_hit {
    const char *runtime; /* static strings, from the table */
    const char *pattern;
    unsigned threads;
};

/* At most this many default suppressions; equal to TL_DEFAULT_SUPPRESSIONS_MAX (check.c holds
 * them to it). */
#define TL_FINDINGS_MAX_DEFAULT_HITS 32

struct tl__lock_findings; /* locks/lock_findings.h */

struct tl__findings {
    pid_t pid, ppid;
    char *exe;
    char **argv;       /* NULL-terminated */
    const char *mode;  /* "all" or "tsan" */
    const char *label; /* the label= option (a CI shard, a step); NULL when none. Not owned */
    uint64_t threads_created;
    unsigned leaked;                /* threads, over all groups */
    unsigned suppressed;            /* threads matched by a suppression or ignore rule */
    unsigned suppressed_by_default; /* runtimes' own threads, not counted in suppressed */
    struct tl__default_hit
        default_hits[TL_FINDINGS_MAX_DEFAULT_HITS]; /* those that hit, in order */
    size_t ndefault_hits;
    struct tl__leak_group *groups; /* most threads first */
    size_t ngroups;
    /* The lock module's findings (docs/locks.md); NULL without the lock module. Not owned: who
     * set it frees it. */
    const struct tl__lock_findings *locks;
};

/* Groups and symbolises leaked threads (as a verdict returned them) into findings. NULL only when
 * memory runs out. */
struct tl__findings *findings_build(const struct tl__thread_info *leaks, size_t n,
                                    enum tl_mode mode, unsigned suppressed);

/* What each running leaked thread is blocked on now, from the kernel (no signals), and, when a
 * live dump is given, each group's current stack (its first running thread's). */
struct live_stacks_dump;
void findings_attach_live(struct tl__findings *f, const struct live_stacks_dump *live);

/* A thread's creation stack symbolised, without the sanitizer interceptor frames that sit above
 * the user's call to pthread_create. out must hold TL_MAX_FRAMES entries; returns the depth. */
size_t findings_creation_stack(const struct tl__thread_info *t, struct tl__frame *out);

/* A start routine as the leaks name it: symbolised, and for std::thread the callable rather than
 * libstdc++'s _M_run. */
const char *findings_start_routine(const void *routine);

/* Whether a function is the C library's start-up code below main (__libc_start_call_main,
 * __libc_start_main and its _impl, _start): the text report leaves these out, as ThreadSanitizer
 * does, and no creation site is one of them (the growth page's, the CLI's). NULL is not. */
bool findings_function_below_main(const char *function);
bool findings_frame_below_main(const struct tl__frame *frame);

/* The creation site of a stack (see tl__leak_group.site); NULL for an empty stack. */
const struct tl__frame *findings_creation_site(const struct tl__frame *stack, size_t depth);

/* "all" or "tsan". */
const char *findings_mode_name(enum tl_mode mode);

void findings_free(struct tl__findings *f);

#endif
