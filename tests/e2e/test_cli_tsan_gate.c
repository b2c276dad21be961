/* ThreadSanitizer in `threadleak run`: TSan's reports are collected from the report directory,
 * appear in the merged JSON and text report, and fail the run unless --fail-on lets them through.
 * Runs the reference corpus's TSan builds (tests/reference) under the real CLI and shim, each
 * under a hard timeout that kills the whole process group (TSan builds can hang at exit). The
 * first tests call the pure pieces directly: --fail-on, the exit status, TSAN_OPTIONS.
 *
 * Arguments: the CLI, and the corpus's build directory (BUILD/tests/reference). */
#include "gate_status.h"
#include "json_reader.h"
#include "proc_run.h"
#include "tsan_env.h"
#include "tsan_gate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
    char dir[256];         /* the --keep-reports directory */
    char run_dir[512];     /* this run's own subdirectory of it, as the CLI names it */
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

static void remove_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The directories a test made; a failed assertion skips its own cleanup, the teardown does not. */
static char made_dirs[8][256];
static size_t nmade;

static void remember_dir(const char *dir)
{
    if (nmade < 8)
        snprintf(made_dirs[nmade++], sizeof made_dirs[0], "%s", dir);
}

static int remove_made_dirs(void **state)
{
    (void)state;
    for (size_t i = 0; i < nmade; i++) {
        char cmd[sizeof made_dirs + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", made_dirs[i]);
        if (system(cmd) != 0)
            return -1;
    }
    nmade = 0;
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

/* threadleak run --json DIR/merged.json --keep-reports DIR/reports OPTIONS... -- PROG [ARGS...],
 * args being OPTIONS, "--", PROG... as given; env as proc_run takes it. TSan's grace sleep at exit
 * is cut to 0 unless env sets TSAN_OPTIONS. */
static void gate(struct gate_run *g, const char *const *args, const char *const *env)
{
    memset(g, 0, sizeof *g);
    snprintf(g->dir, sizeof g->dir, "%s/tsan_gate.XXXXXX", tmp_dir());
    assert_non_null(mkdtemp(g->dir));
    remember_dir(g->dir);
    char json[300], reports[300];
    snprintf(json, sizeof json, "%s/merged.json", g->dir);
    snprintf(reports, sizeof reports, "%s/reports", g->dir);
    const char *argv[48] = {cli, "run", "--json", json, "--keep-reports", reports};
    size_t n = 6;
    for (; *args && n < 47; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    const char *env_all[16] = {"TSAN_OPTIONS=atexit_sleep_ms=0"};
    size_t e = 1;
    for (; env && *env && e < 15; env++)
        env_all[e++] = *env;
    env_all[e] = NULL;
    struct proc_spec spec = {argv, env_all, RUN_TIMEOUT_S};
    assert_int_equal(proc_run(&spec, &g->p), 0);
    assert_false(g->p.timed_out);
    /* --keep-reports names the run's own subdirectory in a first line; the tests below check
     * the rest of stderr as it always was. */
    static const char kept[] = "threadleak: reports kept in ";
    if (g->p.err && strncmp(g->p.err, kept, sizeof kept - 1) == 0) {
        char *eol = strchr(g->p.err, '\n');
        assert_non_null(eol);
        snprintf(g->run_dir, sizeof g->run_dir, "%.*s", (int)(eol - g->p.err - (sizeof kept - 1)),
                 g->p.err + sizeof kept - 1);
        memmove(g->p.err, eol + 1, strlen(eol + 1) + 1);
    }
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
    remove_dir(g->dir);
}

static const struct tl__json *findings(const struct gate_run *g)
{
    const struct tl__json *f = tl__json_get(g->json, "tsan_findings");
    assert_int_equal(tl__json_type(f), TL_JSON_ARRAY);
    int64_t counted = -1;
    assert_true(tl__json_get_int64(tl__json_get(tl__json_get(g->json, "summary"), "tsan_findings"),
                                   &counted));
    assert_int_equal(counted, (int64_t)tl__json_length(f));
    return f;
}

/* Whether any frame of any stack of the finding is in function fn. */
static bool finding_has_frame(const struct tl__json *finding, const char *fn)
{
    const struct tl__json *stacks = tl__json_get(finding, "stacks");
    for (size_t i = 0; i < tl__json_length(stacks); i++) {
        const struct tl__json *frames = tl__json_get(tl__json_index(stacks, i), "frames");
        for (size_t j = 0; j < tl__json_length(frames); j++) {
            const char *name = tl__json_string(tl__json_get(tl__json_index(frames, j), "function"));
            if (name && strcmp(name, fn) == 0)
                return true;
        }
    }
    return false;
}

static const char *kind_of(const struct tl__json *finding)
{
    const char *kind = tl__json_string(tl__json_get(finding, "kind"));
    assert_non_null(kind);
    return kind;
}

/* ---- the pure pieces ---- */

static void test_fail_on_parsing(void **state)
{
    (void)state;
    unsigned bits = 99;
    assert_int_equal(gate_parse_fail_on("leaks,races", &bits), 0);
    assert_int_equal(bits, TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES);
    assert_int_equal(gate_parse_fail_on("races,leaks", &bits), 0);
    assert_int_equal(bits, TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES);
    assert_int_equal(gate_parse_fail_on("leaks", &bits), 0);
    assert_int_equal(bits, TL_FAIL_ON_LEAKS);
    assert_int_equal(gate_parse_fail_on("races", &bits), 0);
    assert_int_equal(bits, TL_FAIL_ON_RACES);
    assert_int_equal(gate_parse_fail_on("none", &bits), 0);
    assert_int_equal(bits, 0);
    const char *bad[] = {"",           "leak",  "leaks,",      ",races",      "leaks,leaks",
                         "none,leaks", "LEAKS", "leaks races", "leaks,races,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bits = 99;
        assert_int_equal(gate_parse_fail_on(bad[i], &bits), -1);
        assert_int_equal(bits, 99);
    }
}

static int status_of(int exit_code, int leaked, unsigned long findings, bool prog_reported,
                     unsigned fail_on, int exitcode)
{
    const struct tl__gate_outcome o = {
        .prog_wait_status = exit_code << 8, /* as waitpid reports an exit */
        .leaked = leaked,
        .tsan_findings = findings,
        .prog_tsan_reported = prog_reported,
        .tsan_exitcode = 66,
        .fail_on = fail_on,
        .exitcode = exitcode,
    };
    return gate_final_status(&o);
}

static void test_final_status(void **state)
{
    (void)state;
    const unsigned both = TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES;
    assert_int_equal(status_of(0, 0, 0, false, both, 66), 0);
    assert_int_equal(status_of(0, 1, 0, false, both, 66), 66);
    assert_int_equal(status_of(0, 0, 2, false, both, 66), 66); /* a descendant's race */
    assert_int_equal(status_of(0, 0, 2, false, both, 9), 9);   /* --exitcode */
    assert_int_equal(status_of(0, 1, 0, false, TL_FAIL_ON_RACES, 66), 0);
    assert_int_equal(status_of(0, 0, 1, false, TL_FAIL_ON_LEAKS, 66), 0);
    assert_int_equal(status_of(0, 1, 1, false, 0, 66), 0);     /* --fail-on none */
    assert_int_equal(status_of(66, 0, 1, true, both, 66), 66); /* TSan's 66 */
    assert_int_equal(status_of(66, 0, 1, true, both, 5), 5);   /* ... is the gate's to decide */
    assert_int_equal(status_of(66, 0, 1, true, TL_FAIL_ON_LEAKS, 66), 0);
    assert_int_equal(status_of(66, 1, 1, true, TL_FAIL_ON_LEAKS, 66), 66);
    /* 66 without findings in PROG (a TSan crash, or PROG's own 66) is PROG's status. */
    assert_int_equal(status_of(66, 0, 0, false, TL_FAIL_ON_LEAKS, 66), 66);
    assert_int_equal(status_of(66, 0, 3, false, TL_FAIL_ON_LEAKS, 66), 66);
    assert_int_equal(status_of(3, 0, 1, true, TL_FAIL_ON_LEAKS, 66), 3);
    assert_int_equal(status_of(3, 1, 1, true, both, 66), 3);
    assert_int_equal(status_of(0, -1, 0, false, both, 66), 125); /* reports lost */
    /* Killed by SIGTERM (wait status 15) is never TSan's exitcode, even after findings. */
    struct tl__gate_outcome killed = {.prog_wait_status = 15,
                                      .tsan_findings = 1,
                                      .prog_tsan_reported = true,
                                      .tsan_exitcode = 143};
    assert_int_equal(gate_final_status(&killed), 128 + 15);
}

static void test_tsan_options_compose(void **state)
{
    (void)state;
    char err[256];
    struct tl__tsan_env env;
    assert_int_equal(tsan_env_compose(NULL, "/tmp/r", &env, err, sizeof err), 0);
    assert_string_equal(env.options, "log_path='/tmp/r/tsan'");
    assert_false(env.user_log_path);
    assert_int_equal(env.exitcode, 66);
    tsan_env_free(&env);

    assert_int_equal(
        tsan_env_compose("halt_on_error=0 history_size=3", "/tmp/r", &env, err, sizeof err), 0);
    assert_string_equal(env.options, "halt_on_error=0 history_size=3 log_path='/tmp/r/tsan'");
    tsan_env_free(&env);

    /* All of TSan's separators; quoted values; the last exitcode wins. */
    assert_int_equal(tsan_env_compose("exitcode=3,log_path=\"/x y:z\":exitcode=7\tverbosity=1",
                                      "/tmp/it's", &env, err, sizeof err),
                     0);
    assert_true(env.user_log_path);
    assert_int_equal(env.exitcode, 7);
    assert_string_equal(env.options, "exitcode=3,log_path=\"/x y:z\":exitcode=7\tverbosity=1 "
                                     "log_path=\"/tmp/it's/tsan\"");
    tsan_env_free(&env);

    /* A name that merely contains log_path is another flag. */
    assert_int_equal(tsan_env_compose("xlog_path=1 exitcode=300", "/r", &env, err, sizeof err), 0);
    assert_false(env.user_log_path);
    assert_int_equal(env.exitcode, 300 & 0xff);
    tsan_env_free(&env);

    assert_int_equal(tsan_env_compose("", "/tmp/a'b\"c", &env, err, sizeof err), -1);
    assert_non_null(strstr(err, "both"));
}

static void test_tsan_log_names(void **state)
{
    (void)state;
    pid_t pid = 0;
    assert_true(tsan_log_pid("tsan.123", &pid));
    assert_int_equal(pid, 123);
    assert_true(tsan_log_pid("tsan.race_counter.456", &pid)); /* log_exe_name=1 */
    assert_int_equal(pid, 456);
    const char *bad[] = {"tsan.",      "tsan",           "tsan.12a",
                         "tsan.x",     "xtsan.1",        "threadleak.1.json",
                         "tsan.1.tmp", "tsan.1234567890"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(tsan_log_pid(bad[i], &pid));
}

static void test_tsan_builds_are_recognised(void **state)
{
    (void)state;
    struct {
        const char *variant;
        enum tl__tsan_build want;
    } cases[] = {{"plain", TL_TSAN_BUILD_NONE},
                 {"gcc-tsan", TL_TSAN_BUILD_GCC},
                 {"clang-tsan", TL_TSAN_BUILD_CLANG}};
    for (size_t i = 0; i < 3; i++) {
        const char *path = corpus_prog(cases[i].variant, "race_counter");
        if (!path)
            continue;
        struct tl__elf_info info;
        assert_int_equal(elf_inspect_file(path, &info), 0);
        assert_int_equal(tsan_build_of(path, &info), cases[i].want);
    }
    struct tl__elf_info none = {0};
    assert_int_equal(tsan_build_of("/nonexistent", &none), TL_TSAN_BUILD_NONE);
    assert_int_equal(tsan_build_of("/bin/sh", &none), TL_TSAN_BUILD_NONE);
}

/* ---- end to end ---- */

static void race_fails_the_gate(const char *variant)
{
    const char *prog = corpus_prog(variant, "race_counter");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--", prog), NULL);
    assert_int_equal(g.p.status, 66);
    const struct tl__json *f = findings(&g);
    assert_int_equal(tl__json_length(f), 1);
    assert_string_equal(kind_of(tl__json_index(f, 0)), "data race");
    assert_true(finding_has_frame(tl__json_index(f, 0), "record_hits"));
    assert_true(tl__json_bool(tl__json_get(g.json, "tsan_instrumented")));
    /* The text report: the finding, its stacks, and one summary line; no leak report. */
    assert_non_null(strstr(g.p.err, "==== ThreadSanitizer: data race (pid "));
    assert_non_null(strstr(g.p.err, "record_hits"));
    assert_non_null(strstr(g.p.err, "SUMMARY: ThreadSanitizer: data race"));
    assert_non_null(
        strstr(g.p.err, "threadleak: 1 ThreadSanitizer finding in 1 process (1 data race)\n"));
    assert_null(strstr(g.p.err, "leaked thread"));
    gate_free(&g);
}

static void test_race_fails_the_gate_clang(void **state)
{
    (void)state;
    race_fails_the_gate("clang-tsan");
}

static void test_race_fails_the_gate_gcc(void **state)
{
    (void)state;
    race_fails_the_gate("gcc-tsan");
}

static void test_fixed_twin_passes(void **state)
{
    (void)state;
    const char *variants[] = {"clang-tsan", "gcc-tsan"};
    for (size_t i = 0; i < 2; i++) {
        const char *prog = corpus_prog(variants[i], "race_counter_fixed");
        if (!prog)
            continue;
        struct gate_run g;
        gate(&g, ARGS("--", prog), NULL);
        assert_int_equal(g.p.status, 0);
        assert_int_equal(tl__json_length(findings(&g)), 0);
        assert_string_equal(g.p.err, "");
        gate_free(&g);
    }
}

static void test_lock_order_inversion_is_reported(void **state)
{
    (void)state;
    const char *variants[] = {"clang-tsan", "gcc-tsan"};
    for (size_t i = 0; i < 2; i++) {
        const char *prog = corpus_prog(variants[i], "lock_order_inversion");
        if (!prog)
            continue;
        struct gate_run g;
        gate(&g, ARGS("--", prog), NULL);
        assert_int_equal(g.p.status, 66);
        const struct tl__json *f = findings(&g);
        assert_int_equal(tl__json_length(f), 1);
        const char *kind = kind_of(tl__json_index(f, 0));
        assert_int_equal(strncmp(kind, "lock-order-inversion", 20), 0);
        assert_non_null(strstr(g.p.err, "ThreadSanitizer: lock-order-inversion"));
        gate_free(&g);
    }
}

static void test_fail_on_leaks_lets_a_race_through(void **state)
{
    (void)state;
    const char *prog = corpus_prog("gcc-tsan", "race_counter");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--fail-on", "leaks", "--", prog), NULL);
    assert_int_equal(g.p.status, 0); /* TSan's 66 is not PROG's own status */
    assert_int_equal(tl__json_length(findings(&g)), 1);
    assert_non_null(strstr(g.p.err, "ThreadSanitizer: data race")); /* still reported */
    gate_free(&g);
    gate(&g, ARGS("--fail-on", "none", "--", prog), NULL);
    assert_int_equal(g.p.status, 0);
    gate_free(&g);
    gate(&g, ARGS("--fail-on", "races", "--exitcode", "9", "--", prog), NULL);
    assert_int_equal(g.p.status, 9);
    gate_free(&g);
}

static void test_fail_on_races_lets_a_leak_through(void **state)
{
    (void)state;
    const char *prog = corpus_prog("plain", "finished_never_joined");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--fail-on", "races", "--", prog), NULL);
    assert_int_equal(g.p.status, 0);
    assert_non_null(strstr(g.p.err, "1 leaked thread")); /* still reported */
    assert_false(tl__json_bool(tl__json_get(g.json, "tsan_instrumented")));
    gate_free(&g);
    gate(&g, ARGS("--", prog), NULL);
    assert_int_equal(g.p.status, 66);
    gate_free(&g);
}

static void test_users_tsan_options_are_kept(void **state)
{
    (void)state;
    struct gate_run g;
    gate(&g, ARGS("--", "/usr/bin/printenv", "TSAN_OPTIONS"),
         ARGS("TSAN_OPTIONS=halt_on_error=0 history_size=3"));
    assert_int_equal(g.p.status, 0);
    char want[600];
    snprintf(want, sizeof want, "halt_on_error=0 history_size=3 log_path='%s/tsan'\n", g.run_dir);
    assert_string_equal(g.p.out, want);
    assert_string_equal(g.p.err, "");
    gate_free(&g);

    const char *prog = corpus_prog("clang-tsan", "race_counter");
    if (!prog)
        return;
    gate(&g, ARGS("--", prog), ARGS("TSAN_OPTIONS=halt_on_error=0 history_size=3"));
    assert_int_equal(g.p.status, 66);
    assert_int_equal(tl__json_length(findings(&g)), 1);
    gate_free(&g);
}

/* TSan's own exitcode replaces PROG's status; the gate recognises it by the user's value. */
static void test_users_tsan_exitcode_is_accounted_for(void **state)
{
    (void)state;
    const char *prog = corpus_prog("gcc-tsan", "race_counter");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--fail-on", "leaks", "--", prog), ARGS("TSAN_OPTIONS=exitcode=7"));
    assert_int_equal(g.p.status, 0);
    gate_free(&g);
    gate(&g, ARGS("--", prog), ARGS("TSAN_OPTIONS=exitcode=7"));
    assert_int_equal(g.p.status, 66);
    gate_free(&g);
}

static void test_users_log_path_is_overridden_with_one_warning(void **state)
{
    (void)state;
    const char *prog = corpus_prog("gcc-tsan", "race_counter");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--", prog), ARGS("TSAN_OPTIONS=log_path=/nonexistent/tsan"));
    assert_int_equal(g.p.status, 66);
    assert_int_equal(tl__json_length(findings(&g)), 1);
    const char *warning = "threadleak: warning: TSAN_OPTIONS log_path is overridden";
    const char *first = strstr(g.p.err, warning);
    assert_non_null(first);
    assert_null(strstr(first + 1, warning));
    gate_free(&g);
}

/* A TSan crash is no finding: PROG's status (66) stands whatever --fail-on says, and the crash
 * message, which TSan wrote into its log, is shown. */
static void test_tsan_crash_is_shown_and_not_let_through(void **state)
{
    (void)state;
    const char *prog = corpus_prog("clang-tsan", "c11_threads_clean");
    if (!prog)
        return;
    struct gate_run g;
    gate(&g, ARGS("--fail-on", "none", "--", prog), NULL);
    assert_int_equal(g.p.status, 66);
    assert_int_equal(tl__json_length(findings(&g)), 0);
    const struct tl__json *msgs = tl__json_get(g.json, "tsan_messages");
    assert_true(tl__json_length(msgs) > 0);
    const char *text = tl__json_string(tl__json_get(tl__json_index(msgs, 0), "text"));
    assert_non_null(text);
    assert_non_null(strstr(text, "ThreadSanitizer: SEGV"));
    assert_non_null(strstr(g.p.err, "ERROR: ThreadSanitizer: SEGV"));
    gate_free(&g);
}

static void test_bad_fail_on_is_a_usage_error(void **state)
{
    (void)state;
    struct gate_run g;
    gate(&g, ARGS("--fail-on", "warnings", "--", "/bin/true"), NULL);
    assert_int_equal(g.p.status, 2);
    assert_non_null(strstr(g.p.err, "--fail-on 'warnings'"));
    gate_free(&g);
}

/* Another run's TSan log in DIR stays out of this run: each run has its own subdirectory. */
static void test_kept_dir_with_old_tsan_logs_is_not_mixed_in(void **state)
{
    (void)state;
    char dir[256], log[300];
    snprintf(dir, sizeof dir, "%s/tsan_gate_kept.XXXXXX", tmp_dir());
    assert_non_null(mkdtemp(dir));
    remember_dir(dir);
    snprintf(log, sizeof log, "%s/tsan.4242", dir);
    FILE *f = fopen(log, "w");
    assert_non_null(f);
    fputs("WARNING: ThreadSanitizer: data race (pid=4242)\n", f);
    fclose(f);
    const char *argv[] = {cli, "run", "--keep-reports", dir, "--", "/bin/true", NULL};
    struct proc_spec spec = {argv, NULL, RUN_TIMEOUT_S};
    struct proc_result p;
    assert_int_equal(proc_run(&spec, &p), 0);
    assert_int_equal(p.status, 0);
    assert_null(strstr(p.err, "data race"));
    proc_result_free(&p);
    remove_dir(dir);
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
        cmocka_unit_test(test_fail_on_parsing),
        cmocka_unit_test(test_final_status),
        cmocka_unit_test(test_tsan_options_compose),
        cmocka_unit_test(test_tsan_log_names),
        cmocka_unit_test(test_tsan_builds_are_recognised),
        cmocka_unit_test_teardown(test_race_fails_the_gate_clang, remove_made_dirs),
        cmocka_unit_test_teardown(test_race_fails_the_gate_gcc, remove_made_dirs),
        cmocka_unit_test_teardown(test_fixed_twin_passes, remove_made_dirs),
        cmocka_unit_test_teardown(test_lock_order_inversion_is_reported, remove_made_dirs),
        cmocka_unit_test_teardown(test_fail_on_leaks_lets_a_race_through, remove_made_dirs),
        cmocka_unit_test_teardown(test_fail_on_races_lets_a_leak_through, remove_made_dirs),
        cmocka_unit_test_teardown(test_users_tsan_options_are_kept, remove_made_dirs),
        cmocka_unit_test_teardown(test_users_tsan_exitcode_is_accounted_for, remove_made_dirs),
        cmocka_unit_test_teardown(test_users_log_path_is_overridden_with_one_warning,
                                  remove_made_dirs),
        cmocka_unit_test_teardown(test_tsan_crash_is_shown_and_not_let_through, remove_made_dirs),
        cmocka_unit_test_teardown(test_bad_fail_on_is_a_usage_error, remove_made_dirs),
        cmocka_unit_test_teardown(test_kept_dir_with_old_tsan_logs_is_not_mixed_in,
                                  remove_made_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
