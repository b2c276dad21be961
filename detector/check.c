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

void check_run(const struct tl__check_request *req, struct tl__check_result *out)
{
    memset(out, 0, sizeof *out);
    struct tl__verdict_request verdict_req = req->verdict;
    verdict_req.filters = req->filters;
    verdict_req.nfilters = req->nfilters;
    struct tl__verdict verdict;
    verdict_run(&verdict_req, &verdict);
    memcpy(out->ignored_by, verdict.ignored_by, sizeof out->ignored_by);
    if (verdict.nleaks > 0 || req->findings_when_clean)
        out->findings =
            findings_build(verdict.leaks, verdict.nleaks, verdict_req.mode, verdict.ignored);
    verdict_free(&verdict);
    if (out->findings && req->live_state)
        attach_live_state(out->findings, &req->live);
}
