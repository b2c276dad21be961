/* Unit tests of the bench harness's logic: medians, verdicts, running a command and reading its
 * metric, and the JSON it writes. No timings are asserted. */
#define _GNU_SOURCE
#include "results.h"
#include "run.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void median_of_odd_even_and_empty(void **state)
{
    (void)state;
    struct summary s;
    double odd[] = {5, 1, 3};
    bench_summarize(odd, 3, &s);
    assert_true(s.median == 3 && s.min == 1 && s.max == 5);
    double even[] = {4, 1, 2, 10};
    bench_summarize(even, 4, &s);
    assert_true(s.median == 3 && s.min == 1 && s.max == 10);
    bench_summarize(NULL, 0, &s);
    assert_true(isnan(s.median) && isnan(s.min));
}

static const struct bench_command base_cmd = {"base", "/bin/true", NULL, NULL};
static const struct bench_command subject_cmd = {"subject", "/bin/true", NULL, NULL};
static const struct bench_case spec = {.id = "T", .what = "test", .unit = "ms"};

/* A case with one base and one subject whose samples are given. */
static void make_case(struct case_result *c, double *base, double *subject, size_t n,
                      enum bench_judge judge, double target)
{
    memset(c, 0, sizeof *c);
    c->spec = &spec;
    c->row_count = 2;
    c->rows[0] = (struct row_result){.cmd = &base_cmd,
                                     .is_base = true,
                                     .value = NAN,
                                     .vs_base = NAN,
                                     .runs = n,
                                     .metric_samples = base,
                                     .wall_samples = base,
                                     .cpu_samples = base};
    c->rows[1] = (struct row_result){.cmd = &subject_cmd,
                                     .judge = judge,
                                     .target = target,
                                     .value = NAN,
                                     .vs_base = NAN,
                                     .runs = n,
                                     .metric_samples = subject,
                                     .wall_samples = subject,
                                     .cpu_samples = subject};
}

static void ratio_of_medians_passes_and_misses(void **state)
{
    (void)state;
    struct case_result c;
    double base[] = {10, 10, 100}, subject[] = {11, 11, 1}; /* medians 10 and 11 */
    make_case(&c, base, subject, 3, JUDGE_RATIO, 1.15);
    bench_judge_case(&c);
    assert_string_equal(c.rows[0].status, "base");
    assert_string_equal(c.rows[1].status, "PASS");
    assert_true(fabs(c.rows[1].value - 1.1) < 1e-9);
    assert_false(bench_row_fails(&c.rows[1]));
    make_case(&c, base, subject, 3, JUDGE_RATIO, 1.05);
    bench_judge_case(&c);
    assert_string_equal(c.rows[1].status, "MISS");
    assert_true(bench_row_fails(&c.rows[1]));
}

static void delta_and_absolute_judges(void **state)
{
    (void)state;
    struct case_result c;
    double base[] = {1.0, 1.0, 1.0}, subject[] = {1.5, 1.5, 1.5};
    make_case(&c, base, subject, 3, JUDGE_DELTA, 1.0);
    bench_judge_case(&c);
    assert_string_equal(c.rows[1].status, "PASS");
    assert_true(fabs(c.rows[1].value - 0.5) < 1e-9);
    make_case(&c, base, subject, 3, JUDGE_ABSOLUTE, 1.0);
    bench_judge_case(&c);
    assert_string_equal(c.rows[1].status, "MISS");
    assert_true(fabs(c.rows[1].value - 1.5) < 1e-9);
}

static void missing_base_leaves_ratio_pending_failed_base_fails_absolute_judged(void **state)
{
    (void)state;
    struct case_result c;
    double subject[] = {0.05};
    make_case(&c, NULL, subject, 1, JUDGE_RATIO, 1.0);
    c.rows[0].runs = 0;
    c.rows[0].status = "skipped";
    bench_judge_case(&c);
    assert_string_equal(c.rows[1].status, "pending");
    assert_false(bench_row_fails(&c.rows[1]));
    make_case(&c, NULL, subject, 1, JUDGE_RATIO, 1.0);
    c.rows[0].runs = 0;
    c.rows[0].status = "ERROR";
    bench_judge_case(&c);
    assert_string_equal(c.rows[1].status, "ERROR");
    assert_true(bench_row_fails(&c.rows[1]));
    make_case(&c, NULL, subject, 1, JUDGE_ABSOLUTE, 0.1);
    c.rows[0].runs = 0;
    c.rows[0].status = "skipped";
    bench_judge_case(&c);
    assert_string_equal(c.rows[1].status, "PASS");
}

static void info_rows_never_fail(void **state)
{
    (void)state;
    struct case_result c;
    double base[] = {1}, subject[] = {50};
    make_case(&c, base, subject, 1, JUDGE_INFO, 0);
    bench_judge_case(&c);
    assert_string_equal(c.rows[1].status, "info");
    assert_true(fabs(c.rows[1].vs_base - 50) < 1e-9);
    assert_false(bench_row_fails(&c.rows[1]));
}

static struct run_setup test_setup(char *log_dir)
{
    return (struct run_setup){.bin_dir = "/bin",
                              .shim = "/nonexistent/libthreadleak.so",
                              .log_dir = log_dir,
                              .timeout_s = 10};
}

static void command_metric_is_read_from_stdout(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl_bench_test_XXXXXX", why[256];
    assert_non_null(mkdtemp(dir));
    struct run_setup setup = test_setup(dir);
    struct run_sample sample;
    const struct bench_command echo = {"echo", "/bin/sh -c echo${IFS}x=1${IFS}us_per_pair=2.5",
                                       NULL, "us_per_pair"};
    assert_true(bench_command_run(&echo, &setup, "echo", &sample, why, sizeof why));
    assert_true(sample.metric == 2.5);
    const struct bench_command no_metric = {"echo", "{bin}/echo nothing", NULL, "us_per_pair"};
    assert_false(bench_command_run(&no_metric, &setup, "none", &sample, why, sizeof why));
    assert_non_null(strstr(why, "no us_per_pair="));
    const struct bench_command failing = {"false", "/bin/false", NULL, NULL};
    assert_false(bench_command_run(&failing, &setup, "false", &sample, why, sizeof why));
    assert_non_null(strstr(why, "exit status 1"));
    char cleanup[512];
    snprintf(cleanup, sizeof cleanup, "rm -rf %s", dir);
    assert_int_equal(system(cleanup), 0);
}

static void missing_programs_and_shim_make_a_command_unavailable(void **state)
{
    (void)state;
    char why[256];
    struct run_setup setup = test_setup("/tmp");
    const struct bench_command present = {"ok", "{bin}/true", NULL, NULL};
    const struct bench_command missing = {"x", "{bin}/no_such_bench_program", NULL, NULL};
    const struct bench_command under_shim = {"x", "/bin/true", "LD_PRELOAD={shim}", NULL};
    const struct bench_command not_on_path = {"x", "no_such_tool_on_path --x", NULL, NULL};
    assert_true(bench_command_available(&present, &setup, why, sizeof why));
    assert_false(bench_command_available(&missing, &setup, why, sizeof why));
    assert_non_null(strstr(why, "/bin/no_such_bench_program missing"));
    assert_false(bench_command_available(&under_shim, &setup, why, sizeof why));
    assert_non_null(strstr(why, "/nonexistent/libthreadleak.so"));
    assert_false(bench_command_available(&not_on_path, &setup, why, sizeof why));
}

static void json_carries_status_and_samples(void **state)
{
    (void)state;
    struct case_result c;
    struct machine m = {.date = "d", .cpu = "c\"q", .nproc = 2, .toolchain = "t"};
    double base[] = {10, 20}, subject[] = {11, 21};
    char path[] = "/tmp/tl_bench_json_XXXXXX", text[4096] = {0};
    make_case(&c, base, subject, 2, JUDGE_RATIO, 1.15);
    bench_judge_case(&c);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_true(bench_write_json(path, &m, 2, &c, 1));
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    assert_true(fread(text, 1, sizeof text - 1, in) > 0);
    fclose(in);
    unlink(path);
    assert_non_null(strstr(text, "\"status\": \"PASS\""));
    assert_non_null(strstr(text, "\"samples\": [11, 21]"));
    assert_non_null(strstr(text, "\"cpu\": \"c\\\"q\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(median_of_odd_even_and_empty),
        cmocka_unit_test(ratio_of_medians_passes_and_misses),
        cmocka_unit_test(delta_and_absolute_judges),
        cmocka_unit_test(missing_base_leaves_ratio_pending_failed_base_fails_absolute_judged),
        cmocka_unit_test(info_rows_never_fail),
        cmocka_unit_test(command_metric_is_read_from_stdout),
        cmocka_unit_test(missing_programs_and_shim_make_a_command_unavailable),
        cmocka_unit_test(json_carries_status_and_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
