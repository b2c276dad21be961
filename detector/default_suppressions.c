/* The default suppressions: the table of default_suppressions.inc, and the verdict filter that
 * matches it against start routines. Runs at report time only. */
#include "default_suppressions.h"

#include "suppressions.h"
#include "symbolize.h"
#include "verdict.h"

#include <string.h>

const struct tl__default_suppression tl__default_suppressions[] = {
#define TL__DEFAULT_SUPPRESSION(runtime, pattern, reason) {runtime, pattern, reason},
#define TL__DEFAULT_LOCK_SUPPRESSION(runtime, kind, pattern, reason)
#include "default_suppressions.inc"
#undef TL__DEFAULT_LOCK_SUPPRESSION
#undef TL__DEFAULT_SUPPRESSION
};

#define ENTRY_COUNT (sizeof tl__default_suppressions / sizeof tl__default_suppressions[0])
_Static_assert(ENTRY_COUNT <= TL_DEFAULT_SUPPRESSIONS_MAX, "raise TL_DEFAULT_SUPPRESSIONS_MAX");

const size_t tl__default_suppression_count = ENTRY_COUNT;

const struct tl__default_lock_suppression tl__default_lock_suppressions[] = {
#define TL__DEFAULT_SUPPRESSION(runtime, pattern, reason)
#define TL__DEFAULT_LOCK_SUPPRESSION(runtime, kind, pattern, reason)                               \
    {runtime, kind, pattern, reason},
#include "default_suppressions.inc"
#undef TL__DEFAULT_LOCK_SUPPRESSION
#undef TL__DEFAULT_SUPPRESSION
};

const size_t tl__default_lock_suppression_count =
    sizeof tl__default_lock_suppressions / sizeof tl__default_lock_suppressions[0];

/* "??" is the symboliser's word for an unknown function: nothing may match it, as in a
 * suppressions file. */
static bool matches(const char *pattern, const char *text)
{
    return text && strcmp(text, "??") != 0 && suppression_pattern_matches(pattern, text);
}

int default_suppressions_match(const struct tl__frame *start_routine)
{
    for (size_t i = 0; i < ENTRY_COUNT; i++) {
        const char *pattern = tl__default_suppressions[i].pattern;
        if (matches(pattern, start_routine->function) || matches(pattern, start_routine->file) ||
            matches(pattern, start_routine->module))
            return (int)i;
    }
    return -1;
}

static bool frame_matches(const char *pattern, const struct tl__frame *frame)
{
    return matches(pattern, frame->function) || matches(pattern, frame->file) ||
           matches(pattern, frame->module);
}

int default_lock_suppressions_match(const char *kind, const struct tl__frame *stack, size_t n)
{
    for (size_t i = 0; kind && i < tl__default_lock_suppression_count; i++) {
        const struct tl__default_lock_suppression *e = &tl__default_lock_suppressions[i];
        if (strcmp(e->kind, kind) != 0)
            continue;
        /* The call site only: frame 0 and the frames inlined at its pc. A lock the runtime took
         * on behalf of a caller further out (a JNI call) is that caller's business. */
        for (size_t j = 0; stack && j < n && stack[j].pc == stack[0].pc; j++)
            if (frame_matches(e->pattern, &stack[j]))
                return (int)i;
    }
    return -1;
}

/* The start routine's address is its entry, not a return address: looked up as it is. */
bool default_suppressions_ignores(const struct tl__thread_info *t, void *ctx)
{
    if (!t->start_routine)
        return false;
    struct tl__frame start;
    void *pc = t->start_routine;
    symbolize_frames(&pc, 1, false, &start);
    int hit = default_suppressions_match(&start);
    if (hit < 0)
        return false;
    struct tl__default_hits *hits = ctx;
    if (verdict_state_is_leak(t, hits->mode))
        hits->threads[hit]++;
    return true;
}
