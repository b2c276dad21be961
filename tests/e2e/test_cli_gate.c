/* The gate fails closed (issue 16): a process that started under the real shim and delivered no
 * report makes `threadleak run` exit 67 and names it, in the text and in the JSON. Each program
 * here leaks a thread and exits 0, and before the gate channel each of these runs exited 0.
 *
 * Arguments: CLI, the real shim, test_cli_gate_prog, and a static program (or "none"). The
 * setuid and chroot cases need root and are skipped with a message otherwise. */
#include "gate_status.h"
#include "json_reader.h"
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define STATUS_UNDELIVERED 67

static const char *real_shim;
static const char *gate_prog;
static const char *static_prog; /* "" when not built */

struct gate_run {
    struct cli_result r;
    char *json_text;
    struct tl__json *json;
};

/* Runs `threadleak run --json FILE -- gate_prog STEPS...` under the real shim. */
static struct gate_run run_steps(const char *const *steps)
{
    char *dir = make_temp_dir();
    char json_path[4200], shim_env[4200];
    snprintf(json_path, sizeof json_path, "%s/merged.json", dir);
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    const char *args[32] = {"run", "--linger-ms", "0", "--json", json_path, "--", gate_prog};
    size_t n = 7;
    for (; *steps && n < 31; steps++)
        args[n++] = *steps;
    args[n] = NULL;
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    struct gate_run g = {.r = cli_run(args, env)};
    g.json_text = read_text_file(json_path);
    char err[256];
    g.json = g.json_text ? tl__json_parse(g.json_text, strlen(g.json_text), err, sizeof err) : NULL;
    remove_tree(dir);
    free(dir);
    return g;
}

static void gate_run_free(struct gate_run *g)
{
    tl__json_free(g->json);
    free(g->json_text);
    cli_result_free(&g->r);
}

static int64_t summary_int(const struct gate_run *g, const char *key)
{
    return tl__json_int(tl__json_get(tl__json_get(g->json, "summary"), key));
}

/* The one undelivered process: it is gate_prog (or exe_suffix), and why says how it was lost. */
static const struct tl__json *assert_one_undelivered(const struct gate_run *g, const char *why,
                                                     const char *exe_suffix)
{
    if (g->r.status != STATUS_UNDELIVERED && g->r.status != 128 + SIGKILL)
        fprintf(stderr, "stderr of the run:\n%s", g->r.err);
    assert_non_null(g->json);
    const struct tl__json *list = tl__json_get(g->json, "undelivered");
    assert_int_equal(tl__json_length(list), 1);
    const struct tl__json *u = tl__json_index(list, 0);
    assert_string_equal(tl__json_string(tl__json_get(u, "why")), why);
    const char *exe = tl__json_string(tl__json_get(u, "exe"));
    assert_non_null(exe);
    size_t el = strlen(exe), sl = strlen(exe_suffix);
    assert_true(el >= sl && strcmp(exe + el - sl, exe_suffix) == 0);
    assert_int_equal(summary_int(g, "undelivered"), 1);
    /* The text names the process: "process PID (EXE) delivered no report: it ..." */
    char want[4300];
    snprintf(want, sizeof want, "threadleak: process %ld (%s) delivered no report: it ",
             (long)tl__json_int(tl__json_get(u, "pid")), exe);
    assert_non_null(strstr(g->r.err, want));
    assert_non_null(strstr(g->r.err, "started under the shim and delivered no report"));
    return u;
}

static bool skip_unless_root(const char *what)
{
    if (geteuid() == 0)
        return false;
    printf("SKIP: %s needs root (running as uid %ld)\n", what, (long)geteuid());
    return true;
}

static void test_setuid_program_fails_closed(void **state)
{
    (void)state;
    if (skip_unless_root("setuid(65534)"))
        skip();
    struct gate_run g = run_steps((const char *const[]){"leak", "setuid", NULL});
    assert_int_equal(g.r.status, STATUS_UNDELIVERED);
    assert_one_undelivered(&g, "lost", "test_cli_gate_prog");
    assert_non_null(strstr(g.r.err, "could not write its report (Permission denied)"));
    /* The message of the issue is gone: the process was heard of. */
    assert_null(strstr(g.r.err, "was the shim"));
    gate_run_free(&g);
}

static void test_chrooted_program_fails_closed(void **state)
{
    (void)state;
    if (skip_unless_root("chroot"))
        skip();
    struct gate_run g = run_steps((const char *const[]){"leak", "chroot", NULL});
    assert_int_equal(g.r.status, STATUS_UNDELIVERED);
    assert_one_undelivered(&g, "lost", "test_cli_gate_prog");
    assert_non_null(strstr(g.r.err, "could not write its report (No such file or directory)"));
    gate_run_free(&g);
}

static void test_unwritable_directory_fails_closed(void **state)
{
    (void)state;
    struct gate_run g = run_steps((const char *const[]){"leak", "unwritable", NULL});
    assert_int_equal(g.r.status, STATUS_UNDELIVERED);
    assert_one_undelivered(&g, "lost", "test_cli_gate_prog");
    assert_non_null(strstr(g.r.err, "could not write its report (Permission denied)"));
    gate_run_free(&g);
}

/* Closing every descriptor takes the gate's inherited one with it: the start notice was sent
 * before main, and the "lost" notice goes through the named socket. */
static void test_closed_fds_and_unwritable_directory_fail_closed(void **state)
{
    (void)state;
    struct gate_run g = run_steps((const char *const[]){"leak", "closefds", "unwritable", NULL});
    assert_int_equal(g.r.status, STATUS_UNDELIVERED);
    assert_one_undelivered(&g, "lost", "test_cli_gate_prog");
    assert_non_null(strstr(g.r.err, "could not write its report (Permission denied)"));
    gate_run_free(&g);
}

/* A child whose parent closed every descriptor before executing it (as Python's subprocess does
 * by default) never had the gate's descriptor: it speaks through the named socket. */
static void test_child_without_the_descriptor_still_fails_closed(void **state)
{
    (void)state;
    struct gate_run g =
        run_steps((const char *const[]){"closefds", "child-rest", "leak", "unwritable", NULL});
    assert_int_equal(g.r.status, STATUS_UNDELIVERED);
    const struct tl__json *u = assert_one_undelivered(&g, "lost", "test_cli_gate_prog");
    assert_int_equal(summary_int(&g, "started"), 2);
    /* The child, not PROG: PROG delivered (through the named socket too). */
    assert_int_equal(tl__json_length(tl__json_get(g.json, "processes")), 1);
    int64_t prog_pid =
        tl__json_int(tl__json_get(tl__json_index(tl__json_get(g.json, "processes"), 0), "pid"));
    assert_true(tl__json_int(tl__json_get(u, "pid")) != prog_pid);
    gate_run_free(&g);
}

/* Closing every descriptor alone loses nothing: the report still reaches the directory. */
static void test_closed_fds_alone_still_reports_the_leak(void **state)
{
    (void)state;
    struct gate_run g = run_steps((const char *const[]){"leak", "closefds", NULL});
    assert_int_equal(g.r.status, 66);
    assert_int_equal(summary_int(&g, "undelivered"), 0);
    assert_int_equal(summary_int(&g, "leaked_threads"), 1);
    gate_run_free(&g);
}

static void test_killed_program_is_named_as_killed(void **state)
{
    (void)state;
    struct gate_run g = run_steps((const char *const[]){"leak", "kill", NULL});
    assert_int_equal(g.r.status, 128 + SIGKILL); /* PROG's own status still wins */
    const struct tl__json *u = assert_one_undelivered(&g, "killed", "test_cli_gate_prog");
    assert_int_equal(tl__json_int(tl__json_get(u, "signal")), SIGKILL);
    assert_non_null(strstr(g.r.err, "was killed by signal 9 (SIGKILL)"));
    gate_run_free(&g);
}

/* A grandchild killed and reaped by its own parent: the CLI never sees its wait status, and
 * says exactly that. */
static void test_killed_grandchild_fails_closed(void **state)
{
    (void)state;
    struct gate_run g = run_steps((const char *const[]){"child-kill", NULL});
    assert_int_equal(g.r.status, STATUS_UNDELIVERED);
    assert_one_undelivered(&g, "unknown", "test_cli_gate_prog");
    assert_int_equal(summary_int(&g, "started"), 2);
    gate_run_free(&g);
}

/* exec into a preloaded program: one pid, two start notices, one report. */
static void test_exec_into_preloaded_counts_once(void **state)
{
    (void)state;
    struct gate_run g = run_steps((const char *const[]){"again", "leak", NULL});
    assert_int_equal(g.r.status, 66);
    assert_int_equal(summary_int(&g, "started"), 1);
    assert_int_equal(summary_int(&g, "undelivered"), 0);
    assert_int_equal(tl__json_length(tl__json_get(g.json, "undelivered")), 0);
    gate_run_free(&g);
}

/* exec into a static program: the preloaded image said "start", the static one can say nothing. */
static void test_exec_into_static_fails_closed(void **state)
{
    (void)state;
    if (!*static_prog) {
        printf("SKIP: no static program (libc.a is not installed)\n");
        skip();
    }
    char step[4200];
    snprintf(step, sizeof step, "exec:%s", static_prog);
    struct gate_run g = run_steps((const char *const[]){"leak", step, NULL});
    assert_int_equal(g.r.status, STATUS_UNDELIVERED);
    assert_one_undelivered(&g, "exited", "test_cli_gate_prog");
    gate_run_free(&g);
}

/* No false alarm under load: a hundred processes at once, every one delivered. */
static void test_many_clean_processes_all_deliver(void **state)
{
    (void)state;
    char script[4400], shim_env[4200];
    snprintf(script, sizeof script, "i=0; while [ $i -lt 100 ]; do %s & i=$((i+1)); done; wait",
             gate_prog);
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", real_shim);
    const char *env[] = {shim_env, "THREADLEAK_OPTIONS", NULL};
    struct cli_result r =
        cli_run((const char *const[]){"run", "--json", "-", "--", "sh", "-c", script, NULL}, env);
    if (r.status != 0)
        fprintf(stderr, "stderr of the run:\n%s", r.err);
    assert_int_equal(r.status, 0);
    char err[256];
    struct tl__json *json = tl__json_parse(r.out, strlen(r.out), err, sizeof err);
    assert_non_null(json);
    const struct tl__json *summary = tl__json_get(json, "summary");
    assert_int_equal(tl__json_int(tl__json_get(summary, "started")), 101);
    assert_int_equal(tl__json_int(tl__json_get(summary, "undelivered")), 0);
    assert_int_equal(tl__json_int(tl__json_get(summary, "processes")), 101);
    tl__json_free(json);
    cli_result_free(&r);
}

/* The status's precedence: PROG's own, then 125, then the findings' --exitcode, then 67. */
static void test_undelivered_status_precedence(void **state)
{
    (void)state;
    struct tl__gate_outcome o = {
        .tsan_exitcode = 66, .fail_on = TL_FAIL_ON_DEFAULT, .exitcode = 66, .undelivered = 1};
    assert_int_equal(gate_final_status(&o), STATUS_UNDELIVERED);
    o.prog_wait_status = 3 << 8; /* exited 3 */
    assert_int_equal(gate_final_status(&o), 3);
    o.prog_wait_status = SIGKILL;
    assert_int_equal(gate_final_status(&o), 128 + SIGKILL);
    o.prog_wait_status = 0;
    o.leaked = 1;
    assert_int_equal(gate_final_status(&o), 66);
    o.exitcode = 0; /* leaks reported, not failing: the undelivered process still fails */
    assert_int_equal(gate_final_status(&o), STATUS_UNDELIVERED);
    o.fail_on = 0;
    assert_int_equal(gate_final_status(&o), STATUS_UNDELIVERED);
    o.leaked = -1;
    assert_int_equal(gate_final_status(&o), 125);
    o.leaked = 0;
    o.undelivered = 0;
    assert_int_equal(gate_final_status(&o), 0);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s CLI SHIM GATE_PROG STATIC_PROG|none\n", argv[0]);
        return 2;
    }
    cli_path = argv[1];
    real_shim = argv[2];
    gate_prog = argv[3];
    static_prog = cli_optional_path(argv[4]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_undelivered_status_precedence),
        cmocka_unit_test(test_setuid_program_fails_closed),
        cmocka_unit_test(test_chrooted_program_fails_closed),
        cmocka_unit_test(test_unwritable_directory_fails_closed),
        cmocka_unit_test(test_closed_fds_and_unwritable_directory_fail_closed),
        cmocka_unit_test(test_closed_fds_alone_still_reports_the_leak),
        cmocka_unit_test(test_child_without_the_descriptor_still_fails_closed),
        cmocka_unit_test(test_killed_program_is_named_as_killed),
        cmocka_unit_test(test_killed_grandchild_fails_closed),
        cmocka_unit_test(test_exec_into_preloaded_counts_once),
        cmocka_unit_test(test_exec_into_static_fails_closed),
        cmocka_unit_test(test_many_clean_processes_all_deliver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
