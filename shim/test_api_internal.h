/* What the test API's files share (test_api*.c). Internal to the shim.
 *
 * The detector's options.h must come before the public header: both define enum tl_mode and enum
 * tl_color, and the public one steps aside when the internal one is already there. */
#ifndef THREADLEAK_TEST_API_INTERNAL_H
#define THREADLEAK_TEST_API_INTERNAL_H

#include "options.h"

#include "findings.h"
#include "live_stacks.h"
#include "thread_record.h"
#include "threadleak.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Serials are unique for the life of the process and never reused, so a sorted list of them
 * identifies "the threads alive then" exactly, even after their slots were recycled. */
struct tl_snapshot {
    struct tl__lock_mark *locks; /* how far the lock findings had grown; NULL without them */
    size_t count;
    uint64_t serials[]; /* ascending */
};

/* A leak check's findings, or lock findings (tl_find_lock_findings): then locks is set, owned,
 * and also hung on findings->locks, whose leaks are empty. */
struct tl_report {
    struct tl__findings *findings;
    struct tl__lock_findings *locks;
};

/* A lock report's text: the lock module's blocks (lock_report_text.h) and a summary line. */
int test_api_write_lock_text(FILE *out, const tl_report *r, bool color);

/* Runs the check for opts and the configuration's suppressions; the findings, or NULL when nothing
 * leaked (or when memory ran out). */
struct tl__findings *test_api_check(const tl_options *opts);

/* Live stacks for one check, dumped on first need (test_api_stacks.c). Zero-initialised, then
 * options set to the check's (check_live_options). */
struct test_api_stack_cache {
    struct live_stacks_options options; /* nosignal: no dump, the start routine stands in */
    struct live_stacks_dump dump;
    unsigned dumps; /* how many were taken; the last one is in dump */
};

/* The function names on t's current stack, innermost first (at most max); *top is the index of
 * the one that counts as "on top": the innermost outside the C library and the loader. Without a
 * live stack, the start routine alone. */
size_t test_api_current_functions(struct test_api_stack_cache *cache,
                                  const struct tl__thread_info *t, const char **out, size_t max,
                                  size_t *top);
void test_api_stack_cache_free(struct test_api_stack_cache *cache);

/* What the ignore-list filter needs for one check. */
struct test_api_ignore_ctx {
    const tl_options *opts;
    struct test_api_stack_cache stacks;
};

/* The ignore lists of opts (top, any, created_by) as one filter of the check; ctx is a
 * test_api_ignore_ctx. test_api_has_ignore_lists says whether the filter is needed at all. */
bool test_api_has_ignore_lists(const tl_options *opts);
bool test_api_ignored_by_lists(const struct tl__thread_info *t, void *ctx);

/* Does function match a pattern: exact, or a prefix when pattern ends in '*'. */
bool test_api_name_matches(const char *pattern, const char *function);

#endif
