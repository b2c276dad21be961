/* Check 7: the plain build under `threadleak run --locks` (the lock module, deadlock=abort). Its
 * lock findings -- deadlocks by kind and threads, lock-order cycles by their locks and the
 * file:line of each edge, misuse by kind, count and function -- must be the manifest's `locks`
 * block, and the exit status the block's `exit_code` (68 for a deadlock). A manifest without a
 * `locks` block expects no lock finding at all, and the status of the leak check. Where the
 * program does not deadlock, the leaks must still be the manifest's. */
#include "corpus.h"

#include <stdio.h>

void check_locks(const struct checker *c, const struct manifest *m, struct outcome *o)
{
    const char *args[] = {"--locks", NULL};
    struct run_result r;
    if (run_under_cli(c, "plain", m->program, args, NULL, c->timeout_s, &r) != 0) {
        fail(o, "plain: cannot run it (is it built?)");
        return;
    }
    int want = m->locks.present ? m->locks.exit_code : m->leaks.ngroups > 0 ? 66 : m->exit_code;
    if (r.timed_out)
        fail(o, "--locks: killed after %.0f s", c->timeout_s);
    else if (r.status != want)
        fail(o, "--locks: threadleak run exited %d, expected %d", r.status, want);
    struct lock_verdict locks;
    struct verdict leaks;
    char err[200];
    if (!r.json) {
        fail(o, "--locks: no --json report");
    } else if (lock_verdict_from_merged_json(r.json, &locks, err, sizeof err) != 0 ||
               verdict_from_merged_json(r.json, &leaks, err, sizeof err) != 0) {
        fail(o, "--locks: the merged JSON does not parse: %s", err);
    } else {
        compare_lock_verdicts(o, "--locks", &m->locks.expected, &locks);
        if (!m->deadlocks)
            compare_verdicts(o, "--locks leaks", &m->leaks, &leaks);
    }
    run_result_free(&r);
}
