/* AddressSanitizer and LeakSanitizer in `threadleak run`: their reports are collected from the
 * report directory, appear in the merged JSON and text report next to the leaked threads, and
 * fail the run (--fail-on memory) unless --fail-on lets them through; LSan's own exit status is
 * accounted for, and the user's ASAN_OPTIONS and LSAN_OPTIONS stay in effect. Runs the reference
 * corpus's ASan builds (tests/reference) under the real CLI and shim. The first tests call the
 * pure pieces directly: --fail-on memory, the exit status, ASAN_OPTIONS and LSAN_OPTIONS.
 *
 * Arguments: the CLI, and the corpus's build directory (BUILD/tests/reference). */
#include "asan_env.h"
#include "gate_status.h"
#include "json_reader.h"
#include "proc_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define ARGS(...)     ((const char *const[]){__VA_ARGS__, NULL})
#define RUN_TIMEOUT_S 60

static const char *cli;
static const char *corpus;

/* ---- helpers ---- */

struct gate_run {
    struct proc_result p;
    struct tl__json *json; /* the merged report; NULL when none was written */
    char dir[256];
};

static const char *tmp_dir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t n = fread(buf, 1, (size_t)len, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static char made_dir[256]; /* a failed assertion skips the test's cleanup, not the teardown */

static int remove_made_dir(void **state)
{
    (void)state;
    if (made_dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", made_dir);
        if (system(cmd) != 0)
            return -1;
    }
    made_dir[0] = '\0';
    return 0;
}

/* BUILD/tests/reference/VARIANT/NAME, or NULL (the test is skipped) when it was not built. */
static const char *corpus_prog(const char *variant, const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", corpus, variant, name);
    if (access(path, X_OK) != 0) {
        print_message("skipped: %s was not built\n", path);
        return NULL;
    }
    return path;
}

/* threadleak run --json DIR/merged.json --linger-ms 100 OPTIONS... -- PROG, with env as proc_run
 * takes it (ASAN_OPTIONS and LSAN_OPTIONS unset unless env sets them). */
static void gate(struct gate_run *g, const char *const *args, const char *const *env)
{
    memset(g, 0, sizeof *g);
    snprintf(g->dir, sizeof g->dir, "%s/asan_gate.XXXXXX", tmp_dir());
    assert_non_null(mkdtemp(g->dir));
    snprintf(made_dir, sizeof made_dir, "%s", g->dir);
    char json[300];
    snprintf(json, sizeof json, "%s/merged.json", g->dir);
    const char *argv[48] = {cli, "run", "--json", json, "--linger-ms", "100"};
    size_t n = 6;
    for (; *args && n < 47; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    const char *env_all[16] = {"ASAN_OPTIONS", "LSAN_OPTIONS"};
    size_t e = 2;
    for (; env && *env && e < 15; env++)
        env_all[e++] = *env;
    env_all[e] = NULL;
    struct proc_spec spec = {argv, env_all, RUN_TIMEOUT_S};
    assert_int_equal(proc_run(&spec, &g->p), 0);
    assert_false(g->p.timed_out);
    char *text = slurp(json);
    if (text) {
        char err[160];
        g->json = tl__json_parse(text, strlen(text), err, sizeof err);
        if (!g->json)
            fail_msg("merged JSON does not parse: %s", err);
        free(text);
    }
}

static void gate_free(struct gate_run *g)
{
    tl__json_free(g->json);
    proc_result_free(&g->p);
    remove_made_dir(NULL);
}

/* The merged JSON's asan_findings, checked against summary.asan_findings. */
static const struct tl__json *asan_findings(const struct gate_run *g)
{
    assert_non_null(g->json);
    const struct tl__json *f = tl__json_get(g->json, "asan_findings");
    assert_int_equal(tl__json_type(f), TL_JSON_ARRAY);
    int64_t counted = -1;
    assert_true(tl__json_get_int64(tl__json_get(tl__json_get(g->json, "summary"), "asan_findings"),
                                   &counted));
    assert_int_equal(counted, (int64_t)tl__json_length(f));
    return f;
}

static int64_t leaked_threads(const struct gate_run *g)
{
    return tl__json_int(tl__json_get(tl__json_get(g->json, "summary"), "leaked_threads"));
}

/* ---- the pure pieces ---- */

static void test_fail_on_memory_parsing(void **state)
{
    (void)state;
    unsigned bits = 99;
    assert_int_equal(gate_parse_fail_on("memory", &bits), 0);
    assert_int_equal(bits, TL_FAIL_ON_MEMORY);
    assert_int_equal(gate_parse_fail_on("leaks,races,memory", &bits), 0);
    assert_int_equal(bits, TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES | TL_FAIL_ON_MEMORY);
    assert_int_equal(gate_parse_fail_on("all", &bits), 0);
    assert_true(bits & TL_FAIL_ON_MEMORY); /* memory is in the default, "all" */
    assert_int_equal(TL_FAIL_ON_DEFAULT & TL_FAIL_ON_MEMORY, TL_FAIL_ON_MEMORY);
    assert_int_equal(gate_parse_fail_on("memory,leaks", &bits), 0);
    assert_int_equal(bits, TL_FAIL_ON_LEAKS | TL_FAIL_ON_MEMORY);
    const char *bad[] = {"mem", "memory,memory", "memory,", "MEMORY", "asan"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bits = 99;
        assert_int_equal(gate_parse_fail_on(bad[i], &bits), -1);
        assert_int_equal(bits, 99);
    }
}

/* exit_code: PROG's; findings: ASan/LSan reports in any process; lsan_only: PROG's own process
 * printed a leak report and no ASan error. ASan's exitcode is 1. */
static int status_of(int exit_code, int leaked, unsigned long findings, bool lsan_only,
                     unsigned fail_on)
{
    const struct tl__gate_outcome o = {
        .prog_wait_status = exit_code << 8,
        .leaked = leaked,
        .tsan_exitcode = 66,
        .asan_findings = findings,
        .prog_lsan_only = lsan_only,
        .asan_exitcode = 1,
        .fail_on = fail_on,
        .exitcode = 66,
    };
    return gate_final_status(&o);
}

static void test_final_status(void **state)
{
    (void)state;
    const unsigned all = TL_FAIL_ON_DEFAULT, no_memory = TL_FAIL_ON_DEFAULT & ~TL_FAIL_ON_MEMORY;
    assert_int_equal(status_of(0, 0, 0, false, all), 0);
    assert_int_equal(status_of(1, 0, 1, true, all), 66);      /* LSan's 1 is the gate's */
    assert_int_equal(status_of(1, 0, 1, true, no_memory), 0); /* ... to let through */
    assert_int_equal(status_of(1, 1, 1, true, no_memory), 66);
    assert_int_equal(status_of(0, 0, 2, false, all), 66); /* a descendant's leak report */
    assert_int_equal(status_of(0, 0, 2, false, TL_FAIL_ON_LEAKS), 0);
    /* An ASan error stopped PROG: its status stays PROG's, whatever --fail-on says. */
    assert_int_equal(status_of(1, 0, 1, false, no_memory), 1);
    assert_int_equal(status_of(1, 0, 1, false, 0), 1);
    /* 1 without a leak report of PROG's own is PROG's own 1. */
    assert_int_equal(status_of(1, 0, 0, false, all), 1);
    assert_int_equal(status_of(1, 0, 3, false, TL_FAIL_ON_LEAKS), 1);
    assert_int_equal(status_of(2, 0, 1, true, all), 2); /* not LSan's exitcode */
}

static void test_asan_options_compose(void **state)
{
    (void)state;
    char err[256];
    struct tl__asan_env env;
    assert_int_equal(
        asan_env_compose(NULL, NULL, "/tmp/r", TL_ASAN_BUILD_ASAN, &env, err, sizeof err), 0);
    assert_string_equal(env.asan.options, "log_path='/tmp/r/asan'");
    assert_string_equal(env.lsan.options, "log_path='/tmp/r/asan'");
    assert_int_equal(env.exitcode, TL_ASAN_DEFAULT_EXITCODE);
    assert_false(env.asan.user_log_path || env.lsan.user_log_path);
    asan_env_free(&env);

    assert_int_equal(asan_env_compose(NULL, "", "/r", TL_ASAN_BUILD_LSAN, &env, err, sizeof err),
                     0);
    assert_int_equal(env.exitcode, TL_LSAN_DEFAULT_EXITCODE);
    asan_env_free(&env);

    /* The user's keys stay; ASAN_OPTIONS's exitcode, then LSAN_OPTIONS's, as ASan parses them. */
    assert_int_equal(asan_env_compose("detect_leaks=1:exitcode=5", "report_objects=1", "/r",
                                      TL_ASAN_BUILD_ASAN, &env, err, sizeof err),
                     0);
    assert_string_equal(env.asan.options, "detect_leaks=1:exitcode=5 log_path='/r/asan'");
    assert_string_equal(env.lsan.options, "report_objects=1 log_path='/r/asan'");
    assert_int_equal(env.exitcode, 5);
    asan_env_free(&env);
    assert_int_equal(asan_env_compose("exitcode=5", "exitcode=7,log_path=/x", "/r",
                                      TL_ASAN_BUILD_ASAN, &env, err, sizeof err),
                     0);
    assert_int_equal(env.exitcode, 7);
    assert_true(env.lsan.user_log_path);
    assert_false(env.asan.user_log_path);
    asan_env_free(&env);
    /* Standalone LSan never reads ASAN_OPTIONS. */
    assert_int_equal(
        asan_env_compose("exitcode=5", NULL, "/r", TL_ASAN_BUILD_LSAN, &env, err, sizeof err), 0);
    assert_int_equal(env.exitcode, TL_LSAN_DEFAULT_EXITCODE);
    asan_env_free(&env);

    assert_int_equal(
        asan_env_compose("", "", "/tmp/a'b\"c", TL_ASAN_BUILD_ASAN, &env, err, sizeof err), -1);
    assert_non_null(strstr(err, "ASAN_OPTIONS"));
}

static void test_asan_builds_are_recognised(void **state)
{
    (void)state;
    static const struct {
        const char *variant;
        enum tl__asan_build want;
    } cases[] = {{"gcc-asan", TL_ASAN_BUILD_ASAN},
                 {"clang-asan", TL_ASAN_BUILD_ASAN},
                 {"plain", TL_ASAN_BUILD_NONE},
                 {"gcc-tsan", TL_ASAN_BUILD_NONE},
                 {"clang-tsan", TL_ASAN_BUILD_NONE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *prog = corpus_prog(cases[i].variant, "dropped_result");
        if (!prog)
            continue;
        struct tl__elf_info info;
        assert_int_equal(elf_inspect_file(prog, &info), 0);
        assert_int_equal(asan_build_of(prog, &info), cases[i].want);
    }
}

/* ---- the gate, end to end ---- */

/* dropped_result leaks a thread (ours) and the buffer it returned (LSan's): both are reported,
 * and either fails the run. */
static void leak_fails_the_gate(const char *variant)
{
    const char *prog = corpus_prog(variant, "dropped_result");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--", prog), NULL);
    assert_int_equal(g.p.status, 66);
    assert_true(tl__json_bool(tl__json_get(g.json, "asan_instrumented")));
    assert_int_equal(leaked_threads(&g), 1);
    const struct tl__json *f = asan_findings(&g);
    assert_int_equal(tl__json_length(f), 1);
    const struct tl__json *report = tl__json_index(f, 0);
    assert_string_equal(tl__json_string(tl__json_get(report, "tool")), "LeakSanitizer");
    assert_int_equal(tl__json_int(tl__json_get(report, "leaked_bytes")), 4096);
    const struct tl__json *leak = tl__json_index(tl__json_get(report, "leaks"), 0);
    assert_string_equal(tl__json_string(tl__json_get(leak, "allocated_by_function")),
                        "render_preview");
    assert_non_null(strstr(g.p.err, "LeakSanitizer: detected memory leaks"));
    assert_non_null(strstr(g.p.err, "render_preview"));
    assert_non_null(strstr(g.p.err, "1 AddressSanitizer/LeakSanitizer finding in 1 process"));
    gate_free(&g);

    /* Neither category fails: LSan's exit status (1) must not come through as PROG's. */
    gate(&g, ARGS("--fail-on", "races", "--", prog), NULL);
    assert_int_equal(g.p.status, 0);
    assert_int_equal(tl__json_length(asan_findings(&g)), 1); /* still reported */
    gate_free(&g);
    gate(&g, ARGS("--fail-on", "memory", "--exitcode", "9", "--", prog), NULL);
    assert_int_equal(g.p.status, 9);
    gate_free(&g);
}

static void test_lsan_leak_fails_the_gate_gcc(void **state)
{
    (void)state;
    leak_fails_the_gate("gcc-asan");
}

static void test_lsan_leak_fails_the_gate_clang(void **state)
{
    (void)state;
    leak_fails_the_gate("clang-asan");
}

static void test_clean_asan_program_passes(void **state)
{
    (void)state;
    const char *variants[] = {"gcc-asan", "clang-asan"};
    for (size_t i = 0; i < 2; i++) {
        const char *prog = corpus_prog(variants[i], "std_thread_joined");
        if (!prog)
            continue;
        struct gate_run g;
        gate(&g, ARGS("--", prog), NULL);
        assert_int_equal(g.p.status, 0);
        assert_int_equal(tl__json_length(asan_findings(&g)), 0);
        assert_int_equal(leaked_threads(&g), 0);
        assert_null(strstr(g.p.err, "Sanitizer"));
        gate_free(&g);
    }
}

/* The user's ASAN_OPTIONS and LSAN_OPTIONS reach the program: detect_leaks=0 turns LSan off,
 * and an exitcode of the user's is still recognised as LSan's. */
static void test_users_options_are_kept(void **state)
{
    (void)state;
    const char *prog = corpus_prog("gcc-asan", "dropped_result");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--fail-on", "memory", "--", prog), ARGS("ASAN_OPTIONS=detect_leaks=0"));
    assert_int_equal(g.p.status, 0);
    assert_int_equal(tl__json_length(asan_findings(&g)), 0);
    assert_int_equal(leaked_threads(&g), 1); /* ours is still there */
    gate_free(&g);

    gate(&g, ARGS("--fail-on", "races", "--", prog), ARGS("LSAN_OPTIONS=exitcode=7"));
    assert_int_equal(g.p.status, 0);
    assert_int_equal(tl__json_length(asan_findings(&g)), 1);
    gate_free(&g);
    gate(&g, ARGS("--fail-on", "races", "--", prog), ARGS("ASAN_OPTIONS=exitcode=5"));
    assert_int_equal(g.p.status, 0);
    gate_free(&g);
}

static void test_users_log_path_is_overridden_with_one_warning(void **state)
{
    (void)state;
    const char *prog = corpus_prog("clang-asan", "dropped_result");
    if (!prog)
        return;
    char elsewhere[300];
    snprintf(elsewhere, sizeof elsewhere, "ASAN_OPTIONS=log_path=%s/lost", tmp_dir());
    struct gate_run g;
    gate(&g, ARGS("--", prog), ARGS(elsewhere));
    assert_int_equal(g.p.status, 66);
    assert_int_equal(tl__json_length(asan_findings(&g)), 1);
    const char *warning = "threadleak: warning: ASAN_OPTIONS log_path is overridden";
    const char *at = strstr(g.p.err, warning);
    assert_non_null(at);
    assert_null(strstr(at + 1, warning));
    gate_free(&g);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CLI CORPUS_BUILD_DIR\n", argv[0]);
        return 2;
    }
    cli = argv[1];
    corpus = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_on_memory_parsing),
        cmocka_unit_test(test_final_status),
        cmocka_unit_test(test_asan_options_compose),
        cmocka_unit_test(test_asan_builds_are_recognised),
        cmocka_unit_test_teardown(test_lsan_leak_fails_the_gate_gcc, remove_made_dir),
        cmocka_unit_test_teardown(test_lsan_leak_fails_the_gate_clang, remove_made_dir),
        cmocka_unit_test_teardown(test_clean_asan_program_passes, remove_made_dir),
        cmocka_unit_test_teardown(test_users_options_are_kept, remove_made_dir),
        cmocka_unit_test_teardown(test_users_log_path_is_overridden_with_one_warning,
                                  remove_made_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
