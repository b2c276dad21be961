/* Issue 14, item 5: a leaked thread that blocks every signal has no current stack, and every
 * output says why ("signals blocked") rather than leaving the stack out silently: the endpoint's
 * debug=2, JSON and HTML page while the program runs, then the exit report's text and JSON, under
 * the shim alone and under `threadleak run`. The thread beside it, which blocks nothing, keeps its
 * stack everywhere.
 *
 * Arguments: the shim, deaf_thread_prog, and the CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_reader.h"
#include "test_endpoint_http.h"
#include "test_endpoint_target.h"

static const char *shim_path, *prog_path, *cli_path;

static struct tl__json *parse_or_fail(const char *text, size_t len, const char *what)
{
    char err[160];
    struct tl__json *root = tl__json_parse(text, len, err, sizeof err);
    if (!root)
        fail_msg("%s does not parse: %s\n%s", what, err, text);
    return root;
}

/* The entry of array (threads or leaks) whose start_routine is routine. */
static const struct tl__json *by_routine(const struct tl__json *array, const char *routine)
{
    for (size_t i = 0; i < tl__json_length(array); i++) {
        const struct tl__json *e = tl__json_index(array, i);
        const char *r = tl__json_string(tl__json_get(e, "start_routine"));
        if (r && strcmp(r, routine) == 0)
            return e;
    }
    fail_msg("no entry with start routine %s", routine);
    return NULL;
}

static const char *status_of(const struct tl__json *e)
{
    const char *s = tl__json_string(tl__json_get(e, "stack_status"));
    assert_non_null(s);
    return s;
}

static char *fetch(const struct target *t, const char *path)
{
    struct http_reply r = http_get(t->where, path);
    if (r.status != 200)
        fail_msg("%s: status %d", path, r.status);
    char *body = strdup(r.body);
    http_reply_free(&r);
    return body;
}

/* The exit report's JSON for one process: what it says about both threads. */
static void assert_exit_json(const struct tl__json *process)
{
    const struct tl__json *leaks = tl__json_get(process, "leaks");
    assert_int_equal(tl__json_length(leaks), 2);
    const struct tl__json *deaf = by_routine(leaks, "deaf_spinner");
    assert_string_equal(status_of(deaf), "signals blocked");
    assert_true(tl__json_is_null(tl__json_get(deaf, "current_stack")));
    const struct tl__json *hearing = by_routine(leaks, "reader");
    assert_string_equal(status_of(hearing), "ok");
    assert_true(tl__json_length(tl__json_get(hearing, "current_stack")) > 0);
}

/* "  no current stack (tid N): signals blocked" for the deaf thread, a stack for the other. */
static void assert_exit_text(const char *text)
{
    const char *deaf = strstr(text, "start routine: deaf_spinner\n");
    if (!deaf)
        fail_msg("no deaf_spinner group in:\n%s", text);
    const char *next_group = strstr(deaf, "\n\n");
    const char *why = strstr(deaf, "  no current stack (tid ");
    assert_non_null(why);
    assert_true(!next_group || why < next_group);
    assert_non_null(strstr(why, "): signals blocked\n"));
    const char *hearing = strstr(text, "start routine: reader\n");
    assert_non_null(hearing);
    assert_non_null(strstr(hearing, "  current stack (tid "));
}

static void endpoint_and_exit_report_say_signals_blocked(void **state)
{
    (void)state;
    struct target t = target_start(shim_path, prog_path, "deaf", "300", "127.0.0.1:0", true);

    char *debug2 = fetch(&t, "/debug/threads?debug=2");
    if (!strstr(debug2, "(no current stack: signals blocked; start routine deaf_spinner)"))
        fail_msg("debug=2 does not say why deaf_spinner has no stack:\n%s", debug2);
    free(debug2);

    char *json = fetch(&t, "/debug/threads?format=json");
    struct tl__json *root = parse_or_fail(json, strlen(json), "the endpoint's JSON");
    const struct tl__json *threads = tl__json_get(root, "threads");
    assert_string_equal(status_of(by_routine(threads, "deaf_spinner")), "signals blocked");
    assert_string_equal(status_of(by_routine(threads, "reader")), "ok");
    tl__json_free(root);
    free(json);

    char *html = fetch(&t, "/");
    assert_non_null(strstr(html, "no current stack: signals blocked"));
    free(html);

    kill(t.pid, SIGTERM);
    int status = wait_exit(t.pid, 30000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 66);
    char *out = slurp(t.err_path, NULL);
    assert_non_null(out);
    assert_exit_text(out);
    free(out);
    char path[400];
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", t.dir, (long)t.pid);
    size_t len;
    char *report = slurp(path, &len);
    assert_non_null(report);
    root = parse_or_fail(report, len, path);
    assert_exit_json(root);
    tl__json_free(root);
    free(report);
    target_remove_dir(t.dir);
}

static void threadleak_run_says_signals_blocked(void **state)
{
    (void)state;
    char dir[256];
    target_make_dir(dir, sizeof dir);
    char json_path[300], err_path[300];
    snprintf(json_path, sizeof json_path, "%s/merged.json", dir);
    snprintf(err_path, sizeof err_path, "%s/output.txt", dir);
    char *argv[] = {(char *)cli_path,  "run",  "--json", json_path, "--",
                    (char *)prog_path, "deaf", "0",      NULL};
    pid_t pid = start_program(argv, NULL, err_path);
    int status = wait_exit(pid, 60000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 66);
    char *out = slurp(err_path, NULL);
    assert_non_null(out);
    assert_exit_text(out);
    free(out);
    size_t len;
    char *merged = slurp(json_path, &len);
    assert_non_null(merged);
    struct tl__json *root = parse_or_fail(merged, len, json_path);
    assert_exit_json(tl__json_index(tl__json_get(root, "processes"), 0));
    tl__json_free(root);
    free(merged);
    target_remove_dir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SHIM DEAF_THREAD_PROG CLI\n", argv[0]);
        return 2;
    }
    shim_path = argv[1];
    prog_path = argv[2];
    cli_path = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoint_and_exit_report_say_signals_blocked),
        cmocka_unit_test(threadleak_run_says_signals_blocked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
