/* Check 3: the shim and TSan in one process. `threadleak run` on a TSan build gives the clang
 * order for clang builds (exe with TSan's interceptors -> shim -> libc: the shim is simply
 * preloaded) and the gcc order for gcc builds (libtsan.so.N preloaded before the shim). Then:
 * TSan's findings equal those of the same build without the shim; our verdict equals the plain
 * build's; start routines are the user's functions, and TSan's own threads are never reported. */
#include "corpus.h"

#include <stdio.h>
#include <string.h>

static void check_no_tsan_threads(const struct verdict *v, const char *variant, struct outcome *o)
{
    for (size_t i = 0; i < v->ngroups; i++) {
        const struct group *g = &v->groups[i];
        if (strncmp(g->start_routine, "__tsan", 6) == 0 ||
            strstr(g->start_routine, "BackgroundThread") ||
            strncmp(g->start_routine, "__sanitizer", 11) == 0)
            fail(o, "%s: reports TSan's own thread (start routine %s)", variant, g->start_routine);
        if (strncmp(g->created_by_function, "__tsan", 6) == 0 ||
            strncmp(g->created_by_function, "__sanitizer", 11) == 0 ||
            strncmp(g->created_by_function, "__interceptor", 13) == 0)
            fail(o, "%s: creation stack of %s starts in TSan (%s)", variant, g->start_routine,
                 g->created_by_function);
    }
}

/* What `threadleak run` must exit with on the TSan build. */
static int expected_status(const struct manifest_tsan *t, const struct verdict *plain)
{
    if (!manifest_tsan_has_verdict(t))
        return t->exit_code; /* TSan's crash or a killed child decide, not the gate */
    bool findings = t->nleaks || t->data_races || t->lock_order_inversions || t->nother;
    return plain->ngroups > 0 || findings ? 66 : 0;
}

static bool run_plain(const struct checker *c, const struct manifest *m, const char *const *args,
                      struct verdict *v, struct outcome *o)
{
    struct run_result r;
    char err[200];
    bool ok = run_under_cli(c, "plain", m->program, args, NULL, c->timeout_s, &r) == 0 && r.json &&
              verdict_from_merged_json(r.json, v, err, sizeof err) == 0;
    if (!ok)
        fail(o, "plain: no usable report (status %d)", r.status);
    run_result_free(&r);
    return ok;
}

static void compare_with_alone(const struct checker *c, const struct manifest *m,
                               const char *variant, const struct tsan_verdict *shimmed,
                               struct outcome *o)
{
    char opts[64];
    snprintf(opts, sizeof opts, "atexit_sleep_ms=%u", c->linger_ms);
    struct run_result alone;
    if (run_tsan_alone(c, variant, m->program, opts, timeout_for(c, m, variant), &alone) != 0) {
        fail(o, "%s: cannot run it alone", variant);
        return;
    }
    if (strcmp(alone.tsan.signature, shimmed->signature) != 0)
        fail(o, "%s: TSan's findings differ with the shim: alone [%s], with the shim [%s]", variant,
             alone.tsan.signature, shimmed->signature);
    run_result_free(&alone);
}

bool check_coexistence(const struct checker *c, const struct manifest *m, const char *variant,
                       struct outcome *o)
{
    if (m->deadlocks)
        return false; /* it would hang, alone and with the shim: check 2 covers TSan's side */
    if (manifest_lock_program_quiet_for_tsan(m))
        return false;
    const struct manifest_tsan *mt = manifest_tsan_for(m, variant);
    char linger[16], tsan_env[64];
    snprintf(linger, sizeof linger, "%u", c->linger_ms);
    snprintf(tsan_env, sizeof tsan_env, "TSAN_OPTIONS=atexit_sleep_ms=%u", c->linger_ms);
    const char *args[] = {"--linger-ms", linger, NULL};
    const char *env[] = {tsan_env, NULL};
    struct run_result r;
    if (run_under_cli(c, variant, m->program, args, env, timeout_for(c, m, variant), &r) != 0) {
        fail(o, "%s: cannot run it (is it built?)", variant);
        return true;
    }
    if (mt->hangs) {
        if (!r.timed_out)
            fail(o, "%s: TSan hangs without the shim, but exited %d with it", variant, r.status);
        run_result_free(&r);
        return true;
    }
    struct verdict plain, shimmed;
    struct tsan_verdict tsan;
    char err[200];
    if (r.timed_out || !r.json) {
        fail(o, "%s: %s (status %d): %.300s", variant, r.timed_out ? "killed" : "no merged JSON",
             r.status, r.err ? r.err : "");
    } else if (verdict_from_merged_json(r.json, &shimmed, err, sizeof err) != 0 ||
               tsan_verdict_from_merged_json(r.json, &tsan, err, sizeof err) != 0) {
        fail(o, "%s: %s", variant, err);
    } else if (run_plain(c, m, args, &plain, o)) {
        compare_with_alone(c, m, variant, &tsan, o);
        compare_tsan_with_manifest(o, variant, &tsan, mt);
        check_no_tsan_threads(&shimmed, variant, o);
        char what[96];
        snprintf(what, sizeof what, "%s vs plain", variant);
        if (manifest_tsan_has_verdict(mt))
            compare_verdicts(o, what, &plain, &shimmed);
        if (r.status != expected_status(mt, &plain))
            fail(o, "%s: threadleak run exited %d, expected %d", variant, r.status,
                 expected_status(mt, &plain));
    }
    run_result_free(&r);
    return true;
}
