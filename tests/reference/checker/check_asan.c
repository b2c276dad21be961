/* Check 6: AddressSanitizer and LeakSanitizer beside threadleak. Each ASan build runs alone (its
 * exit status and what LSan reports must be the manifest's `asan` block) and under `threadleak
 * run`, where both verdicts must hold at once: our leaked threads are the manifest's `leaks`, the
 * gate's asan_findings are the manifest's `asan` block, the text report shows them, and the exit
 * status is 66 when either tool found something. A program that LSan reports also runs with
 * --fail-on memory (66), and with --fail-on races, where neither category fails: that must give
 * 0, so LSan's own exit status (ASan's exitcode, 1) must not leak through as PROG's. */
#include "corpus.h"

#include <stdio.h>
#include <string.h>

static bool asan_findings(const struct manifest *m)
{
    return m->asan.expected.signature[0] != '\0';
}

static void check_alone(const struct checker *c, const struct manifest *m, const char *variant,
                        struct outcome *o)
{
    struct run_result r;
    char what[96];
    snprintf(what, sizeof what, "%s alone", variant);
    if (run_asan_alone(c, variant, m->program, c->timeout_s, &r) != 0) {
        fail(o, "%s: cannot run it (is it built?)", variant);
        return;
    }
    if (r.timed_out)
        fail(o, "%s: killed after %.0f s", what, c->timeout_s);
    else if (r.status != m->asan.exit_code)
        fail(o, "%s: exited %d, the manifest says %d", what, r.status, m->asan.exit_code);
    compare_asan_with_manifest(o, what, &r.asan, &m->asan);
    run_result_free(&r);
}

static void check_text(const struct run_result *r, const struct manifest *m, const char *what,
                       struct outcome *o)
{
    const char *err = r->err ? r->err : "";
    bool summary = strstr(err, "AddressSanitizer/LeakSanitizer finding") != NULL;
    if (asan_findings(m) && !summary)
        fail(o, "%s: the text report lacks the AddressSanitizer/LeakSanitizer summary", what);
    if (m->asan.expected.leak_reports && !strstr(err, "LeakSanitizer: detected memory leaks"))
        fail(o, "%s: the text report lacks 'LeakSanitizer: detected memory leaks'", what);
    if (!asan_findings(m) && summary)
        fail(o, "%s: the text report has ASan findings the manifest does not", what);
}

/* One `threadleak run` of the ASan build; full: compare both verdicts and the text too. */
static void run_gate(const struct checker *c, const struct manifest *m, const char *variant,
                     const char *fail_on, int want, bool full, struct outcome *o)
{
    char linger[16], what[128];
    snprintf(linger, sizeof linger, "%u", c->linger_ms);
    snprintf(what, sizeof what, "%s run%s%s", variant, fail_on ? " --fail-on " : "",
             fail_on ? fail_on : "");
    const char *args[] = {"--linger-ms", linger, fail_on ? "--fail-on" : NULL, fail_on, NULL};
    const char *env[] = {"ASAN_OPTIONS", "LSAN_OPTIONS", NULL};
    struct run_result r;
    if (run_under_cli(c, variant, m->program, args, env, c->timeout_s, &r) != 0) {
        fail(o, "%s: cannot run it (is it built?)", variant);
        return;
    }
    char err[200];
    if (r.timed_out)
        fail(o, "%s: killed", what);
    else if (r.status != want)
        fail(o, "%s: exited %d, expected %d", what, r.status, want);
    struct verdict ours;
    struct asan_verdict lsan;
    if (!r.json) {
        fail(o, "%s: no merged JSON", what);
    } else if (full) {
        if (verdict_from_merged_json(r.json, &ours, err, sizeof err) != 0)
            fail(o, "%s: %s", what, err);
        else
            compare_verdicts(o, what, &m->leaks, &ours);
        if (asan_verdict_from_merged_json(r.json, &lsan, err, sizeof err) != 0)
            fail(o, "%s: %s", what, err);
        else
            compare_asan_with_manifest(o, what, &lsan, &m->asan);
        check_text(&r, m, what, o);
    }
    run_result_free(&r);
}

bool check_asan(const struct checker *c, const struct manifest *m, const char *variant,
                struct outcome *o)
{
    if (m->deadlocks)
        return false; /* it hangs, with or without ASan */
    if (manifest_lock_program_quiet_for_tsan(m))
        return false; /* the same programs as checks 3 and 4 */
    check_alone(c, m, variant, o);
    bool threads = m->leaks.ngroups > 0, memory = asan_findings(m);
    run_gate(c, m, variant, NULL, threads || memory ? 66 : m->exit_code, true, o);
    if (!memory)
        return true;
    run_gate(c, m, variant, "memory", 66, false, o);
    run_gate(c, m, variant, "races", m->exit_code, false, o);
    run_gate(c, m, variant, "leaks", threads ? 66 : m->exit_code, false, o);
    return true;
}
