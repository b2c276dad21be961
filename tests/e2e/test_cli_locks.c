/* The lock module's side of the CLI: `run --locks`, --fail-on's lock categories, the deadlock
 * status (68), and the merge of reports that carry `deadlocks`, `lock_order` and `misuse`.
 *
 * The lock module itself (libthreadleak-locks.so) is built apart from the CLI. Here the reports are
 * hand-written fixtures in its documented shape (docs/json-schema.md), and a stand-in module, the
 * stub shim built with STUB_LOCKS under the real file name, plays it under the real CLI. The one
 * test that looks beside the CLI uses the real module when it is built, and expects the "cannot
 * find" error while it is not.
 *
 * Arguments: CLI STUB_SHIM LOCKS_STUB_PLAIN, the last being the stand-in libthreadleak.so of a
 * directory that also holds the stand-in libthreadleak-locks.so. */
#include "gate_status.h"
#include "json_reader.h"
#include "preload_env.h"
#include "report_merge.h"
#include "run_options.h"
#include "shim_locate.h"
#include "test_cli_helpers.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
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

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *locks_stub_plain; /* .../locks-stub/libthreadleak.so */

static const unsigned every_category = TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES | TL_FAIL_ON_DEADLOCKS |
                                       TL_FAIL_ON_LOCK_ORDER | TL_FAIL_ON_MISUSE;

static int setup(void **state)
{
    *state = make_temp_dir();
    return 0;
}

static int teardown(void **state)
{
    remove_tree(*state);
    free(*state);
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- --fail-on ---- */

static void expect_fail_on(const char *text, unsigned want)
{
    unsigned bits = 12345;
    if (gate_parse_fail_on(text, &bits) != 0)
        fail_msg("--fail-on '%s' was refused", text);
    assert_int_equal(bits, want);
}

static void test_fail_on_takes_the_lock_categories(void **state)
{
    (void)state;
    expect_fail_on("deadlocks", TL_FAIL_ON_DEADLOCKS);
    expect_fail_on("lock-order", TL_FAIL_ON_LOCK_ORDER);
    expect_fail_on("misuse", TL_FAIL_ON_MISUSE);
    expect_fail_on("leaks,deadlocks", TL_FAIL_ON_LEAKS | TL_FAIL_ON_DEADLOCKS);
    expect_fail_on("misuse,lock-order", TL_FAIL_ON_MISUSE | TL_FAIL_ON_LOCK_ORDER);
    expect_fail_on("misuse,lock-order,deadlocks,races,leaks", every_category);
    expect_fail_on("all", every_category);
    expect_fail_on("none", 0);
    /* The categories that existed before keep their meaning. */
    expect_fail_on("leaks,races", TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES);
    const char *bad[] = {"deadlock",
                         "lock_order",
                         "lockorder",
                         "misuses",
                         "Misuse",
                         "deadlocks,",
                         ",misuse",
                         "misuse,misuse",
                         "all,leaks",
                         "leaks,all",
                         "none,misuse",
                         "lock-order deadlocks",
                         "lock-order,,misuse",
                         "all,none"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned bits = 99;
        if (gate_parse_fail_on(bad[i], &bits) != -1)
            fail_msg("--fail-on '%s' was accepted", bad[i]);
        assert_int_equal(bits, 99);
    }
}

/* The default fails on every category, with --locks or without: the plain shim's reports carry
 * no lock findings, and a lock module preloaded by hand is not let through silently. */
static void test_run_options_default_and_locks(void **state)
{
    (void)state;
    struct tl__run_options o;
    char *plain[] = {"run", "--", "true", NULL};
    assert_int_equal(run_options_parse(3, plain, &o, stderr), 0);
    assert_false(o.locks);
    assert_int_equal(o.fail_on, every_category);

    char *locks[] = {"run", "--locks", "--fail-on", "lock-order", "--", "true", NULL};
    assert_int_equal(run_options_parse(6, locks, &o, stderr), 0);
    assert_true(o.locks);
    assert_int_equal(o.fail_on, TL_FAIL_ON_LOCK_ORDER);
    assert_string_equal(o.prog_argv[0], "true");

    FILE *err = tmpfile();
    assert_non_null(err);
    char *bad[] = {"run", "--locks", "--fail-on", "deadlock", "--", "true", NULL};
    assert_int_equal(run_options_parse(6, bad, &o, err), TL_STATUS_USAGE);
    char msg[512] = "";
    rewind(err);
    assert_non_null(fgets(msg, sizeof msg, err));
    fclose(err);
    assert_non_null(strstr(msg, "--fail-on 'deadlock'"));
    assert_non_null(strstr(msg, "lock-order"));
}

/* ---- gate_final_status: every branch the lock findings add ---- */

struct outcome_args {
    int wait_status; /* as waitpid gives it */
    int leaked;
    unsigned long deadlocks, lock_order, misuse;
    bool prog_deadlocked;
    unsigned fail_on;
    int exitcode;
    size_t undelivered;
    unsigned long tsan_findings;
    bool prog_tsan_reported;
};

static int verdict(struct outcome_args a)
{
    const struct tl__gate_outcome o = {
        .prog_wait_status = a.wait_status,
        .leaked = a.leaked,
        .tsan_findings = a.tsan_findings,
        .prog_tsan_reported = a.prog_tsan_reported,
        .tsan_exitcode = 66,
        .fail_on = a.fail_on,
        .exitcode = a.exitcode,
        .undelivered = a.undelivered,
        .deadlocks = a.deadlocks,
        .lock_order = a.lock_order,
        .misuse = a.misuse,
        .prog_deadlocked = a.prog_deadlocked,
    };
    return gate_final_status(&o);
}

#define EXITED(code) ((code) << 8)
#define KILLED(sig)  (sig)
#define ALL          every_category

static void test_status_of_a_deadlock(void **state)
{
    (void)state;
    assert_int_equal(TL_STATUS_DEADLOCK, 68);
    /* A descendant deadlocked, PROG exited 0. */
    assert_int_equal(verdict((struct outcome_args){.deadlocks = 1, .fail_on = ALL, .exitcode = 66}),
                     68);
    /* Deadlocks have their own status: --exitcode does not change it, not even 0. */
    assert_int_equal(verdict((struct outcome_args){.deadlocks = 1, .fail_on = ALL, .exitcode = 9}),
                     68);
    assert_int_equal(verdict((struct outcome_args){.deadlocks = 1, .fail_on = ALL, .exitcode = 0}),
                     68);
    /* ... --fail-on does. */
    assert_int_equal(verdict((struct outcome_args){
                         .deadlocks = 1, .fail_on = ALL & ~TL_FAIL_ON_DEADLOCKS, .exitcode = 66}),
                     0);
    /* 68 goes before the other findings' 66 and before 67. */
    assert_int_equal(
        verdict((struct outcome_args){
            .leaked = 1, .deadlocks = 2, .lock_order = 1, .fail_on = ALL, .exitcode = 66}),
        68);
    assert_int_equal(verdict((struct outcome_args){
                         .deadlocks = 1, .undelivered = 1, .fail_on = ALL, .exitcode = 66}),
                     68);
    /* Lost reports are threadleak's failure, whatever was read before. */
    assert_int_equal(verdict((struct outcome_args){
                         .leaked = -1, .deadlocks = 1, .fail_on = ALL, .exitcode = 66}),
                     125);
}

static void test_status_when_prog_itself_deadlocked(void **state)
{
    (void)state;
    /* deadlock=abort ended PROG's own process: the abort is the gate's, not PROG's. */
    assert_int_equal(verdict((struct outcome_args){.wait_status = KILLED(SIGABRT),
                                                   .deadlocks = 1,
                                                   .prog_deadlocked = true,
                                                   .fail_on = ALL,
                                                   .exitcode = 66}),
                     68);
    /* deadlock=report, and PROG later gave up with its own status: the deadlock explains it. */
    assert_int_equal(verdict((struct outcome_args){.wait_status = EXITED(3),
                                                   .deadlocks = 1,
                                                   .prog_deadlocked = true,
                                                   .fail_on = ALL,
                                                   .exitcode = 66}),
                     68);
    /* Deadlocks let through: PROG's own status stands, the abort included. */
    assert_int_equal(verdict((struct outcome_args){.wait_status = KILLED(SIGABRT),
                                                   .deadlocks = 1,
                                                   .prog_deadlocked = true,
                                                   .fail_on = TL_FAIL_ON_LEAKS,
                                                   .exitcode = 66}),
                     128 + SIGABRT);
    /* A descendant's deadlock does not replace PROG's non-zero status (a shell passing on its
     * child's abort keeps its own 134), as a descendant's TSan 66 does not. */
    assert_int_equal(verdict((struct outcome_args){
                         .wait_status = EXITED(3), .deadlocks = 1, .fail_on = ALL, .exitcode = 66}),
                     3);
    assert_int_equal(
        verdict((struct outcome_args){
            .wait_status = EXITED(128 + SIGABRT), .deadlocks = 1, .fail_on = ALL, .exitcode = 66}),
        128 + SIGABRT);
    /* TSan's 66 with a deadlock in PROG: both replace PROG's status; the deadlock decides. */
    assert_int_equal(verdict((struct outcome_args){.wait_status = EXITED(66),
                                                   .deadlocks = 1,
                                                   .prog_deadlocked = true,
                                                   .tsan_findings = 1,
                                                   .prog_tsan_reported = true,
                                                   .fail_on = ALL,
                                                   .exitcode = 66}),
                     68);
}

static void test_status_of_lock_order_and_misuse(void **state)
{
    (void)state;
    /* Like leaks: --exitcode, when PROG exited 0. */
    assert_int_equal(
        verdict((struct outcome_args){.lock_order = 2, .fail_on = ALL, .exitcode = 66}), 66);
    assert_int_equal(verdict((struct outcome_args){.misuse = 1, .fail_on = ALL, .exitcode = 66}),
                     66);
    assert_int_equal(verdict((struct outcome_args){.lock_order = 1, .fail_on = ALL, .exitcode = 9}),
                     9);
    assert_int_equal(verdict((struct outcome_args){.misuse = 1, .fail_on = ALL, .exitcode = 0}), 0);
    /* Each category on its own. */
    assert_int_equal(verdict((struct outcome_args){
                         .lock_order = 1, .fail_on = TL_FAIL_ON_MISUSE, .exitcode = 66}),
                     0);
    assert_int_equal(verdict((struct outcome_args){
                         .misuse = 1, .fail_on = TL_FAIL_ON_LOCK_ORDER, .exitcode = 66}),
                     0);
    assert_int_equal(
        verdict((struct outcome_args){.misuse = 1, .fail_on = TL_FAIL_ON_MISUSE, .exitcode = 66}),
        66);
    assert_int_equal(verdict((struct outcome_args){.lock_order = 1,
                                                   .fail_on = TL_FAIL_ON_LEAKS | TL_FAIL_ON_RACES,
                                                   .exitcode = 66}),
                     0);
    /* PROG's own non-zero status wins over them, as over leaks. */
    assert_int_equal(verdict((struct outcome_args){.wait_status = EXITED(3),
                                                   .lock_order = 1,
                                                   .misuse = 1,
                                                   .fail_on = ALL,
                                                   .exitcode = 66}),
                     3);
    /* A failing finding goes before 67; a let-through one does not hide 67. */
    assert_int_equal(verdict((struct outcome_args){
                         .lock_order = 1, .undelivered = 1, .fail_on = ALL, .exitcode = 66}),
                     66);
    assert_int_equal(verdict((struct outcome_args){
                         .lock_order = 1, .undelivered = 1, .fail_on = 0, .exitcode = 66}),
                     67);
    assert_int_equal(verdict((struct outcome_args){
                         .misuse = 1, .undelivered = 1, .fail_on = ALL, .exitcode = 0}),
                     67);
}

/* ---- THREADLEAK_OPTIONS and the lock module's path ---- */

static void test_options_with_locks(void **state)
{
    (void)state;
    char err[256] = "";
    char *got = options_with_locks("verbosity=1:report_dir='/r':quiet=1", err, sizeof err);
    assert_non_null(got);
    assert_string_equal(got, "deadlock=abort:verbosity=1:report_dir='/r':quiet=1:locks=1");
    free(got);
    /* The user's own deadlock= comes later, so it wins; the CLI's locks=1 comes last. */
    got = options_with_locks("deadlock=report:locks=0:report_dir='/r'", err, sizeof err);
    assert_non_null(got);
    assert_string_equal(got, "deadlock=abort:deadlock=report:locks=0:report_dir='/r':locks=1");
    free(got);
}

static void test_lock_module_is_looked_for_beside_threadleak_shim(void **state)
{
    (void)state;
    char out[PATH_MAX], err[2 * PATH_MAX + 256];
    setenv("THREADLEAK_SHIM", locks_stub_plain, 1);
    assert_int_equal(shim_locate_named(TL_LOCKS_SHIM_NAME, out, sizeof out, err, sizeof err), 0);
    assert_true(out[0] == '/');
    assert_true(ends_with(out, "/locks-stub/libthreadleak-locks.so"));
    assert_int_equal(shim_locate(out, sizeof out, err, sizeof err), 0);
    assert_true(ends_with(out, "/locks-stub/libthreadleak.so"));

    /* The stub shim's directory has no lock module: the message names the path tried. */
    setenv("THREADLEAK_SHIM", stub_shim_path, 1);
    assert_int_equal(shim_locate_named(TL_LOCKS_SHIM_NAME, out, sizeof out, err, sizeof err), -1);
    char want[PATH_MAX + 64];
    const char *slash = strrchr(stub_shim_path, '/');
    snprintf(want, sizeof want, "looked in %.*s/libthreadleak-locks.so (beside THREADLEAK_SHIM=",
             (int)(slash - stub_shim_path), stub_shim_path);
    if (!strstr(err, want))
        fail_msg("'%s' does not contain '%s'", err, want);
    unsetenv("THREADLEAK_SHIM");
}

/* ---- the merge of reports with lock findings (fixtures) ---- */

/* A per-process report with `extra` members before summary, and a text report when text. */
static void write_report(const char *dir, long pid, unsigned leaked, const char *extra, bool text)
{
    char path[4300], body[4096];
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", dir, pid);
    snprintf(body, sizeof body,
             "{\n  \"tool\": \"threadleak\",\n  \"version\": \"0.1.0\",\n  \"schema\": 1,\n"
             "  \"pid\": %ld,\n  \"ppid\": 1,\n  \"exe\": \"/bin/prog%ld\",\n  \"argv\": [],\n"
             "  \"mode\": \"all\",\n  \"leaks\": [],\n%s"
             "  \"summary\": {\"threads_created\": 3, \"leaked\": %u, \"suppressed\": 0}\n}\n",
             pid, pid, extra ? extra : "", leaked);
    write_text_file(path, body, 0644);
    if (text) {
        snprintf(path, sizeof path, "%s/threadleak.%ld.txt", dir, pid);
        snprintf(body, sizeof body, "==%ld== lock text of %ld\n", pid, pid);
        write_text_file(path, body, 0644);
    }
}

/* The documented shapes (docs/json-schema.md), one item each. */
#define DEADLOCK_ITEM                                                                              \
    "{\"kind\": \"lock_cycle\", \"threads\": [{\"tid\": 7, \"name\": \"worker\", "                 \
    "\"start_routine\": {\"function\": \"work\"}, \"created_at\": [], \"stack\": [], "             \
    "\"waits_for\": {\"lock\": \"0x1\"}, \"holds\": [\"0x2\"]}]}"
#define LOCK_ORDER_ITEM                                                                            \
    "{\"locks\": [\"0x1\", \"0x2\"], \"edges\": [{\"from\": \"0x1\", \"to\": \"0x2\", "            \
    "\"held_at\": [], \"acquired_at\": []}, {\"from\": \"0x2\", \"to\": \"0x1\", "                 \
    "\"held_at\": [], \"acquired_at\": []}]}"
#define MISUSE_ITEM                                                                                \
    "{\"kind\": \"unlock_unlocked\", \"thread\": 7, \"stack\": [], \"lock\": \"0x1\"}"

static int64_t summary_field(const struct tl__json *root, const char *key)
{
    const struct tl__json *v = tl__json_get(tl__json_get(root, "summary"), key);
    if (!v)
        fail_msg("summary.%s is missing", key);
    return tl__json_int(v);
}

static struct tl__json *parse_merged(const struct tl__merge_result *m)
{
    char err[256] = "";
    struct tl__json *root = tl__json_parse(m->json, strlen(m->json), err, sizeof err);
    if (!root)
        fail_msg("merged JSON does not parse: %s\n%s", err, m->json);
    return root;
}

static void write_mixed_run(const char *dir)
{
    write_report(dir, 10, 0, "  \"deadlocks\": [" DEADLOCK_ITEM "],\n", true);
    write_report(dir, 11, 2,
                 "  \"deadlocks\": [],\n  \"lock_order\": [" LOCK_ORDER_ITEM ", " LOCK_ORDER_ITEM
                 "],\n  \"misuse\": [],\n",
                 true);
    write_report(dir, 12, 0, NULL, false); /* the plain shim: no arrays at all */
    write_report(dir, 13, 0, "  \"misuse\": [" MISUSE_ITEM ", " MISUSE_ITEM ", " MISUSE_ITEM "],\n",
                 true);
}

static void test_merge_shows_every_process_with_lock_findings(void **state)
{
    const char *dir = *state;
    write_mixed_run(dir);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 10, &m), 0);
    assert_string_equal(m.warnings, "");
    assert_int_equal(m.processes, 4);
    assert_int_equal(m.leaked_threads, 2);
    assert_int_equal(m.locks.deadlocks, 1);
    assert_int_equal(m.locks.lock_order, 2);
    assert_int_equal(m.locks.misuse, 3);
    assert_int_equal(m.locks.processes, 3);
    assert_true(m.locks.target_deadlocked);

    /* Processes 10 and 13 leaked nothing, and are shown for their lock findings. */
    const char *want =
        "==== threadleak: process 10 (/bin/prog10): 1 deadlock ====\n==10== lock text of 10\n"
        "==== threadleak: process 11 (/bin/prog11): 2 leaked threads, 2 lock-order inversions "
        "====\n==11== lock text of 11\n"
        "==== threadleak: process 13 (/bin/prog13): 3 misuses ====\n==13== lock text of 13\n"
        "threadleak: 2 leaked threads in 1 of 4 processes\n"
        "threadleak: 1 deadlock, 2 lock-order inversions, 3 misuses in 3 of 4 processes\n";
    assert_string_equal(m.text, want);

    struct tl__json *root = parse_merged(&m);
    assert_int_equal(summary_field(root, "deadlocks"), 1);
    assert_int_equal(summary_field(root, "lock_order"), 2);
    assert_int_equal(summary_field(root, "misuse"), 3);
    assert_int_equal(summary_field(root, "lock_processes"), 3);
    assert_int_equal(summary_field(root, "leaked_threads"), 2);
    /* The arrays themselves are in the processes, verbatim. */
    const struct tl__json *p10 = tl__json_index(tl__json_get(root, "processes"), 0);
    const struct tl__json *thread = tl__json_index(
        tl__json_get(tl__json_index(tl__json_get(p10, "deadlocks"), 0), "threads"), 0);
    assert_string_equal(tl__json_string(tl__json_get(thread, "name")), "worker");
    tl__json_free(root);
    report_merge_free(&m);

    /* Another target: the deadlock is a descendant's. */
    assert_int_equal(report_merge_dir(dir, 11, &m), 0);
    assert_false(m.locks.target_deadlocked);
    assert_int_equal(m.locks.deadlocks, 1);
    report_merge_free(&m);
}

static void test_lock_findings_alone_print_one_summary_line(void **state)
{
    const char *dir = *state;
    write_report(dir, 20, 0, "  \"misuse\": [" MISUSE_ITEM "],\n", true);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 20, &m), 0);
    assert_string_equal(m.text, "==20== lock text of 20\n"
                                "threadleak: 1 misuse in 1 of 1 process\n");
    assert_false(m.locks.target_deadlocked);
    report_merge_free(&m);
}

static void test_absent_and_empty_arrays_are_no_findings(void **state)
{
    const char *dir = *state;
    write_report(dir, 30, 0, NULL, false);
    write_report(dir, 31, 0, "  \"deadlocks\": [],\n  \"lock_order\": [],\n  \"misuse\": [],\n",
                 false);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 30, &m), 0);
    assert_string_equal(m.warnings, "");
    assert_string_equal(m.text, "");
    assert_int_equal(m.unreadable, 0);
    assert_int_equal(m.locks.processes, 0);
    struct tl__json *root = parse_merged(&m);
    assert_int_equal(summary_field(root, "deadlocks"), 0);
    assert_int_equal(summary_field(root, "lock_order"), 0);
    assert_int_equal(summary_field(root, "misuse"), 0);
    assert_int_equal(summary_field(root, "lock_processes"), 0);
    tl__json_free(root);
    report_merge_free(&m);
}

static void test_lock_member_that_is_no_array_makes_the_report_unusable(void **state)
{
    const char *dir = *state;
    write_report(dir, 40, 0, "  \"deadlocks\": {\"kind\": \"lock_cycle\"},\n", true);
    write_report(dir, 41, 0, "  \"misuse\": " MISUSE_ITEM ",\n", true);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 40, &m), 0);
    assert_int_equal(m.unreadable, 2);
    assert_non_null(strstr(m.warnings, "threadleak.40.json has a lock finding member"));
    assert_non_null(strstr(m.warnings, "threadleak.41.json has a lock finding member"));
    assert_int_equal(m.locks.deadlocks, 0);
    report_merge_free(&m);
}

static void test_missing_text_of_a_lock_finding_is_a_warning(void **state)
{
    const char *dir = *state;
    write_report(dir, 50, 0, "  \"deadlocks\": [" DEADLOCK_ITEM "],\n", false);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 50, &m), 0);
    assert_non_null(strstr(m.warnings, "threadleak.50.txt is missing"));
    assert_non_null(strstr(m.warnings, "its JSON report lists 1 deadlock\n"));
    assert_string_equal(m.text, "threadleak: 1 deadlock in 1 of 1 process\n");
    report_merge_free(&m);
}

/* ---- `threadleak merge` over fixture directories: its exit status ---- */

static void test_merge_command_fails_on_lock_findings(void **state)
{
    const char *dir = *state;
    char deadlock[4200], order[4200];
    snprintf(deadlock, sizeof deadlock, "%s/run.a", dir);
    snprintf(order, sizeof order, "%s/run.b", dir);
    assert_int_equal(mkdir(deadlock, 0700), 0);
    assert_int_equal(mkdir(order, 0700), 0);
    write_report(deadlock, 60, 0, "  \"deadlocks\": [" DEADLOCK_ITEM "],\n", true);
    write_report(order, 61, 0, "  \"lock_order\": [" LOCK_ORDER_ITEM "],\n", true);

    struct cli_result r = cli_run(ARGS("merge", deadlock), NULL);
    assert_int_equal(r.status, 68);
    assert_non_null(strstr(r.err, "threadleak: 1 deadlock in 1 of 1 process\n"));
    cli_result_free(&r);
    r = cli_run(ARGS("merge", "--fail-on", "leaks,lock-order,misuse", deadlock), NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "1 deadlock")); /* printed all the same */
    cli_result_free(&r);

    r = cli_run(ARGS("merge", order), NULL);
    assert_int_equal(r.status, 66);
    cli_result_free(&r);
    r = cli_run(ARGS("merge", "--exitcode", "7", order), NULL);
    assert_int_equal(r.status, 7);
    cli_result_free(&r);
    r = cli_run(ARGS("merge", "--fail-on", "deadlocks", order), NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);

    /* Both runs: the deadlock decides; the JSON counts both. */
    r = cli_run(ARGS("merge", "--json", "-", dir), NULL);
    assert_int_equal(r.status, 68);
    assert_non_null(strstr(r.err, "1 deadlock, 1 lock-order inversion in 2 of 2 processes\n"));
    char err[256];
    struct tl__json *root = tl__json_parse(r.out, strlen(r.out), err, sizeof err);
    assert_non_null(root);
    assert_int_equal(summary_field(root, "deadlocks"), 1);
    assert_int_equal(summary_field(root, "lock_order"), 1);
    assert_int_equal(summary_field(root, "lock_processes"), 2);
    tl__json_free(root);
    cli_result_free(&r);

    r = cli_run(ARGS("merge", "--fail-on", "deadlock", dir), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--fail-on 'deadlock'"));
    cli_result_free(&r);
}

/* ---- `run --locks` under the real CLI, with the stand-in lock module ---- */

static const char *const *with_locks_stub(const char *const *extra)
{
    static char shim[4200];
    static const char *env[32];
    snprintf(shim, sizeof shim, "THREADLEAK_SHIM=%s", locks_stub_plain);
    size_t n = 0;
    env[n++] = shim;
    for (; extra && *extra && n < 31; extra++)
        env[n++] = *extra;
    env[n] = NULL;
    return env;
}

#define PRINT_ENV "printf '%s\\n%s\\n' \"$LD_PRELOAD\" \"$THREADLEAK_OPTIONS\""

static void test_locks_preloads_the_lock_module(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--locks", "--", "sh", "-c", PRINT_ENV),
                                  with_locks_stub(ARGS("THREADLEAK_OPTIONS=verbosity=1")));
    assert_int_equal(r.status, 0);
    char *options = strchr(r.out, '\n');
    assert_non_null(options);
    *options++ = '\0';
    assert_true(r.out[0] == '/');
    assert_true(ends_with(r.out, "/locks-stub/libthreadleak-locks.so"));
    assert_null(strstr(r.out, "libthreadleak.so")); /* instead of the plain shim, not beside it */
    /* The user's keys stay, after the CLI's deadlock=abort and before its own keys. */
    assert_true(strncmp(options, "deadlock=abort:verbosity=1:report_dir='/", 40) == 0);
    assert_true(ends_with(options, ":quiet=1:exitcode=0:color=never:locks=1\n"));
    cli_result_free(&r);

    /* Without --locks: the plain shim, and no lock keys. */
    r = cli_run(ARGS("run", "--", "sh", "-c", PRINT_ENV), with_locks_stub(NULL));
    assert_int_equal(r.status, 0);
    assert_true(strstr(r.out, "/locks-stub/libthreadleak.so\n") != NULL);
    assert_null(strstr(r.out, "locks"
                              "=1"));
    assert_null(strstr(r.out, "deadlock="));
    assert_null(strstr(r.out, "libthreadleak-locks.so"));
    cli_result_free(&r);
}

static void test_locks_without_the_module_is_a_clear_error(void **state)
{
    (void)state;
    /* The stub shim's directory has no libthreadleak-locks.so. */
    struct cli_result r =
        cli_run(ARGS("run", "--locks", "--", "sh", "-c", "echo ran"), with_stub(NULL));
    assert_int_equal(r.status, 125);
    assert_string_equal(r.out, ""); /* PROG did not run */
    assert_non_null(strstr(r.err, "threadleak: --locks: cannot find libthreadleak-locks.so; "
                                  "looked in "));
    assert_non_null(strstr(r.err, "/libthreadleak-locks.so (beside THREADLEAK_SHIM="));
    cli_result_free(&r);
}

/* Beside the CLI: the real module once it is built there, until then the error naming both
 * places searched. */
static void test_locks_beside_the_cli(void **state)
{
    (void)state;
    char module[PATH_MAX];
    const char *slash = strrchr(cli_path, '/');
    snprintf(module, sizeof module, "%.*s/../lib/libthreadleak-locks.so", (int)(slash - cli_path),
             cli_path);
    struct cli_result r = cli_run(ARGS("run", "--locks", "--", "sh", "-c", "echo \"$LD_PRELOAD\""),
                                  ARGS("THREADLEAK_SHIM"));
    if (file_exists(module)) {
        assert_int_equal(r.status, 0);
        assert_true(ends_with(r.out, "/lib/libthreadleak-locks.so\n"));
    } else {
        assert_int_equal(r.status, 125);
        assert_non_null(strstr(r.err, "--locks: cannot find libthreadleak-locks.so; looked in "));
        assert_non_null(strstr(r.err, "/../lib/libthreadleak-locks.so"));
    }
    cli_result_free(&r);
}

static void test_deadlock_in_prog_gives_68(void **state)
{
    (void)state;
    /* The stand-in reports a deadlock and aborts, as deadlock=abort makes the module do. */
    struct cli_result r = cli_run(ARGS("run", "--locks", "--", "sh", "-c", "exit 0"),
                                  with_locks_stub(ARGS("TL_STUB_DEADLOCKS=1")));
    assert_int_equal(r.status, 68);
    assert_non_null(strstr(r.err, "stub: 0 leaked threads"));
    assert_non_null(strstr(r.err, "threadleak: 1 deadlock in 1 of 1 process\n"));
    cli_result_free(&r);

    /* Let through: the abort that ended PROG is its status. */
    r = cli_run(ARGS("run", "--locks", "--fail-on", "leaks,misuse", "--", "sh", "-c", "exit 0"),
                with_locks_stub(ARGS("TL_STUB_DEADLOCKS=1")));
    assert_int_equal(r.status, 128 + SIGABRT);
    assert_non_null(strstr(r.err, "1 deadlock"));
    cli_result_free(&r);
}

static void test_deadlock_in_a_descendant(void **state)
{
    (void)state;
    struct cli_result r =
        cli_run(ARGS("run", "--locks", "--", "sh", "-c", "TL_STUB_DEADLOCKS=1 sh -c true; exit 0"),
                with_locks_stub(NULL));
    assert_int_equal(r.status, 68);
    assert_non_null(strstr(r.err, "threadleak: 1 deadlock in 1 of 2 processes\n"));
    cli_result_free(&r);

    /* PROG's own failure stands when the deadlock was not in PROG. */
    r = cli_run(ARGS("run", "--locks", "--", "sh", "-c", "TL_STUB_DEADLOCKS=1 sh -c true; exit 3"),
                with_locks_stub(NULL));
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "1 deadlock"));
    cli_result_free(&r);
}

static void test_lock_order_and_misuse_fail_with_exitcode(void **state)
{
    (void)state;
    struct cli_result r =
        cli_run(ARGS("run", "--locks", "--json", "-", "--", "true"),
                with_locks_stub(ARGS("TL_STUB_LOCK_ORDER=2", "TL_STUB_MISUSE=1")));
    assert_int_equal(r.status, 66);
    assert_non_null(
        strstr(r.err, "threadleak: 2 lock-order inversions, 1 misuse in 1 of 1 process\n"));
    char err[256];
    struct tl__json *root = tl__json_parse(r.out, strlen(r.out), err, sizeof err);
    assert_non_null(root);
    assert_int_equal(summary_field(root, "lock_order"), 2);
    assert_int_equal(summary_field(root, "misuse"), 1);
    assert_int_equal(summary_field(root, "deadlocks"), 0);
    tl__json_free(root);
    cli_result_free(&r);

    r = cli_run(ARGS("run", "--locks", "--exitcode", "9", "--", "true"),
                with_locks_stub(ARGS("TL_STUB_MISUSE=1")));
    assert_int_equal(r.status, 9);
    cli_result_free(&r);
    r = cli_run(ARGS("run", "--locks", "--fail-on", "leaks,races,deadlocks", "--", "true"),
                with_locks_stub(ARGS("TL_STUB_LOCK_ORDER=1", "TL_STUB_MISUSE=1")));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "1 lock-order inversion, 1 misuse"));
    cli_result_free(&r);
    r = cli_run(ARGS("run", "--locks", "--fail-on", "misuse", "--", "true"),
                with_locks_stub(ARGS("TL_STUB_LOCK_ORDER=1", "TL_STUB_MISUSE=1")));
    assert_int_equal(r.status, 66);
    cli_result_free(&r);
}

/* Without --locks, a lock module that THREADLEAK_SHIM names by hand still has its findings
 * gated, by the default --fail-on. */
static void test_findings_of_a_hand_preloaded_module_fail_by_default(void **state)
{
    (void)state;
    char shim[PATH_MAX + 32];
    const char *slash = strrchr(locks_stub_plain, '/');
    snprintf(shim, sizeof shim, "THREADLEAK_SHIM=%.*s/libthreadleak-locks.so",
             (int)(slash - locks_stub_plain), locks_stub_plain);
    struct cli_result r = cli_run(ARGS("run", "--", "true"), ARGS(shim, "TL_STUB_LOCK_ORDER=1"));
    assert_int_equal(r.status, 66);
    assert_non_null(strstr(r.err, "1 lock-order inversion in 1 of 1 process"));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    cli_paths_from_args(argc, argv, 4);
    locks_stub_plain = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_on_takes_the_lock_categories),
        cmocka_unit_test(test_run_options_default_and_locks),
        cmocka_unit_test(test_status_of_a_deadlock),
        cmocka_unit_test(test_status_when_prog_itself_deadlocked),
        cmocka_unit_test(test_status_of_lock_order_and_misuse),
        cmocka_unit_test(test_options_with_locks),
        cmocka_unit_test(test_lock_module_is_looked_for_beside_threadleak_shim),
        cmocka_unit_test_setup_teardown(test_merge_shows_every_process_with_lock_findings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lock_findings_alone_print_one_summary_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_absent_and_empty_arrays_are_no_findings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lock_member_that_is_no_array_makes_the_report_unusable,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_text_of_a_lock_finding_is_a_warning, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_merge_command_fails_on_lock_findings, setup, teardown),
        cmocka_unit_test(test_locks_preloads_the_lock_module),
        cmocka_unit_test(test_locks_without_the_module_is_a_clear_error),
        cmocka_unit_test(test_locks_beside_the_cli),
        cmocka_unit_test(test_deadlock_in_prog_gives_68),
        cmocka_unit_test(test_deadlock_in_a_descendant),
        cmocka_unit_test(test_lock_order_and_misuse_fail_with_exitcode),
        cmocka_unit_test(test_findings_of_a_hand_preloaded_module_fail_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
