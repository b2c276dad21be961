/* Check 2: threadleak's mode=tsan on the plain build against ThreadSanitizer's own thread-leak
 * verdict on the TSan builds, with the same linger in both tools (--linger-ms L and
 * atexit_sleep_ms=L). Where TSan gives no verdict (it hangs, crashes, or kills a forked child),
 * only TSan's behaviour is checked against the manifest. Where the manifest lists running or
 * detached leaks, we must find them and TSan must not. */
#include "corpus.h"

#include <stdio.h>
#include <string.h>

static void check_tsan_run(const struct checker *c, const struct manifest *m, const char *variant,
                           struct run_result *r, struct outcome *o)
{
    const struct manifest_tsan *mt = manifest_tsan_for(m, variant);
    char opts[64];
    snprintf(opts, sizeof opts, "atexit_sleep_ms=%u", c->linger_ms);
    if (run_tsan_alone(c, variant, m->program, opts, timeout_for(c, m, variant), r) != 0) {
        fail(o, "%s: cannot run it (is it built?)", variant);
        return;
    }
    if (mt->hangs) {
        if (!r->timed_out)
            fail(o, "%s: the manifest says it hangs, but it exited %d", variant, r->status);
    } else if (r->timed_out) {
        fail(o, "%s: killed after %.0f s", variant, timeout_for(c, m, variant));
    } else if (mt->has_exit_code && r->status != mt->exit_code) {
        fail(o, "%s: exited %d, the manifest says %d", variant, r->status, mt->exit_code);
    }
    compare_tsan_with_manifest(o, variant, &r->tsan, mt);
}

/* Our lock findings (threadleak run --locks), for the comparison with TSan's lock reports. */
static bool ours_locks(const struct checker *c, const struct manifest *m, struct lock_verdict *v,
                       struct outcome *o)
{
    const char *args[] = {"--locks", NULL};
    struct run_result r;
    char err[200];
    bool ok = run_under_cli(c, "plain", m->program, args, NULL, c->timeout_s, &r) == 0 && r.json &&
              lock_verdict_from_merged_json(r.json, v, err, sizeof err) == 0;
    if (!ok)
        fail(o, "--locks: no usable report (status %d)", r.status);
    run_result_free(&r);
    return ok;
}

static int ours(const struct checker *c, const struct manifest *m, const char *mode,
                struct verdict *v, struct outcome *o)
{
    char linger[16];
    snprintf(linger, sizeof linger, "%u", c->linger_ms);
    const char *args[] = {"--linger-ms", linger, "--mode", mode, NULL};
    struct run_result r;
    char err[200];
    int rc = run_under_cli(c, "plain", m->program, args, NULL, c->timeout_s, &r);
    if (rc != 0 || !r.json) {
        fail(o, "mode=%s: no report (status %d)", mode, r.status);
        rc = -1;
    } else if (verdict_from_merged_json(r.json, v, err, sizeof err) != 0) {
        fail(o, "mode=%s: %s", mode, err);
        rc = -1;
    }
    run_result_free(&r);
    return rc;
}

/* Running and detached leaks: ours (mode=all) has them, TSan's report does not count them. */
static void check_difference(const struct manifest *m, const struct verdict *all,
                             const struct run_result *t, const char *variant, struct outcome *o)
{
    struct verdict joinable;
    manifest_tsan_mode_leaks(m, &joinable);
    unsigned tsan_threads = 0;
    for (size_t i = 0; i < t->tsan.nleaks; i++)
        tsan_threads += t->tsan.leaks[i].count;
    if (tsan_threads != verdict_threads(&joinable))
        fail(o,
             "%s: TSan reports %u leaked thread(s); only the %u finished joinable ones "
             "should be",
             variant, tsan_threads, verdict_threads(&joinable));
    if (verdict_threads(all) != verdict_threads(&m->leaks))
        fail(o,
             "mode=all: %u leaked thread(s), the manifest has %u (running and detached "
             "included)",
             verdict_threads(all), verdict_threads(&m->leaks));
}

/* TSan's lock reports against ours where TSan gives a verdict: the same lock-order cycles (by
 * their acquisition sites), unless the manifest says how the two differ; and each TSan report of
 * a lock misuse at a function where we report that misuse. */
static void compare_locks_with_tsan(const struct manifest *m, const struct lock_verdict *ours,
                                    const struct run_result *t, const char *variant,
                                    struct outcome *o)
{
    char what[96];
    snprintf(what, sizeof what, "%s vs --locks", variant);
    if (t->tsan.ninversions != ours->ncycles && !m->differs_from_tsan)
        fail(o,
             "%s: TSan reports %zu lock-order inversion(s), threadleak %zu cycle(s), and the "
             "manifest has no differs_from_tsan",
             what, t->tsan.ninversions, ours->ncycles);
    else if (t->tsan.ninversions == ours->ncycles)
        compare_tsan_inversions(o, what, &t->tsan, ours);
    compare_tsan_lock_reports(o, what, &t->tsan, ours);
}

void check_tsan_agreement(const struct checker *c, const struct manifest *m,
                          const char *const *variants, struct outcome *o)
{
    struct verdict tsan_mode, expected, all;
    manifest_tsan_mode_leaks(m, &expected);
    /* A program that deadlocks hangs under the plain shim: only TSan's side is checked. */
    bool have_ours = !m->deadlocks && ours(c, m, "tsan", &tsan_mode, o) == 0;
    if (have_ours)
        compare_verdicts(o, "mode=tsan", &expected, &tsan_mode);
    bool differs = verdict_threads(&expected) != verdict_threads(&m->leaks);
    bool have_all = have_ours && differs && ours(c, m, "all", &all, o) == 0;
    struct lock_verdict locks;
    bool have_locks = m->locks.present && ours_locks(c, m, &locks, o);
    for (const char *const *v = variants; *v; v++) {
        struct run_result t;
        check_tsan_run(c, m, *v, &t, o);
        bool verdict = manifest_tsan_has_verdict(manifest_tsan_for(m, *v));
        char what[96];
        snprintf(what, sizeof what, "%s vs mode=tsan", *v);
        if (have_ours && verdict)
            compare_tsan_with_ours(o, what, t.tsan.leaks, t.tsan.nleaks, &tsan_mode);
        if (have_all && verdict)
            check_difference(m, &all, &t, *v, o);
        if (have_locks && verdict)
            compare_locks_with_tsan(m, &locks, &t, *v, o);
        run_result_free(&t);
    }
}
