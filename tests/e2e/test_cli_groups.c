/* Grouping by source line, end to end under the real shim and CLI: two threads created by one
 * line that the compiler unrolled into two calls are one group (text, JSON, the SUMMARY line);
 * the text's stacks end at main; the merged JSON's leak_groups join the same leak across a forked
 * child and its parent, and across two labelled runs given to `threadleak merge`.
 *
 * Arguments: CLI, the real shim, groups_prog (-O2), its source file. */
#include "json_reader.h"
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define STATUS_LEAKED 66

static const char *real_shim, *prog, *prog_source;

/* The line of prog_source that holds marker. */
static long marker_line(const char *marker)
{
    long line = file_line_of(prog_source, marker);
    assert_true(line > 0);
    return line;
}

struct run {
    struct cli_result r;
    char *json;
    struct tl__json *doc;
    char dir[4096];
};

static void parse(struct run *run, const char *path)
{
    run->json = read_text_file(path);
    assert_non_null(run->json);
    char err[256];
    run->doc = tl__json_parse(run->json, strlen(run->json), err, sizeof err);
    if (!run->doc)
        fail_msg("%s: %s", path, err);
}

/* `threadleak run --json DIR/merged.json [extra...] -- prog mode` under the real shim. */
static struct run run_prog(const char *mode, const char *const *extra)
{
    struct run run = {0};
    char *dir = make_temp_dir();
    snprintf(run.dir, sizeof run.dir, "%s", dir);
    free(dir);
    char json_path[4200], shim_env[4200];
    snprintf(json_path, sizeof json_path, "%s/merged.json", run.dir);
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    const char *args[32] = {"run", "--linger-ms", "0", "--json", json_path};
    size_t n = 5;
    for (; extra && *extra && n < 28; extra++)
        args[n++] = *extra;
    args[n++] = "--";
    args[n++] = prog;
    args[n++] = mode;
    args[n] = NULL;
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    run.r = cli_run(args, env);
    parse(&run, json_path);
    return run;
}

static void run_free(struct run *run)
{
    cli_result_free(&run->r);
    free(run->json);
    tl__json_free(run->doc);
    remove_tree(run->dir);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

static void assert_site(const struct tl__json *created_at, const char *function, long line)
{
    assert_string_equal(tl__json_string(tl__json_get(created_at, "function")), function);
    const char *file = tl__json_string(tl__json_get(created_at, "file"));
    assert_non_null(file);
    assert_non_null(strstr(file, "groups_prog.c"));
    assert_int_equal(tl__json_int(tl__json_get(created_at, "line")), line);
}

/* Failed before grouping by source line: "2 leaked threads in 2 groups", one per pc. */
static void test_unrolled_loop_is_one_group(void **state)
{
    (void)state;
    long line = marker_line("MARK_UNROLLED");
    char *out = make_temp_dir();
    char junit_path[4200], sarif_path[4200];
    snprintf(junit_path, sizeof junit_path, "%s/junit.xml", out);
    snprintf(sarif_path, sizeof sarif_path, "%s/results.sarif", out);
    const char *extra[] = {"--junit", junit_path, "--sarif", sarif_path, NULL};
    struct run run = run_prog("unrolled", extra);
    assert_int_equal(run.r.status, STATUS_LEAKED);
    const struct tl__json *proc = tl__json_index(tl__json_get(run.doc, "processes"), 0);
    const struct tl__json *leaks = tl__json_get(proc, "leaks");
    assert_int_equal(tl__json_length(leaks), 1);
    const struct tl__json *leak = tl__json_index(leaks, 0);
    assert_int_equal(tl__json_int(tl__json_get(leak, "count")), 2);
    assert_int_equal(tl__json_length(tl__json_get(leak, "tids")), 2);
    assert_site(tl__json_get(leak, "created_at"), "main", line);
    /* The JSON keeps the whole stack, start-up frames included. */
    const struct tl__json *stack = tl__json_get(leak, "creation_stack");
    const char *last = tl__json_string(
        tl__json_get(tl__json_index(stack, tl__json_length(stack) - 1), "function"));
    assert_non_null(last);
    assert_true(strcmp(last, "main") != 0);

    /* The text: one group, a TSan-like SUMMARY, and stacks that end at main. */
    assert_contains(run.r.err, "2 leaked threads in 1 group");
    char summary[512];
    snprintf(summary, sizeof summary, "leaked threads (reader) created at ");
    assert_contains(run.r.err, summary);
    snprintf(summary, sizeof summary, "groups_prog.c:%ld in main, ", line);
    assert_contains(run.r.err, summary);
    assert_null(strstr(run.r.err, "__libc_start_main"));
    assert_null(strstr(run.r.err, "__libc_start_call_main"));
    assert_null(strstr(run.r.err, " _start "));

    /* Across processes: one group of two threads in one process. */
    const struct tl__json *groups = tl__json_get(run.doc, "leak_groups");
    assert_int_equal(tl__json_length(groups), 1);
    const struct tl__json *g = tl__json_index(groups, 0);
    assert_int_equal(tl__json_int(tl__json_get(g, "count")), 2);
    assert_int_equal(tl__json_length(tl__json_get(g, "processes")), 1);
    assert_int_equal(tl__json_length(tl__json_get(g, "labels")), 0);
    run_free(&run);

    /* JUnit: one finding for the process, not one per pc. SARIF: one result of two threads. */
    char *junit = read_text_file(junit_path);
    assert_non_null(junit);
    assert_contains(junit, "message=\"2 leaked running threads (reader) created at ");
    assert_null(strstr(junit, "more finding"));
    free(junit);
    char *sarif = read_text_file(sarif_path);
    assert_non_null(sarif);
    char err[256];
    struct tl__json *doc = tl__json_parse(sarif, strlen(sarif), err, sizeof err);
    assert_non_null(doc);
    const struct tl__json *results =
        tl__json_get(tl__json_index(tl__json_get(doc, "runs"), 0), "results");
    assert_int_equal(tl__json_length(results), 1);
    const struct tl__json *props = tl__json_get(tl__json_index(results, 0), "properties");
    assert_int_equal(tl__json_int(tl__json_get(props, "count")), 2);
    tl__json_free(doc);
    free(sarif);
    remove_tree(out);
    free(out);
}

/* The same leak in a forked child and its parent: two processes, one leak group. */
static void test_forked_child_joins_the_group(void **state)
{
    (void)state;
    struct run run = run_prog("fork", NULL);
    assert_int_equal(run.r.status, STATUS_LEAKED);
    const struct tl__json *procs = tl__json_get(run.doc, "processes");
    assert_int_equal(tl__json_length(procs), 2);
    const struct tl__json *groups = tl__json_get(run.doc, "leak_groups");
    assert_int_equal(tl__json_length(groups), 1);
    const struct tl__json *g = tl__json_index(groups, 0);
    assert_string_equal(tl__json_string(tl__json_get(g, "start_routine")), "reader");
    assert_string_equal(tl__json_string(tl__json_get(g, "state")), "running");
    assert_int_equal(tl__json_int(tl__json_get(g, "count")), 2);
    assert_site(tl__json_get(g, "created_at"), "start_one_reader", marker_line("MARK_FORKED"));
    const struct tl__json *pids = tl__json_get(g, "processes");
    assert_int_equal(tl__json_length(pids), 2);
    /* In the order of "processes". */
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(tl__json_int(tl__json_index(pids, i)),
                         tl__json_int(tl__json_get(tl__json_index(procs, i), "pid")));
    run_free(&run);
}

/* Two labelled runs kept and merged: one group, count 4 (two threads in each), both labels; and
 * the same directories merged again give the same bytes. */
static void test_merged_runs_share_a_group(void **state)
{
    (void)state;
    char *kept = make_temp_dir();
    const char *labels[] = {"shard-1", "shard-2"};
    for (int i = 0; i < 2; i++) {
        const char *extra[] = {"-q", "--label", labels[i], "--keep-reports", kept, NULL};
        struct run run = run_prog("unrolled", extra);
        assert_int_equal(run.r.status, STATUS_LEAKED);
        run_free(&run);
    }
    char *out = make_temp_dir();
    char json_path[4200], again_path[4200];
    snprintf(json_path, sizeof json_path, "%s/a.json", out);
    snprintf(again_path, sizeof again_path, "%s/b.json", out);
    const char *merge[] = {"merge", "--json", json_path, kept, NULL};
    struct cli_result r = cli_run(merge, NULL);
    assert_int_equal(r.status, STATUS_LEAKED);
    cli_result_free(&r);
    const char *merge_again[] = {"merge", "--json", again_path, kept, NULL};
    r = cli_run(merge_again, NULL);
    cli_result_free(&r);

    struct run merged = {0};
    snprintf(merged.dir, sizeof merged.dir, "%s", out);
    parse(&merged, json_path);
    const struct tl__json *groups = tl__json_get(merged.doc, "leak_groups");
    assert_int_equal(tl__json_length(groups), 1);
    const struct tl__json *g = tl__json_index(groups, 0);
    assert_int_equal(tl__json_int(tl__json_get(g, "count")), 4);
    assert_int_equal(tl__json_length(tl__json_get(g, "processes")), 2);
    const struct tl__json *glabels = tl__json_get(g, "labels");
    assert_int_equal(tl__json_length(glabels), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(tl__json_string(tl__json_index(glabels, i)), labels[i]);
    assert_site(tl__json_get(g, "created_at"), "main", marker_line("MARK_UNROLLED"));
    char *again = read_text_file(again_path);
    assert_non_null(again);
    assert_string_equal(merged.json, again);
    free(again);
    run_free(&merged);
    remove_tree(kept);
    free(kept);
    free(out);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s CLI SHIM GROUPS_PROG GROUPS_PROG_SOURCE\n", argv[0]);
        return 2;
    }
    cli_path = argv[1];
    real_shim = argv[2];
    prog = argv[3];
    prog_source = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unrolled_loop_is_one_group),
        cmocka_unit_test(test_forked_child_joins_the_group),
        cmocka_unit_test(test_merged_runs_share_a_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
