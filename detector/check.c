/* The check pipeline: verdict, then findings for the leaks, then what the running leaks are doing
 * now. Symbolisation happens in the findings, for the leaks only: threads a filter or a snapshot
 * took out cost nothing there. */
#include "check.h"

#include <string.h>

struct live_stacks_options check_live_options(const struct tl__config *cfg)
{
    return (struct live_stacks_options){
        .signal = cfg->dump_signal,
        .deadline_ms = cfg->dump_timeout_ms,
        .nosignal = cfg->stacks == TL_STACKS_NOSIGNAL,
        .interrupt_calls = cfg->stacks == TL_STACKS_INTERRUPT,
    };
}

static bool any_running(const struct tl__findings *f)
{
    for (size_t i = 0; i < f->ngroups; i++) {
        if (f->groups[i].state == TL_LEAK_RUNNING)
            return true;
    }
    return false;
}

/* The kernel's wait channel always; the current stack unless the options say nosignal, since the
 * dump's signal makes nanosleep, poll and select return EINTR in every thread it interrupts. No
 * dump at all when no leak is running: only running leaks have a state to show. */
static void attach_live_state(struct tl__findings *f, const struct live_stacks_options *live)
{
    if (!any_running(f))
        return;
    struct live_stacks_dump dump = {0};
    bool dumped = !live->nosignal && live_stacks_dump(live, &dump) == 0;
    findings_attach_live(f, dumped ? &dump : NULL);
    if (dumped)
        live_stacks_free(&dump);
}

_Static_assert(TL_FINDINGS_MAX_DEFAULT_HITS == TL_DEFAULT_SUPPRESSIONS_MAX,
               "findings hold one hit per default suppression");

/* What the default suppressions took out in this run: the counts now, less those before it (a
 * request may run more than once, as the test API's retries do). */
static void note_default_hits(struct tl__findings *f, const struct tl__default_hits *before,
                              const struct tl__default_hits *after)
{
    for (size_t i = 0; i < tl__default_suppression_count; i++) {
        unsigned n = after->threads[i] - before->threads[i];
        if (n == 0)
            continue;
        f->suppressed_by_default += n;
        f->default_hits[f->ndefault_hits++] = (struct tl__default_hit){
            .runtime = tl__default_suppressions[i].runtime,
            .pattern = tl__default_suppressions[i].pattern,
            .threads = n,
        };
    }
}

void check_run(const struct tl__check_request *req, struct tl__check_result *out)
{
    memset(out, 0, sizeof *out);
    struct tl__verdict_request verdict_req = req->verdict;
    verdict_req.filters = req->filters;
    verdict_req.nfilters = req->nfilters;
    /* The mode is the run's: the test API sets it after check_request_init. */
    if (req->default_filter >= 0)
        ((struct tl__default_hits *)req->filters[req->default_filter].ctx)->mode = verdict_req.mode;
    struct tl__default_hits before = req->default_hits;
    struct tl__verdict verdict;
    verdict_run(&verdict_req, &verdict);
    memcpy(out->ignored_by, verdict.ignored_by, sizeof out->ignored_by);
    unsigned taken_by_default =
        req->default_filter >= 0 ? verdict.ignored_by[req->default_filter] : 0;
    if (verdict.nleaks > 0 || req->findings_when_clean)
        out->findings = findings_build(verdict.leaks, verdict.nleaks, verdict_req.mode,
                                       verdict.ignored - taken_by_default);
    /* The verdict's count for the default filter holds every thread it took; the findings count
     * only those that would have leaked (default_suppressions.h). */
    if (out->findings) {
        note_default_hits(out->findings, &before, &req->default_hits);
        out->findings->label = req->label;
    }
    verdict_free(&verdict);
    if (out->findings && req->live_state)
        attach_live_state(out->findings, &req->live);
}
