/* `--junit FILE` and `--sarif FILE` of `threadleak run` and `threadleak merge`, checked by their
 * real readers: xmllint against tests/e2e/junit.xsd, junit2json (npm) for JUnit, and Microsoft's
 * SARIF multitool (`sarif-multitool validate`, npm) for SARIF. .ci/install-deps installs both npm
 * tools; a machine without them skips those two checks with a note, except under CI=true, where
 * a missing one fails. What the files say is checked too: test cases, failures, rule ids, locations
 * relative to the source root, fingerprints stable across runs and -O levels, and byte-identical
 * output from the same reports.
 *
 * Arguments: CLI, the real shim, ci_formats_prog (-O0), ci_formats_prog_O2, the JUnit XSD, the
 * source tree (the SARIF source root), the program's source file, and the reference corpus's gcc
 * TSan race_counter (skipped when gcc could not build it). */
#include "json_reader.h"
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define STATUS_LEAKED 66

static const char *real_shim, *prog_o0, *prog_o2, *xsd_path, *source_root, *prog_source;
static const char *tsan_race; /* the corpus's gcc TSan race_counter; may not exist */

struct outputs {
    struct cli_result r;
    char *junit, *sarif, *json;
    struct tl__json *sarif_doc;
    char dir[4096]; /* where the files are; kept until outputs_free */
    char junit_path[4200], sarif_path[4200];
};

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = text ? strstr(text, needle) : NULL; at; at = strstr(at + 1, needle))
        n++;
    return n;
}

static void outputs_free(struct outputs *o)
{
    cli_result_free(&o->r);
    free(o->junit);
    free(o->sarif);
    free(o->json);
    tl__json_free(o->sarif_doc);
    remove_tree(o->dir);
}

static void read_outputs(struct outputs *o)
{
    char json_path[4200];
    snprintf(json_path, sizeof json_path, "%s/merged.json", o->dir);
    o->junit = read_text_file(o->junit_path);
    o->sarif = read_text_file(o->sarif_path);
    o->json = read_text_file(json_path);
    char err[256];
    if (o->sarif)
        o->sarif_doc = tl__json_parse(o->sarif, strlen(o->sarif), err, sizeof err);
}

/* `threadleak run --junit --sarif --json [extra...] -- prog ARG` under the real shim. */
static struct outputs run_prog(const char *prog, const char *arg, const char *const *extra)
{
    struct outputs o = {0};
    char *dir = make_temp_dir();
    snprintf(o.dir, sizeof o.dir, "%s", dir);
    free(dir);
    char json_path[4200], shim_env[4200];
    snprintf(o.junit_path, sizeof o.junit_path, "%s/junit.xml", o.dir);
    snprintf(o.sarif_path, sizeof o.sarif_path, "%s/results.sarif", o.dir);
    snprintf(json_path, sizeof json_path, "%s/merged.json", o.dir);
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    const char *args[40] = {"run",        "--linger-ms",   "0",          "--junit",
                            o.junit_path, "--sarif",       o.sarif_path, "--json",
                            json_path,    "--source-root", source_root};
    size_t n = 11;
    for (; extra && *extra && n < 35; extra++)
        args[n++] = *extra;
    args[n++] = "--";
    args[n++] = prog;
    if (arg)
        args[n++] = arg;
    args[n] = NULL;
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    o.r = cli_run(args, env);
    read_outputs(&o);
    return o;
}

/* `threadleak merge --junit --sarif --json [extra...] DIR` into a fresh directory. */
static struct outputs merge_dir(const char *dir, const char *const *extra)
{
    struct outputs o = {0};
    char *tmp = make_temp_dir();
    snprintf(o.dir, sizeof o.dir, "%s", tmp);
    free(tmp);
    char json_path[4200];
    snprintf(o.junit_path, sizeof o.junit_path, "%s/junit.xml", o.dir);
    snprintf(o.sarif_path, sizeof o.sarif_path, "%s/results.sarif", o.dir);
    snprintf(json_path, sizeof json_path, "%s/merged.json", o.dir);
    const char *args[40] = {"merge",  "--junit", o.junit_path,    "--sarif",  o.sarif_path,
                            "--json", json_path, "--source-root", source_root};
    size_t n = 9;
    for (; extra && *extra && n < 37; extra++)
        args[n++] = *extra;
    args[n++] = dir;
    args[n] = NULL;
    o.r = cli_run(args, NULL);
    read_outputs(&o);
    return o;
}

/* The line of prog_source that holds marker. */
static long marker_line(const char *marker)
{
    long line = file_line_of(prog_source, marker);
    assert_true(line > 0);
    return line;
}

/* Whether an npm reader is installed. Under CI (CI=true, where .ci/install-deps ran) a missing
 * one fails the test rather than skipping its check. */
static bool have_command(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    if (system(cmd) == 0)
        return true;
    fprintf(stderr, "note: %s is not installed (.ci/install-deps installs it)\n", name);
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0)
        fail_msg("%s is missing under CI", name);
    return false;
}

/* Runs a shell command line; its exit status, with its output in *out when out is not NULL. */
static int shell(char **out, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (size_t got; (got = fread(buf + len, 1, cap - len - 1, p)) > 0;) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    int status = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!haystack || !strstr(haystack, needle)) {
        fprintf(stderr, "missing: %s\nin:\n%s\n", needle, haystack ? haystack : "(null)");
        fail();
    }
}

/* xmllint --schema junit.xsd: the file is well-formed XML and JUnit as CI servers read it. */
static void assert_junit_valid(const char *path)
{
    char *out = NULL;
    int status = shell(&out, "xmllint --noout --schema '%s' '%s' 2>&1", xsd_path, path);
    if (status != 0)
        fprintf(stderr, "xmllint:\n%s\n", out);
    assert_int_equal(status, 0);
    assert_contains(out, "validates");
    free(out);
}

/* junit2json, a JUnit reader from npm, reads the file and counts what we wrote. */
static void assert_junit2json_reads(const char *path, int tests, int failures)
{
    if (!have_command("junit2json"))
        return;
    char *out = NULL;
    int status = shell(&out, "junit2json '%s' 2>&1", path);
    if (status != 0)
        fprintf(stderr, "junit2json:\n%s\n", out);
    assert_int_equal(status, 0);
    char err[256];
    struct tl__json *doc = tl__json_parse(out, strlen(out), err, sizeof err);
    if (!doc)
        fprintf(stderr, "junit2json printed no JSON (%s):\n%s\n", err, out);
    assert_non_null(doc);
    const struct tl__json *suite = tl__json_index(tl__json_get(doc, "testsuite"), 0);
    assert_int_equal(tl__json_number(tl__json_get(suite, "tests")), tests);
    assert_int_equal(tl__json_number(tl__json_get(suite, "failures")), failures);
    assert_int_equal(tl__json_length(tl__json_get(suite, "testcase")), tests);
    tl__json_free(doc);
    free(out);
}

/* sarif-multitool validate: zero errors. It exits 0 whatever it found, so its own SARIF log is
 * read: every result of level "error" (schema violations such as JSON1008, and the SARIF1xxx
 * rules) is counted; warnings (SARIF2005: no informationUri) are not. */
static void assert_sarif_valid(const char *path)
{
    if (!have_command("sarif-multitool"))
        return;
    char *out = NULL;
    char log[4200];
    snprintf(log, sizeof log, "%s.validation.sarif", path);
    int status = shell(
        &out, "sarif-multitool validate '%s' --output '%s' --log ForceOverwrite 2>&1", path, log);
    char *validation = read_text_file(log);
    char err[256];
    struct tl__json *doc =
        validation ? tl__json_parse(validation, strlen(validation), err, sizeof err) : NULL;
    size_t errors = 0;
    const struct tl__json *results =
        tl__json_get(tl__json_index(tl__json_get(doc, "runs"), 0), "results");
    for (size_t i = 0; i < tl__json_length(results); i++) {
        const char *level = tl__json_string(tl__json_get(tl__json_index(results, i), "level"));
        if (level && strcmp(level, "error") == 0) {
            errors++;
            fprintf(stderr, "sarif-multitool: error %s\n",
                    tl__json_string(tl__json_get(tl__json_index(results, i), "ruleId")));
        }
    }
    if (status != 0 || !doc || errors)
        fprintf(stderr, "sarif-multitool (status %d):\n%s\n%s\n", status, out,
                validation ? validation : "(no validation log)");
    assert_non_null(doc);
    assert_int_equal(errors, 0);
    assert_int_equal(status, 0);
    tl__json_free(doc);
    free(validation);
    free(out);
}

static const struct tl__json *sarif_results(const struct outputs *o)
{
    return tl__json_get(tl__json_index(tl__json_get(o->sarif_doc, "runs"), 0), "results");
}

/* The result with ruleId id; fails when there is none. */
static const struct tl__json *result_of_rule(const struct outputs *o, const char *id)
{
    const struct tl__json *results = sarif_results(o);
    for (size_t i = 0; i < tl__json_length(results); i++) {
        const struct tl__json *r = tl__json_index(results, i);
        const char *rule = tl__json_string(tl__json_get(r, "ruleId"));
        if (rule && strcmp(rule, id) == 0)
            return r;
    }
    fprintf(stderr, "no result of rule %s in:\n%s\n", id, o->sarif ? o->sarif : "(no file)");
    fail();
    return NULL;
}

static const struct tl__json *physical(const struct tl__json *result)
{
    return tl__json_get(tl__json_index(tl__json_get(result, "locations"), 0), "physicalLocation");
}

static const char *fingerprint_of(const struct tl__json *result)
{
    return tl__json_string(
        tl__json_get(tl__json_get(result, "partialFingerprints"), "threadleak/v1"));
}

/* --- run: a leaking program --- */

static void test_run_leak_junit(void **state)
{
    (void)state;
    struct outputs o = run_prog(prog_o0, "leak", NULL);
    assert_int_equal(o.r.status, STATUS_LEAKED);
    assert_non_null(o.junit);
    assert_junit_valid(o.junit_path);
    assert_contains(o.junit, "<testsuites name=\"threadleak\" tests=\"1\" failures=\"1\"");
    assert_contains(o.junit, "<testsuite name=\"threadleak\" tests=\"1\" failures=\"1\"");
    /* Named by the command line; the failure names the start routine and the creation site. */
    char expect[512];
    snprintf(expect, sizeof expect, "<testcase name=\"%s leak\" classname=\"ci_formats_prog_O0\"",
             prog_o0);
    assert_contains(o.junit, expect);
    snprintf(expect, sizeof expect,
             "<failure message=\"2 leaked running threads (blocker) created at "
             "tests/e2e/ci_formats_prog.c:%ld in main (and 1 more finding)\" "
             "type=\"TL1001 LeakedRunningThread\">",
             marker_line("MARK_RUNNING"));
    assert_contains(o.junit, expect);
    snprintf(expect, sizeof expect,
             "TL1002 UnjoinedFinishedThread: 1 finished thread never joined (quick) created at "
             "tests/e2e/ci_formats_prog.c:%ld in main",
             marker_line("MARK_UNJOINED"));
    assert_contains(o.junit, expect);
    /* The failure's text holds the process's full text report, as the shim wrote it. */
    assert_contains(o.junit, "threadleak: 3 leaked threads in 2 groups (pid ");
    assert_contains(o.junit, "SUMMARY: threadleak: 3 leaked threads (2 groups)");
    assert_junit2json_reads(o.junit_path, 1, 1);
    outputs_free(&o);
}

static void test_run_leak_sarif(void **state)
{
    (void)state;
    struct outputs o = run_prog(prog_o0, "leak", NULL);
    assert_int_equal(o.r.status, STATUS_LEAKED);
    assert_non_null(o.sarif_doc);
    assert_sarif_valid(o.sarif_path);
    assert_string_equal(tl__json_string(tl__json_get(o.sarif_doc, "version")), "2.1.0");
    assert_non_null(tl__json_string(tl__json_get(o.sarif_doc, "$schema")));
    const struct tl__json *run = tl__json_index(tl__json_get(o.sarif_doc, "runs"), 0);
    const struct tl__json *driver = tl__json_get(tl__json_get(run, "tool"), "driver");
    assert_string_equal(tl__json_string(tl__json_get(driver, "name")), "threadleak");
    assert_string_equal(tl__json_string(tl__json_get(driver, "version")), TL_EXPECTED_VERSION);
    assert_true(tl__json_length(tl__json_get(driver, "rules")) >= 19);
    /* One result per leak: the two running threads of one line are one result of count 2. */
    assert_int_equal(tl__json_length(sarif_results(&o)), 2);
    const struct tl__json *running = result_of_rule(&o, "TL1001");
    const struct tl__json *loc = physical(running);
    const struct tl__json *artifact = tl__json_get(loc, "artifactLocation");
    assert_string_equal(tl__json_string(tl__json_get(artifact, "uri")),
                        "tests/e2e/ci_formats_prog.c");
    assert_string_equal(tl__json_string(tl__json_get(artifact, "uriBaseId")), "SRCROOT");
    assert_int_equal(tl__json_int(tl__json_get(tl__json_get(loc, "region"), "startLine")),
                     marker_line("MARK_RUNNING"));
    assert_string_equal(tl__json_string(tl__json_get(running, "level")), "error");
    assert_int_equal(tl__json_int(tl__json_get(tl__json_get(running, "properties"), "count")), 2);
    assert_string_equal(
        tl__json_string(tl__json_get(tl__json_get(running, "properties"), "startRoutine")),
        "blocker");
    /* The creation stack as a code flow, ending at the creation site. */
    const struct tl__json *flow = tl__json_get(
        tl__json_index(
            tl__json_get(tl__json_index(tl__json_get(running, "codeFlows"), 0), "threadFlows"), 0),
        "locations");
    assert_true(tl__json_length(flow) >= 1);
    const char *fp = fingerprint_of(running);
    assert_non_null(fp);
    assert_int_equal(strlen(fp), 16);
    const struct tl__json *unjoined = result_of_rule(&o, "TL1002");
    assert_int_equal(
        tl__json_int(tl__json_get(tl__json_get(physical(unjoined), "region"), "startLine")),
        marker_line("MARK_UNJOINED"));
    assert_string_not_equal(fingerprint_of(unjoined), fp);
    outputs_free(&o);
}

/* The same leak, run twice and built at -O0 and -O2: the same fingerprints. */
static void test_fingerprints_stable(void **state)
{
    (void)state;
    struct outputs a = run_prog(prog_o0, "leak", NULL);
    struct outputs b = run_prog(prog_o0, "leak", NULL);
    struct outputs c = run_prog(prog_o2, "leak", NULL);
    const char *ids[] = {"TL1001", "TL1002"};
    for (size_t i = 0; i < 2; i++) {
        const char *fa = fingerprint_of(result_of_rule(&a, ids[i]));
        assert_non_null(fa);
        assert_string_equal(fa, fingerprint_of(result_of_rule(&b, ids[i])));
        assert_string_equal(fa, fingerprint_of(result_of_rule(&c, ids[i])));
    }
    outputs_free(&a);
    outputs_free(&b);
    outputs_free(&c);
}

/* --- run: a clean program still gets a file with a passing test case, and no result --- */

static void test_run_clean(void **state)
{
    (void)state;
    struct outputs o = run_prog(prog_o0, "clean", NULL);
    assert_int_equal(o.r.status, 0);
    assert_non_null(o.junit);
    assert_junit_valid(o.junit_path);
    assert_contains(o.junit, "tests=\"1\" failures=\"0\"");
    assert_null(strstr(o.junit, "<failure"));
    assert_junit2json_reads(o.junit_path, 1, 0);
    assert_non_null(o.sarif_doc);
    assert_int_equal(tl__json_length(sarif_results(&o)), 0);
    assert_sarif_valid(o.sarif_path);
    outputs_free(&o);
}

/* --fail-on without leaks: the leak is no failure in JUnit and a warning in SARIF; the status
 * is 0 as before. */
static void test_run_fail_on(void **state)
{
    (void)state;
    const char *extra[] = {"--fail-on", "races", NULL};
    struct outputs o = run_prog(prog_o0, "leak", extra);
    assert_int_equal(o.r.status, 0);
    assert_junit_valid(o.junit_path);
    assert_contains(o.junit, "failures=\"0\"");
    assert_contains(o.junit, "findings that do not fail the run (--fail-on):");
    assert_string_equal(tl__json_string(tl__json_get(result_of_rule(&o, "TL1001"), "level")),
                        "warning");
    outputs_free(&o);
}

/* A file that cannot be written: 125, as for --json, and the message names the option. */
static void test_unwritable(void **state)
{
    (void)state;
    char shim_env[4200];
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    const char *args[] = {"run",   "--sarif", "/nonexistent/dir/x.sarif", "--", prog_o0,
                          "clean", NULL};
    struct cli_result r = cli_run(args, env);
    assert_int_equal(r.status, 125);
    assert_contains(r.err, "threadleak: --sarif /nonexistent/dir/x.sarif: No such file");
    cli_result_free(&r);
}

/* --- merge: kept reports from two runs, byte-identical output --- */

static void test_merge_deterministic(void **state)
{
    (void)state;
    char *kept = make_temp_dir();
    char shim_env[4200];
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    for (int i = 0; i < 2; i++) {
        const char *args[] = {"run", "-q", "--linger-ms", "0",    "--keep-reports",
                              kept,  "--", prog_o0,       "leak", NULL};
        struct cli_result r = cli_run(args, env);
        assert_int_equal(r.status, STATUS_LEAKED);
        cli_result_free(&r);
    }
    struct outputs a = merge_dir(kept, NULL);
    struct outputs b = merge_dir(kept, NULL);
    assert_int_equal(a.r.status, STATUS_LEAKED);
    assert_non_null(a.junit);
    assert_non_null(a.sarif);
    assert_string_equal(a.junit, b.junit);
    assert_string_equal(a.sarif, b.sarif);
    assert_junit_valid(a.junit_path);
    assert_contains(a.junit, "tests=\"2\" failures=\"2\"");
    /* The same command line twice would be one test case to most readers: the second is [2]. */
    char expect[512];
    snprintf(expect, sizeof expect, "name=\"%s leak\"", prog_o0);
    assert_contains(a.junit, expect);
    snprintf(expect, sizeof expect, "name=\"%s leak [2]\"", prog_o0);
    assert_contains(a.junit, expect);
    assert_junit2json_reads(a.junit_path, 2, 2);
    assert_sarif_valid(a.sarif_path);
    /* The same leak in both processes is one result, of both pids and all four threads. */
    assert_int_equal(tl__json_length(sarif_results(&a)), 2);
    const struct tl__json *running = result_of_rule(&a, "TL1001");
    assert_int_equal(tl__json_int(tl__json_get(tl__json_get(running, "properties"), "count")), 4);
    assert_int_equal(tl__json_length(tl__json_get(tl__json_get(running, "properties"), "pids")), 2);
    assert_contains(tl__json_string(tl__json_get(tl__json_get(running, "message"), "text")),
                    "(the same finding 2 times, in 2 processes)");
    outputs_free(&a);
    outputs_free(&b);
    remove_tree(kept);
    free(kept);
}

/* --- run: a ThreadSanitizer data race, in both formats --- */

static void test_run_tsan_race(void **state)
{
    (void)state;
    if (access(tsan_race, X_OK) != 0) {
        fprintf(stderr, "skipped: %s was not built (gcc cannot link -fsanitize=thread)\n",
                tsan_race);
        skip();
    }
    struct outputs o = run_prog(tsan_race, NULL, NULL);
    assert_int_equal(o.r.status, STATUS_LEAKED);
    const struct tl__json *race = result_of_rule(&o, "TL3001");
    const struct tl__json *loc = physical(race);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_get(loc, "artifactLocation"), "uri")),
                        "tests/reference/race_counter.c");
    assert_true(tl__json_int(tl__json_get(tl__json_get(loc, "region"), "startLine")) > 0);
    assert_sarif_valid(o.sarif_path);
    assert_junit_valid(o.junit_path);
    assert_contains(o.junit, "type=\"TL3001 DataRace\">TL3001 DataRace: ThreadSanitizer: data race "
                             "at tests/reference/race_counter.c:");
    assert_contains(o.junit, "\n    #0 tests/reference/race_counter.c:");
    outputs_free(&o);
}

/* --- run --label: two labelled runs (CI shards) with the same leak, merged --- */

static void test_labels(void **state)
{
    (void)state;
    char *kept = make_temp_dir();
    char shim_env[4200];
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    const char *labels[] = {"shard-1", "shard <2>"};
    for (int i = 0; i < 2; i++) {
        const char *args[] = {"run",     "-q",      "--linger-ms",    "0",
                              "--label", labels[i], "--keep-reports", kept,
                              "--",      prog_o0,   "leak",           NULL};
        struct cli_result r = cli_run(args, env);
        assert_int_equal(r.status, STATUS_LEAKED);
        cli_result_free(&r);
    }
    struct outputs o = merge_dir(kept, NULL);
    assert_int_equal(o.r.status, STATUS_LEAKED);
    char err[256];
    struct tl__json *json = tl__json_parse(o.json, strlen(o.json), err, sizeof err);
    assert_non_null(json);
    const struct tl__json *procs = tl__json_get(json, "processes");
    assert_int_equal(tl__json_length(procs), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(tl__json_string(tl__json_get(tl__json_index(procs, i), "label")),
                            labels[i]);
    tl__json_free(json);
    /* Each process's report carries its label itself (run --label sets label=), once: the merge
     * adds none of its own then. */
    assert_int_equal(count_of(o.json, "\"label\":"), 2);
    /* Test cases named by label and command line, classed by label. */
    char expect[512];
    snprintf(expect, sizeof expect, "name=\"shard-1: %s leak\" classname=\"shard-1\"", prog_o0);
    assert_contains(o.junit, expect);
    snprintf(expect, sizeof expect,
             "name=\"shard &lt;2&gt;: %s leak\" classname=\"shard &lt;2&gt;\"", prog_o0);
    assert_contains(o.junit, expect);
    assert_junit_valid(o.junit_path);
    /* The same leak in both shards: one result, both labels, both processes' threads. */
    const struct tl__json *running = result_of_rule(&o, "TL1001");
    const struct tl__json *props = tl__json_get(running, "properties");
    assert_int_equal(tl__json_int(tl__json_get(props, "count")), 4);
    assert_int_equal(tl__json_length(tl__json_get(props, "labels")), 2);
    assert_string_equal(tl__json_string(tl__json_index(tl__json_get(props, "labels"), 1)),
                        "shard <2>");
    assert_sarif_valid(o.sarif_path);
    outputs_free(&o);
    remove_tree(kept);
    free(kept);

    /* A label that cannot be one is a usage error, and PROG does not run. */
    const char *bad[] = {"run", "--label", "a\tb", "--", prog_o0, "clean", NULL};
    struct cli_result r = cli_run(bad, env);
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "--label");
    assert_null(strstr(r.out, "clean"));
    cli_result_free(&r);
}

/* The label in the text report's first line, with a ':' that THREADLEAK_OPTIONS must quote. */
static void test_label_in_text_report(void **state)
{
    (void)state;
    const char *extra[] = {"--label", "unit: shard 2", NULL};
    struct outputs o = run_prog(prog_o0, "leak", extra);
    assert_int_equal(o.r.status, STATUS_LEAKED);
    assert_contains(o.r.err, " leak, label unit: shard 2)\n");
    assert_int_equal(count_of(o.json, "\"label\": \"unit: shard 2\""), 1);
    outputs_free(&o);
}

/* A bare preload with label= (no CLI at run time) and report_dir=: `threadleak merge` takes the
 * label from each report. */
static void test_label_option_without_the_cli(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char options[4400];
    snprintf(options, sizeof options, "report_dir='%s':quiet=1:linger_ms=0:label=nightly", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("LD_PRELOAD", real_shim, 1);
        setenv("THREADLEAK_OPTIONS", options, 1);
        execl(prog_o0, prog_o0, "leak", (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    struct outputs o = merge_dir(dir, NULL);
    assert_int_equal(o.r.status, STATUS_LEAKED);
    char err[256];
    struct tl__json *json = tl__json_parse(o.json, strlen(o.json), err, sizeof err);
    assert_non_null(json);
    const struct tl__json *procs = tl__json_get(json, "processes");
    assert_int_equal(tl__json_length(procs), 1);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_index(procs, 0), "label")),
                        "nightly");
    tl__json_free(json);
    char expect[512];
    snprintf(expect, sizeof expect, "name=\"nightly: %s leak\" classname=\"nightly\"", prog_o0);
    assert_contains(o.junit, expect);
    outputs_free(&o);
    remove_tree(dir);
    free(dir);
}

/* --- merge: lock findings and hostile strings, from reports written here --- */

static const char lock_report[] =
    "{\"tool\": \"threadleak\", \"version\": \"0.1.0\", \"schema\": 1, \"pid\": 4242, "
    "\"ppid\": 1, \"exe\": \"/opt/bin/srv\", "
    "\"argv\": [\"./srv\", \"<&\\\"'>\", \"\\u0001bell\\u001b[31m\", \"caf\\u00e9\"], "
    "\"mode\": \"all\", \"leaks\": [], \"default_suppressions\": [], "
    "\"deadlocks\": [{\"kind\": \"lock_cycle\", \"threads\": [{\"tid\": 7, \"name\": \"w\", "
    "\"start_routine\": \"cycle_member\", \"created_at\": [{\"pc\": \"0x1\", \"function\": "
    "\"cycle\", \"file\": \"SRC/tests/e2e/ci_formats_prog.c\", \"line\": 30, \"module\": null, "
    "\"inlined\": false}], \"stack\": [{\"pc\": \"0x2\", \"function\": \"cycle_member\", "
    "\"file\": \"SRC/tests/e2e/ci_formats_prog.c\", \"line\": 12, \"module\": null, "
    "\"inlined\": false}], \"waits_for\": {\"address\": \"0x10\", \"type\": \"mutex\", "
    "\"held_by\": 8}, \"holds\": []}]}], "
    "\"lock_order\": [{\"locks\": [{\"address\": \"0x10\", \"type\": \"mutex\"}, {\"address\": "
    "\"0x20\", \"type\": \"mutex\"}], \"edges\": [{\"from\": \"0x10\", \"to\": \"0x20\", "
    "\"held_as\": \"write\", \"acquired_as\": \"write\", \"thread\": {\"tid\": 7, \"name\": "
    "\"w\", \"start_routine\": \"a_then_b\"}, \"held_at\": [{\"pc\": \"0x3\", \"function\": "
    "\"a_then_b\", \"file\": \"/elsewhere/lib.c\", \"line\": 5, \"module\": null, \"inlined\": "
    "false}], \"acquired_at\": [{\"pc\": \"0x4\", \"function\": \"a_then_b\", \"file\": "
    "\"SRC/tests/e2e/ci_formats_prog.c\", \"line\": 13, \"module\": null, \"inlined\": "
    "false}]}]}], "
    "\"misuse\": [{\"kind\": \"unlock_unlocked\", \"count\": 3, \"thread\": {\"tid\": 7, "
    "\"name\": \"w\", \"start_routine\": null}, \"stack\": [{\"pc\": \"0x5\", \"function\": "
    "\"??\", \"file\": null, \"line\": null, \"module\": \"/lib/libc.so.6\", \"inlined\": "
    "false}], \"lock\": {\"address\": \"0x10\", \"type\": \"mutex\"}, \"other_lock\": null}], "
    "\"summary\": {\"threads_created\": 2, \"leaked\": 0, \"suppressed\": 0}}\n";

/* lock_report with SRC replaced by the source root, in dir/threadleak.4242.json, and a text
 * report with colour, a control byte and a byte that is no UTF-8. With moved, every line number
 * is one more, as after a line was added at the top of each file. */
static void write_lock_reports(const char *dir, bool moved)
{
    char *json = malloc(sizeof lock_report + 4 * strlen(source_root));
    assert_non_null(json);
    json[0] = '\0';
    for (const char *p = lock_report, *at; *p; p = at + 3) {
        at = strstr(p, "SRC");
        if (!at) {
            strcat(json, p);
            break;
        }
        strncat(json, p, (size_t)(at - p));
        strcat(json, source_root);
    }
    for (char *p = json; moved && (p = strstr(p, "\"line\": ")); p++) {
        p += strlen("\"line\": ");
        while (p[1] >= '0' && p[1] <= '9')
            p++;
        if (*p >= '0' && *p <= '8')
            ++*p; /* the last digit: the fixture's lines all end in 0..8 */
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/threadleak.4242.json", dir);
    write_text_file(path, json, 0644);
    snprintf(path, sizeof path, "%s/threadleak.4242.txt", dir);
    write_text_file(
        path, "\x1b[1m==4242== threadleak: deadlock\x1b[0m (lock_cycle) \x01 \xff ]]>\n", 0644);
    free(json);
}

static void test_merge_lock_findings(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    write_lock_reports(dir, false);
    struct outputs o = merge_dir(dir, NULL);
    assert_int_equal(o.r.status, 68); /* a deadlock: merge's status as before */
    assert_junit_valid(o.junit_path);
    assert_contains(o.junit, "name=\"./srv '&lt;&amp;&quot;'&gt;' ");
    assert_null(strstr(o.junit, "\x1b"));
    assert_contains(o.junit, "caf\xc3\xa9");
    assert_contains(o.junit, "<failure message=\"deadlock (lock_cycle) of 1 thread: thread "
                             "(cycle_member) waits at tests/e2e/ci_formats_prog.c:12 in "
                             "cycle_member; created at tests/e2e/ci_formats_prog.c:30 in cycle "
                             "(and 2 more findings)\" type=\"TL2002 LockCycle\">");
    assert_contains(o.junit, "TL2101 LockOrderInversion: lock-order inversion of 2 locks: thread "
                             "(a_then_b) took a lock at tests/e2e/ci_formats_prog.c:13 in "
                             "a_then_b while holding one taken at lib.c:5 in a_then_b");
    assert_contains(o.junit, "TL2202 UnlockUnlocked: pthread misuse (unlock_unlocked), 3 times");
    assert_contains(o.junit, "==4242== threadleak: deadlock (lock_cycle)");
    assert_junit2json_reads(o.junit_path, 1, 1);
    assert_sarif_valid(o.sarif_path);
    assert_int_equal(tl__json_length(sarif_results(&o)), 3);
    assert_int_equal(
        tl__json_int(tl__json_get(tl__json_get(physical(result_of_rule(&o, "TL2002")), "region"),
                                  "startLine")),
        12);
    assert_int_equal(
        tl__json_int(tl__json_get(tl__json_get(physical(result_of_rule(&o, "TL2101")), "region"),
                                  "startLine")),
        13);
    /* No file known: located by function alone, still a result. */
    assert_null(physical(result_of_rule(&o, "TL2202")));

    /* Lines moved (a line added above each site): other lines, the same fingerprints. */
    char *moved_dir = make_temp_dir();
    write_lock_reports(moved_dir, true);
    struct outputs moved = merge_dir(moved_dir, NULL);
    const char *ids[] = {"TL2002", "TL2101", "TL2202"};
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(fingerprint_of(result_of_rule(&o, ids[i])),
                            fingerprint_of(result_of_rule(&moved, ids[i])));
    assert_int_equal(
        tl__json_int(tl__json_get(
            tl__json_get(physical(result_of_rule(&moved, "TL2101")), "region"), "startLine")),
        14);
    outputs_free(&moved);
    remove_tree(moved_dir);
    free(moved_dir);
    outputs_free(&o);

    /* --fail-on leaks: the lock findings are still there, as warnings, and nothing fails. */
    const char *extra[] = {"--fail-on", "leaks", NULL};
    o = merge_dir(dir, extra);
    assert_int_equal(o.r.status, 0);
    assert_contains(o.junit, "failures=\"0\"");
    assert_string_equal(tl__json_string(tl__json_get(result_of_rule(&o, "TL2101"), "level")),
                        "warning");
    outputs_free(&o);
    remove_tree(dir);
    free(dir);
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: %s CLI SHIM PROG_O0 PROG_O2 XSD SOURCE_ROOT PROG_SOURCE\n",
                argv[0]);
        return 2;
    }
    cli_path = argv[1];
    real_shim = argv[2];
    prog_o0 = argv[3];
    prog_o2 = argv[4];
    xsd_path = argv[5];
    source_root = argv[6];
    prog_source = argv[7];
    tsan_race = argv[8];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_leak_junit),
        cmocka_unit_test(test_run_leak_sarif),
        cmocka_unit_test(test_fingerprints_stable),
        cmocka_unit_test(test_run_clean),
        cmocka_unit_test(test_run_fail_on),
        cmocka_unit_test(test_unwritable),
        cmocka_unit_test(test_merge_deterministic),
        cmocka_unit_test(test_merge_lock_findings),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_label_in_text_report),
        cmocka_unit_test(test_label_option_without_the_cli),
        cmocka_unit_test(test_run_tsan_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
