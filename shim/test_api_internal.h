/* What the test API's files share (test_api*.c). Internal to the shim.
 *
 * The detector's options.h must come before the public header: both define enum tl_mode and enum
 * tl_color, and the public one steps aside when the internal one is already there. */
#ifndef THREADLEAK_TEST_API_INTERNAL_H
#define THREADLEAK_TEST_API_INTERNAL_H

#include "options.h"

#include "findings.h"
#include "thread_record.h"
#include "threadleak.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Serials are unique for the life of the process and never reused, so a sorted list of them
 * identifies "the threads alive then" exactly, even after their slots were recycled. */
struct tl_snapshot {
    size_t count;
    uint64_t serials[]; /* ascending */
};

struct tl_report {
    struct tl_findings *findings;
};

/* Runs the verdict for opts and turns the leaks into findings; NULL when nothing leaked (or when
 * memory ran out). */
struct tl_findings *test_api_check(const tl_options *opts);

/* The ignore lists of opts (top, any, created_by) as a verdict ignore rule; ctx is the
 * tl_options. test_api_has_ignore_lists says whether the rule is needed at all. */
bool test_api_has_ignore_lists(const tl_options *opts);
bool test_api_ignored_by_lists(const struct tl_thread_info *t, void *ctx);

/* Does function match a pattern: exact, or a prefix when pattern ends in '*'. */
bool test_api_name_matches(const char *pattern, const char *function);

#endif
