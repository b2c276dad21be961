/* `--baseline FILE` and `--write-baseline FILE` of `threadleak run` and `threadleak merge`, under
 * the real shim, across a rebuild: baseline_prog at -O0 writes the baseline; the same source at
 * -O2 passes against it with every leak known; a changed -O2 build (one leak fixed, one new) fails
 * on the new leak alone and reports the fixed one; a missing or malformed baseline is a usage
 * error and the program is not run.
 *
 * Lock findings are baselined as leaks are (lock_abba under --locks), and a known leak that grew
 * passes with a note.
 *
 * A ThreadSanitizer race is recorded and known too (the reference corpus's gcc TSan race_counter;
 * skipped when gcc could not build it).
 *
 * Arguments: CLI, the real shim, baseline_prog_O0, baseline_prog_O2, baseline_prog_changed,
 * tests/locks/lock_abba, race_counter. */
#include "json_reader.h"
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define STATUS_LEAKED 66
#define STATUS_USAGE  2

static const char *real_shim, *prog_o0, *prog_o2, *prog_changed, *lock_abba, *tsan_race;

struct run {
    struct cli_result r;
    char *json_text;
    struct tl__json *json; /* the merged JSON, when written */
};

static void run_free(struct run *r)
{
    cli_result_free(&r->r);
    free(r->json_text);
    tl__json_free(r->json);
}

/* threadleak ARGS... with the real shim; the merged JSON of --json DIR/merged.json is parsed. */
static struct run cli(const char *dir, const char *const *args)
{
    char shim_env[4200], json_path[4200];
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    snprintf(json_path, sizeof json_path, "%s/merged.json", dir);
    unlink(json_path);
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    struct run r = {.r = cli_run(args, env)};
    r.json_text = read_text_file(json_path);
    char err[256];
    if (r.json_text)
        r.json = tl__json_parse(r.json_text, strlen(r.json_text), err, sizeof err);
    return r;
}

/* threadleak run --linger-ms 0 --json DIR/merged.json OPTION FILE [OPTION2 FILE2] -- prog */
static struct run run_prog(const char *dir, const char *prog, const char *option, const char *file,
                           const char *option2, const char *file2)
{
    char json_path[4200];
    snprintf(json_path, sizeof json_path, "%s/merged.json", dir);
    const char *args[16] = {"run", "--linger-ms", "0", "--json", json_path};
    size_t n = 5;
    if (option) {
        args[n++] = option;
        args[n++] = file;
    }
    if (option2) {
        args[n++] = option2;
        args[n++] = file2;
    }
    args[n++] = "--";
    args[n++] = prog;
    args[n] = NULL;
    return cli(dir, args);
}

static void assert_contains(const char *text, const char *needle)
{
    if (!text || !strstr(text, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, text ? text : "(null)");
}

static const struct tl__json *leaks_of_first(const struct run *r)
{
    return tl__json_get(tl__json_index(tl__json_get(r->json, "processes"), 0), "leaks");
}

static uint64_t summary(const struct run *r, const char *key)
{
    uint64_t v = UINT64_MAX;
    assert_true(tl__json_get_uint64(tl__json_get(tl__json_get(r->json, "summary"), key), &v));
    return v;
}

/* The entry of a baselined or baseline_fixed array whose start routine is routine. */
static const struct tl__json *entry_of(const struct tl__json *array, const char *routine)
{
    for (size_t i = 0; i < tl__json_length(array); i++) {
        const char *r = tl__json_string(tl__json_get(tl__json_index(array, i), "start_routine"));
        if (r && strcmp(r, routine) == 0)
            return tl__json_index(array, i);
    }
    fail_msg("no entry for %s", routine);
    return NULL;
}

static void assert_entry(const struct tl__json *e, const char *function, int64_t count)
{
    assert_string_equal(tl__json_string(tl__json_get(e, "kind")), "thread_leak");
    assert_string_equal(tl__json_string(tl__json_get(e, "function")), function);
    assert_string_equal(tl__json_string(tl__json_get(e, "file")), "baseline_prog.c");
    assert_int_equal(tl__json_int(tl__json_get(e, "count")), count);
}

/* The baseline of the -O0 build, written into dir/baseline.json. */
static char *write_o0_baseline(const char *dir)
{
    char *path = malloc(4200);
    assert_non_null(path);
    snprintf(path, 4200, "%s/baseline.json", dir);
    struct run r = run_prog(dir, prog_o0, "--write-baseline", path, NULL, NULL);
    /* Everything it recorded is known: the run passes, and says what it wrote. */
    assert_int_equal(r.r.status, 0);
    assert_contains(r.r.err, "threadleak: 3 known leaks in baseline ");
    assert_contains(r.r.err, "threadleak: wrote baseline ");
    assert_contains(r.r.err, ": 2 entries");
    run_free(&r);
    return path;
}

static void test_write_baseline(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *path = write_o0_baseline(dir);
    char *text = read_text_file(path);
    char err[256];
    struct tl__json *b = tl__json_parse(text, strlen(text), err, sizeof err);
    assert_non_null(b);
    assert_int_equal(tl__json_int(tl__json_get(b, "threadleak_baseline")), 1);
    const struct tl__json *findings = tl__json_get(b, "findings");
    assert_int_equal(tl__json_length(findings), 2);
    /* Sorted by file, then function: run_task before start_pollers. */
    assert_string_equal(tl__json_string(tl__json_get(tl__json_index(findings, 0), "function")),
                        "run_task");
    assert_entry(entry_of(findings, "poller"), "start_pollers", 2);
    assert_entry(entry_of(findings, "quick_task"), "run_task", 1);
    assert_contains(tl__json_string(tl__json_get(entry_of(findings, "poller"), "note")),
                    "leaked thread (poller), created in start_pollers (baseline_prog.c)");
    /* No addresses, no line numbers: the -O2 build writes the very same file. */
    assert_null(strstr(text, "0x"));
    assert_null(strstr(text, "\"line\""));
    char o2_path[4200];
    snprintf(o2_path, sizeof o2_path, "%s/baseline-O2.json", dir);
    struct run r = run_prog(dir, prog_o2, "--write-baseline", o2_path, NULL, NULL);
    assert_int_equal(r.r.status, 0);
    char *o2_text = read_text_file(o2_path);
    assert_non_null(o2_text);
    assert_string_equal(o2_text, text);
    /* Nothing else is left in the directory: the file was written atomically, by rename. */
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 3", dir);
    assert_int_equal(system(cmd), 0);
    run_free(&r);
    free(o2_text);
    tl__json_free(b);
    free(text);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_rebuilt_at_o2_passes(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *path = write_o0_baseline(dir);

    /* Without the baseline the -O2 build fails: the leaks are real. */
    struct run r = run_prog(dir, prog_o2, NULL, NULL, NULL, NULL);
    assert_int_equal(r.r.status, STATUS_LEAKED);
    /* Two groups, as at -O0: the unrolled loop's two calls share their source line. */
    assert_int_equal(tl__json_length(leaks_of_first(&r)), 2);
    run_free(&r);

    r = run_prog(dir, prog_o2, "--baseline", path, NULL, NULL);
    assert_int_equal(r.r.status, 0);
    assert_contains(r.r.err, "threadleak: 3 known leaks in baseline ");
    assert_contains(r.r.err, ", not failing\n");
    assert_null(strstr(r.r.err, "created at:")); /* no report of a known leak */
    assert_null(strstr(r.r.err, "fixed:"));
    assert_non_null(r.json);
    assert_int_equal(tl__json_length(leaks_of_first(&r)), 0);
    assert_int_equal(summary(&r, "leaked_threads"), 0);
    assert_int_equal(summary(&r, "baselined"), 2); /* leak groups */
    assert_int_equal(summary(&r, "baselined_threads"), 3);
    assert_int_equal(summary(&r, "baseline_fixed"), 0);
    const struct tl__json *known = tl__json_get(r.json, "baselined");
    assert_int_equal(tl__json_length(known), 2);
    assert_entry(entry_of(known, "poller"), "start_pollers", 2);
    assert_entry(entry_of(known, "quick_task"), "run_task", 1);
    /* The known leak groups themselves, moved rather than lost. */
    const struct tl__json *found = tl__json_get(entry_of(known, "poller"), "found");
    assert_true(tl__json_length(found) >= 1);
    assert_string_equal(tl__json_string(tl__json_get(
                            tl__json_get(tl__json_index(found, 0), "finding"), "start_routine")),
                        "poller");
    assert_int_equal(tl__json_length(tl__json_get(r.json, "baseline_fixed")), 0);
    assert_int_equal(
        tl__json_int(tl__json_get(
            tl__json_get(tl__json_index(tl__json_get(r.json, "processes"), 0), "summary"),
            "leaked")),
        0);
    run_free(&r);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void assert_changed_verdict(const struct run *r)
{
    assert_int_equal(r->r.status, STATUS_LEAKED);
    /* The new leak is reported, in full and on a line of its own. */
    assert_contains(r->r.err, "start routine: watchdog");
    assert_contains(r->r.err, "threadleak: 1 leaked thread in 1 of 1 process\n");
    assert_contains(r->r.err, "threadleak: new, not in baseline ");
    assert_contains(r->r.err, "leaked thread (watchdog), created in start_watchdog "
                              "(baseline_prog.c)");
    assert_contains(r->r.err, "threadleak: 2 known leaks in baseline ");
    /* The fixed one is named, so that the file can shrink. */
    assert_contains(r->r.err, "threadleak: fixed: leaked thread (quick_task), created in run_task "
                              "(baseline_prog.c) (count 1 in baseline ");
    assert_non_null(r->json);
    const struct tl__json *leaks = leaks_of_first(r);
    assert_int_equal(tl__json_length(leaks), 1);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_index(leaks, 0), "start_routine")),
                        "watchdog");
    assert_int_equal(summary(r, "leaked_threads"), 1);
    assert_int_equal(summary(r, "baselined_threads"), 2);
    /* leak_groups has the new leak only: the known pollers are in baselined. */
    const struct tl__json *groups = tl__json_get(r->json, "leak_groups");
    assert_int_equal(tl__json_length(groups), 1);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_index(groups, 0), "start_routine")),
                        "watchdog");
    const struct tl__json *known = tl__json_get(r->json, "baselined");
    assert_int_equal(tl__json_length(known), 1);
    assert_entry(entry_of(known, "poller"), "start_pollers", 2);
    const struct tl__json *fixed = tl__json_get(r->json, "baseline_fixed");
    assert_int_equal(tl__json_length(fixed), 1);
    assert_entry(entry_of(fixed, "quick_task"), "run_task", 1);
}

static void test_changed_fails_on_new_only(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *path = write_o0_baseline(dir);
    struct run r = run_prog(dir, prog_changed, "--baseline", path, NULL, NULL);
    assert_changed_verdict(&r);
    run_free(&r);

    /* --baseline and --write-baseline together: judged by the old file, the new one records the
     * run as it is now (the fixed leak gone, the new one in). */
    char next[4200];
    snprintf(next, sizeof next, "%s/next.json", dir);
    r = run_prog(dir, prog_changed, "--baseline", path, "--write-baseline", next);
    assert_int_equal(r.r.status, STATUS_LEAKED);
    char *text = read_text_file(next);
    char err[256];
    struct tl__json *b = tl__json_parse(text, strlen(text), err, sizeof err);
    const struct tl__json *findings = tl__json_get(b, "findings");
    assert_int_equal(tl__json_length(findings), 2);
    assert_entry(entry_of(findings, "poller"), "start_pollers", 2);
    assert_entry(entry_of(findings, "watchdog"), "start_watchdog", 1);
    tl__json_free(b);
    free(text);
    run_free(&r);

    /* And the new file passes the changed build. */
    r = run_prog(dir, prog_changed, "--baseline", next, NULL, NULL);
    assert_int_equal(r.r.status, 0);
    run_free(&r);
    free(path);
    remove_tree(dir);
    free(dir);
}

static void test_merge_baseline(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *path = write_o0_baseline(dir);
    char kept[4200], json_path[4200], written[4200];
    snprintf(kept, sizeof kept, "%s/kept", dir);
    snprintf(json_path, sizeof json_path, "%s/merged.json", dir);
    snprintf(written, sizeof written, "%s/from-merge.json", dir);
    const char *run_args[] = {"run", "--linger-ms", "0", "--keep-reports", kept, "-q",
                              "--",  prog_changed,  NULL};
    struct run r = cli(dir, run_args);
    assert_int_equal(r.r.status, STATUS_LEAKED);
    run_free(&r);

    const char *merge_args[] = {"merge", "--json", json_path, "--baseline", path, kept, NULL};
    r = cli(dir, merge_args);
    assert_changed_verdict(&r);
    run_free(&r);

    /* A report that cannot be read still says so on the summary line. */
    char broken[4400], garbage[4500];
    snprintf(broken, sizeof broken, "%s/run.broken", kept);
    snprintf(garbage, sizeof garbage, "%s/threadleak.999999.json", broken);
    assert_int_equal(mkdir(broken, 0755), 0);
    write_text_file(garbage, "garbage", 0644);
    r = cli(dir, merge_args);
    assert_int_equal(r.r.status, STATUS_LEAKED);
    assert_contains(r.r.err, "threadleak: 1 leaked thread in 1 of 2 processes; 1 report "
                             "unreadable\n");
    run_free(&r);
    unlink(garbage);
    rmdir(broken);

    const char *write_args[] = {"merge", "--json", json_path, "--write-baseline",
                                written, kept,     NULL};
    r = cli(dir, write_args);
    assert_int_equal(r.r.status, 0);
    assert_contains(r.r.err, "threadleak: 3 known leaks in baseline ");
    char *text = read_text_file(written);
    assert_non_null(text);
    assert_contains(text, "\"function\": \"start_watchdog\"");
    free(text);
    run_free(&r);
    free(path);
    remove_tree(dir);
    free(dir);
}

/* Counts vary with cores, shards and timing: a known key that grew passes, and the text says so. */
static void test_grown_count_passes(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[4200];
    snprintf(path, sizeof path, "%s/b.json", dir);
    write_text_file(path,
                    "{\"threadleak_baseline\": 1, \"findings\": [\n"
                    "  {\"kind\": \"thread_leak\", \"start_routine\": \"poller\", "
                    "\"function\": \"start_pollers\", \"file\": \"baseline_prog.c\", "
                    "\"count\": 1},\n"
                    "  {\"kind\": \"thread_leak\", \"start_routine\": \"quick_task\", "
                    "\"function\": \"run_task\", \"file\": \"baseline_prog.c\", \"count\": 1}]}\n",
                    0644);
    struct run r = run_prog(dir, prog_o2, "--baseline", path, NULL, NULL);
    assert_int_equal(r.r.status, 0);
    assert_contains(r.r.err, "threadleak: known, grown: leaked thread (poller), created in "
                             "start_pollers (baseline_prog.c): 2 now, 1 in baseline ");
    const struct tl__json *e = entry_of(tl__json_get(r.json, "baselined"), "poller");
    assert_int_equal(tl__json_int(tl__json_get(e, "count")), 2);
    assert_int_equal(tl__json_int(tl__json_get(e, "baseline_count")), 1);
    run_free(&r);
    remove_tree(dir);
    free(dir);
}

/* The lock module's findings are findings like leaks: recorded, then known. */
static void test_lock_findings(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[4200], json_path[4200];
    snprintf(path, sizeof path, "%s/b.json", dir);
    snprintf(json_path, sizeof json_path, "%s/merged.json", dir);
    const char *plain[] = {"run",     "--locks", "--linger-ms", "0", "--json",
                           json_path, "--",      lock_abba,     NULL};
    struct run r = cli(dir, plain);
    assert_int_equal(r.r.status, STATUS_LEAKED); /* a lock-order inversion fails as a leak does */
    run_free(&r);
    const char *record[] = {"run", "--locks", "--linger-ms", "0", "--write-baseline",
                            path,  "--",      lock_abba,     NULL};
    r = cli(dir, record);
    assert_int_equal(r.r.status, 0);
    run_free(&r);
    char *text = read_text_file(path);
    assert_contains(text, "\"kind\": \"lock_order\"");
    assert_contains(text, "\"file\": \"lock_abba.c\"");
    free(text);
    const char *judged[] = {"run",        "--locks", "--linger-ms", "0",       "--json", json_path,
                            "--baseline", path,      "--",          lock_abba, NULL};
    r = cli(dir, judged);
    assert_int_equal(r.r.status, 0);
    assert_contains(r.r.err, "threadleak: 1 known finding in baseline ");
    assert_int_equal(summary(&r, "lock_order"), 0);
    assert_int_equal(summary(&r, "baselined"), 1);
    assert_int_equal(tl__json_length(tl__json_get(
                         tl__json_index(tl__json_get(r.json, "processes"), 0), "lock_order")),
                     0);
    run_free(&r);
    remove_tree(dir);
    free(dir);
}

/* A race under TSan is a finding of the run like a leak: recorded, then known, and the status
 * TSan gave PROG's process is explained by it. */
static void test_tsan_race(void **state)
{
    (void)state;
    if (access(tsan_race, X_OK) != 0) {
        fprintf(stderr, "skipped: %s was not built (gcc cannot link -fsanitize=thread)\n",
                tsan_race);
        skip();
    }
    char *dir = make_temp_dir();
    char path[4200];
    snprintf(path, sizeof path, "%s/b.json", dir);
    struct run r = run_prog(dir, tsan_race, NULL, NULL, NULL, NULL);
    assert_int_equal(r.r.status, STATUS_LEAKED);
    run_free(&r);
    r = run_prog(dir, tsan_race, "--write-baseline", path, NULL, NULL);
    assert_int_equal(r.r.status, 0);
    run_free(&r);
    char *text = read_text_file(path);
    assert_contains(text, "\"kind\": \"tsan\"");
    assert_contains(text, "\"detail\": \"data race\"");
    free(text);
    r = run_prog(dir, tsan_race, "--baseline", path, NULL, NULL);
    assert_int_equal(r.r.status, 0);
    assert_contains(r.r.err, "threadleak: 1 known finding in baseline ");
    assert_int_equal(tl__json_length(tl__json_get(r.json, "tsan_findings")), 0);
    assert_int_equal(summary(&r, "tsan_findings"), 0);
    run_free(&r);
    remove_tree(dir);
    free(dir);
}

/* A bad baseline is a usage error before anything runs: never a run without a baseline. */
static void assert_usage_error(const char *dir, const char *baseline, const char *message)
{
    char marker[4200], script[4400];
    snprintf(marker, sizeof marker, "%s/ran", dir);
    snprintf(script, sizeof script, "touch '%s'", marker);
    const char *args[] = {"run", "--baseline", baseline, "--", "/bin/sh", "-c", script, NULL};
    struct run r = cli(dir, args);
    assert_int_equal(r.r.status, STATUS_USAGE);
    assert_contains(r.r.err, message);
    assert_false(file_exists(marker));
    run_free(&r);
    const char *merge_args[] = {"merge", "--baseline", baseline, dir, NULL};
    r = cli(dir, merge_args);
    assert_int_equal(r.r.status, STATUS_USAGE);
    assert_contains(r.r.err, message);
    run_free(&r);
}

static void test_bad_baseline(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[4200];
    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_usage_error(dir, path, "threadleak: --baseline: cannot read ");
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"{\"threadleak_baseline\": 1, \"findings\": [", "is not valid JSON"},
        {"", "is not valid JSON"},
        {"{\"findings\": []}", "is not a threadleak baseline"},
        {"{\"threadleak_baseline\": 7, \"findings\": []}", "is not a layout this version reads"},
        {"{\"threadleak_baseline\": 1}", "has no \"findings\" array"},
        {"{\"threadleak_baseline\": 1, \"findings\": [{\"function\": \"f\", \"count\": 1}]}",
         "findings[0].kind: a non-empty string is required"},
        {"{\"threadleak_baseline\": 1, \"findings\": [{\"kind\": \"thread_leak\", "
         "\"function\": \"f\", \"count\": 0}]}",
         "findings[0].count: an integer of at least 1 is required"},
        {"{\"threadleak_baseline\": 1, \"findings\": [{\"kind\": \"thread_leak\", "
         "\"function\": \"f\", \"count\": 1}, {\"kind\": \"thread_leak\", \"function\": \"f\", "
         "\"count\": 2}]}",
         "findings[1] has the key of findings[0]"},
    };
    snprintf(path, sizeof path, "%s/bad.json", dir);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_text_file(path, bad[i].text, 0644);
        assert_usage_error(dir, path, bad[i].message);
    }
    /* An empty baseline is a baseline: everything is new. */
    write_text_file(path, "{\"threadleak_baseline\": 1, \"findings\": []}", 0644);
    struct run r = run_prog(dir, prog_o2, "--baseline", path, NULL, NULL);
    assert_int_equal(r.r.status, STATUS_LEAKED);
    assert_int_equal(tl__json_length(leaks_of_first(&r)), 2);
    /* The -O2 build unrolls start_pollers' loop: one group (grouped by line), one key, one line. */
    const char *line = "new, not in baseline";
    const char *first = strstr(r.r.err, line);
    assert_non_null(first);
    const char *poller = strstr(r.r.err, "leaked thread (poller)");
    assert_non_null(poller);
    assert_null(strstr(poller + 1, "leaked thread (poller)"));
    run_free(&r);
    remove_tree(dir);
    free(dir);
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: %s CLI SHIM PROG_O0 PROG_O2 PROG_CHANGED LOCK_ABBA RACE\n",
                argv[0]);
        return 2;
    }
    cli_path = argv[1];
    real_shim = argv[2];
    prog_o0 = argv[3];
    prog_o2 = argv[4];
    prog_changed = argv[5];
    lock_abba = argv[6];
    tsan_race = argv[7];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_baseline),
        cmocka_unit_test(test_rebuilt_at_o2_passes),
        cmocka_unit_test(test_changed_fails_on_new_only),
        cmocka_unit_test(test_merge_baseline),
        cmocka_unit_test(test_grown_count_passes),
        cmocka_unit_test(test_lock_findings),
        cmocka_unit_test(test_tsan_race),
        cmocka_unit_test(test_bad_baseline),
    };
    /* Outside the source tree, wherever the test is started from: the keys' files are then base
     * names (inside it they would be relative to it; docs/cli.md). */
    char *cwd = make_temp_dir();
    if (chdir(cwd) != 0)
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    remove_tree(cwd);
    free(cwd);
    return failed;
}
