/* Check 5: one TSan suppression file with a `thread:` entry, naming the function that creates the
 * threads, is honoured the same way by both tools: TSan on its TSan builds, threadleak (mode=tsan)
 * on the plain build, and both together in one `threadleak run` on each TSan build. The entry
 * must actually suppress something, so that a tool that ignores the file fails. */
#include "corpus.h"

#include <stdio.h>
#include <string.h>

struct suppression_case {
    const char *program;
    const char *pattern;  /* as written after "thread:" */
    const char *function; /* the creating function it names */
};

static const struct suppression_case cases[] = {
    {"finished_never_joined", "start_cache_warmup", "start_cache_warmup"},
    {"two_leak_sites", "start_prefetchers", "start_prefetchers"},
    {"worker_pool_partial_join", "^pool_start$", "pool_start"},
};

static const struct suppression_case *case_of(const char *program)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(cases[i].program, program) == 0)
            return &cases[i];
    }
    return NULL;
}

/* The manifest's mode=tsan leaks without the ones the entry suppresses. */
static void expected_after(const struct manifest *m, const struct suppression_case *sc,
                           struct verdict *out)
{
    struct verdict all;
    manifest_tsan_mode_leaks(m, &all);
    out->ngroups = 0;
    for (size_t i = 0; i < all.ngroups; i++) {
        if (strcmp(all.groups[i].created_by_function, sc->function) != 0)
            out->groups[out->ngroups++] = all.groups[i];
    }
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void check_ours(const struct checker *c, const struct manifest *m, const char *variant,
                       const char *tl_env, const char *tsan_env, const struct verdict *expected,
                       struct outcome *o)
{
    char linger[16];
    snprintf(linger, sizeof linger, "%u", c->linger_ms);
    const char *args[] = {"--linger-ms", linger, "--mode", "tsan", NULL};
    const char *env[] = {tl_env, tsan_env, NULL};
    struct run_result r;
    struct verdict v;
    struct tsan_verdict t;
    char err[200], what[96];
    bool tsan_build = strcmp(variant, "plain") != 0;
    if (run_under_cli(c, variant, m->program, args, env, c->timeout_s, &r) != 0 || !r.json ||
        verdict_from_merged_json(r.json, &v, err, sizeof err) != 0 ||
        tsan_verdict_from_merged_json(r.json, &t, err, sizeof err) != 0) {
        fail(o, "%s: no usable report (status %d)", variant, r.status);
    } else {
        snprintf(what, sizeof what, "%s, threadleak with the file", variant);
        compare_verdicts(o, what, expected, &v);
        snprintf(what, sizeof what, "%s, TSan and threadleak in one run", variant);
        if (tsan_build)
            compare_tsan_with_ours(o, what, t.leaks, t.nleaks, &v);
    }
    run_result_free(&r);
}

static void check_tsan(const struct checker *c, const struct manifest *m, const char *variant,
                       const char *supp, const struct verdict *expected, struct outcome *o)
{
    char opts[4200], what[96];
    snprintf(opts, sizeof opts, "atexit_sleep_ms=%u suppressions='%s'", c->linger_ms, supp);
    struct run_result r;
    if (run_tsan_alone(c, variant, m->program, opts, c->timeout_s, &r) != 0) {
        fail(o, "%s: cannot run it", variant);
        return;
    }
    snprintf(what, sizeof what, "%s, TSan with the file", variant);
    compare_tsan_with_ours(o, what, r.tsan.leaks, r.tsan.nleaks, expected);
    run_result_free(&r);
}

bool check_suppressions(const struct checker *c, const struct manifest *m,
                        const char *const *variants, struct outcome *o)
{
    const struct suppression_case *sc = case_of(m->program);
    if (!sc)
        return false;
    struct verdict expected, before;
    expected_after(m, sc, &expected);
    manifest_tsan_mode_leaks(m, &before);
    if (verdict_threads(&expected) >= verdict_threads(&before))
        fail(o, "the entry thread:%s suppresses nothing the manifest lists", sc->pattern);
    char supp[4096], text[512], tl_env[4200], tsan_env[4300];
    snprintf(supp, sizeof supp, "%s/%s.supp", c->work, m->program);
    snprintf(text, sizeof text, "# corpus checker\nthread:%s\n", sc->pattern);
    if (write_file(supp, text) != 0) {
        fail(o, "cannot write %s", supp);
        return true;
    }
    snprintf(tl_env, sizeof tl_env, "THREADLEAK_OPTIONS=suppressions='%s'", supp);
    snprintf(tsan_env, sizeof tsan_env, "TSAN_OPTIONS=atexit_sleep_ms=%u suppressions='%s'",
             c->linger_ms, supp);
    check_ours(c, m, "plain", tl_env, "TSAN_OPTIONS", &expected, o);
    for (const char *const *v = variants; *v; v++) {
        check_tsan(c, m, *v, supp, &expected, o);
        check_ours(c, m, *v, tl_env, tsan_env, &expected, o);
    }
    remove(supp);
    return true;
}
