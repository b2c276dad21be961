/* Check 1: the plain build under `threadleak run --json` (default options) reports exactly the
 * manifest's leaks, and exits as a leak gate should. */
#include "corpus.h"

#include <stdio.h>

bool check_manifest(const struct checker *c, const struct manifest *m, struct outcome *o)
{
    if (m->deadlocks)
        return false; /* it hangs without the lock module: check 7 runs it with it */
    struct run_result r;
    if (run_under_cli(c, "plain", m->program, NULL, NULL, c->timeout_s, &r) != 0) {
        fail(o, "plain: cannot run it (is it built?)");
        return true;
    }
    int want = m->leaks.ngroups > 0 ? 66 : m->exit_code;
    if (r.timed_out)
        fail(o, "plain: killed after %.0f s", c->timeout_s);
    else if (r.status != want)
        fail(o, "plain: threadleak run exited %d, expected %d", r.status, want);
    struct verdict v;
    char err[200];
    if (!r.json)
        fail(o, "plain: no --json report");
    else if (verdict_from_merged_json(r.json, &v, err, sizeof err) != 0)
        fail(o, "plain: the merged JSON does not parse: %s", err);
    else
        compare_verdicts(o, "plain", &m->leaks, &v);
    run_result_free(&r);
    return true;
}
