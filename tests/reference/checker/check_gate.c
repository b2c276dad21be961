/* Check 4: ThreadSanitizer findings in the gate, on the programs that are clean for threadleak:
 * the TSan builds of the race programs fail `threadleak run` (66), show every finding in the
 * merged JSON and in the text report, and pass with --fail-on leaks; their fixed twins pass. A TSan
 * crash is the program's own status and is never let through. */
#include "corpus.h"

#include <stdio.h>
#include <string.h>

static unsigned manifest_findings(const struct manifest_tsan *t)
{
    unsigned n = (unsigned)t->nleaks + t->data_races + t->lock_order_inversions;
    for (size_t i = 0; i < t->nother; i++)
        n += t->other[i].count;
    return n;
}

static void check_text(const struct run_result *r, const struct tsan_verdict *t,
                       const char *variant, struct outcome *o)
{
    const char *err = r->err ? r->err : "";
    for (size_t i = 0; i < t->nkinds; i++) {
        char line[NAME_MAX_LEN + 40];
        snprintf(line, sizeof line, "ThreadSanitizer: %s", t->kinds[i].kind);
        if (!strstr(err, line))
            fail(o, "%s: the text report lacks '%s'", variant, line);
    }
    if (t->nkinds == 0 && t->nmessages == 0 && strstr(err, "ThreadSanitizer"))
        fail(o, "%s: the text report mentions ThreadSanitizer without findings", variant);
}

static void run_gate(const struct checker *c, const struct manifest *m, const char *variant,
                     const char *fail_on, int want, bool check_output, struct outcome *o)
{
    char linger[16], tsan_env[64];
    snprintf(linger, sizeof linger, "%u", c->linger_ms);
    snprintf(tsan_env, sizeof tsan_env, "TSAN_OPTIONS=atexit_sleep_ms=%u", c->linger_ms);
    const char *args[] = {"--linger-ms", linger, "--fail-on", fail_on, NULL};
    const char *env[] = {tsan_env, NULL};
    struct run_result r;
    if (run_under_cli(c, variant, m->program, args, env, c->timeout_s, &r) != 0) {
        fail(o, "%s: cannot run it (is it built?)", variant);
        return;
    }
    struct tsan_verdict t;
    char err[200];
    if (r.timed_out)
        fail(o, "%s --fail-on %s: killed", variant, fail_on);
    else if (r.status != want)
        fail(o, "%s --fail-on %s: exited %d, expected %d", variant, fail_on, r.status, want);
    if (!r.json || tsan_verdict_from_merged_json(r.json, &t, err, sizeof err) != 0) {
        fail(o, "%s --fail-on %s: no usable merged JSON", variant, fail_on);
    } else if (check_output) {
        compare_tsan_with_manifest(o, variant, &t, manifest_tsan_for(m, variant));
        check_text(&r, &t, variant, o);
    }
    run_result_free(&r);
}

bool check_gate(const struct checker *c, const struct manifest *m, const char *const *variants,
                struct outcome *o)
{
    if (!m->clean || m->tsan.hangs || m->deadlocks)
        return false; /* leaking programs: check 3 covers their status; hangs give no status */
    if (manifest_lock_program_quiet_for_tsan(m))
        return false;
    /* The lock programs' TSan reports in the gate: one run with the default --fail-on; the other
     * --fail-on lists are the race programs' to check. */
    bool all_runs = !m->locks.present;
    for (const char *const *v = variants; *v; v++) {
        const struct manifest_tsan *mt = manifest_tsan_for(m, *v);
        bool findings = manifest_findings(mt) > 0;
        if (mt->crashes) {
            run_gate(c, m, *v, "leaks,races", mt->exit_code, false, o);
            if (all_runs)
                run_gate(c, m, *v, "leaks", mt->exit_code, false, o);
            continue;
        }
        run_gate(c, m, *v, "leaks,races", findings ? 66 : 0, true, o);
        if (!all_runs)
            continue;
        run_gate(c, m, *v, "leaks", 0, false, o);
        if (findings)
            run_gate(c, m, *v, "races", 66, false, o);
    }
    return true;
}
