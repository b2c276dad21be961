/* /debug/threads/growth end to end (docs/endpoint.md): a program that leaks a thread per request
 * comes out `growing` at the line that creates them, its pool and its scaling load do not, and
 * both formats have the documented shape. No timing is asserted: the tests poll, with generous
 * deadlines, for what the sampler must eventually say.
 *
 *   test_endpoint_growth SHIM GROWTH_PROG */
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

#define POLL_MS         200
#define DEADLINE_MS     120000
#define SETTLED_SAMPLES 100 /* several cycles of the scaling load */

static const char *shim_path, *prog_path;
static pid_t running; /* killed by the teardown when a test fails half-way */

struct growth_target {
    pid_t pid;
    char dir[256], out_path[300], where[64];
    int leak_line;
};

static struct growth_target start(const char *mode)
{
    struct growth_target t = {0};
    target_make_dir(t.dir, sizeof t.dir);
    snprintf(t.out_path, sizeof t.out_path, "%s/output.txt", t.dir);
    char options[512], preload[512];
    snprintf(options, sizeof options,
             "THREADLEAK_OPTIONS=http=127.0.0.1:0:report_dir=%s:exitcode=0:growth_sample_ms=50:"
             "growth_window_s=20",
             t.dir);
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim_path);
    const char *env[] = {options, preload, NULL};
    char *argv[] = {(char *)prog_path, (char *)mode, NULL};
    t.pid = start_program(argv, env, t.out_path);
    assert_true(t.pid > 0);
    running = t.pid;
    char port_file[400];
    snprintf(port_file, sizeof port_file, "%s/threadleak.%ld.http", t.dir, (long)t.pid);
    char *line = wait_for_line_file(port_file, 15000);
    if (!line)
        fail_msg("no %s; program output:\n%s", port_file, slurp(t.out_path, NULL));
    snprintf(t.where, sizeof t.where, "%s", line);
    free(line);
    for (int i = 0; i < 1500 && t.leak_line == 0; i++) {
        char *out = slurp(t.out_path, NULL);
        const char *site = out ? strstr(out, "leak_site=") : NULL;
        if (site && strchr(site, '\n'))
            t.leak_line = atoi(site + strlen("leak_site="));
        free(out);
        if (t.leak_line == 0)
            usleep(10000);
    }
    assert_true(t.leak_line > 0);
    return t;
}

static void stop(struct growth_target *t)
{
    kill(t->pid, SIGTERM);
    int status = wait_exit(t->pid, 30000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    running = 0;
    target_remove_dir(t->dir);
}

static int kill_leftover(void **state)
{
    (void)state;
    if (running > 0) {
        kill(running, SIGKILL);
        waitpid(running, NULL, 0);
        running = 0;
    }
    return 0;
}

static struct tl__json *get_json(const struct growth_target *t)
{
    struct http_reply r = http_get(t->where, "/debug/threads/growth?format=json");
    assert_int_equal(r.status, 200);
    char type[128] = "";
    assert_true(http_header(&r, "Content-Type", type, sizeof type));
    assert_string_equal(type, "application/json");
    char err[256];
    struct tl__json *doc = tl__json_parse(r.body, r.length, err, sizeof err);
    if (!doc)
        fail_msg("bad JSON (%s):\n%s", err, r.body);
    http_reply_free(&r);
    return doc;
}

static const char *string_of(const struct tl__json *group, const char *key)
{
    const char *s = tl__json_string(tl__json_get(group, key));
    assert_non_null(s);
    return s;
}

/* Every member the docs promise, with its type, and numbers that agree with each other. */
static void check_group_shape(const struct tl__json *g)
{
    string_of(g, "start_routine");
    const struct tl__json *at = tl__json_get(g, "created_at");
    assert_int_equal(tl__json_type(at), TL_JSON_OBJECT);
    assert_non_null(tl__json_string(tl__json_get(at, "function")));
    const struct tl__json *file = tl__json_get(at, "file");
    assert_true(tl__json_is_null(file) || tl__json_string(file));
    int64_t line, live, created, exited;
    assert_true(tl__json_get_int64(tl__json_get(at, "line"), &line));
    assert_true(tl__json_get_int64(tl__json_get(g, "live"), &live));
    assert_true(tl__json_get_int64(tl__json_get(g, "created_total"), &created));
    assert_true(tl__json_get_int64(tl__json_get(g, "exited_total"), &exited));
    assert_true(created >= live);
    assert_int_equal(exited, created - live);
    const char *trend = string_of(g, "trend");
    assert_true(strcmp(trend, "growing") == 0 || strcmp(trend, "steady") == 0 ||
                strcmp(trend, "shrinking") == 0);
    assert_int_equal(tl__json_type(tl__json_get(g, "growth_per_hour")), TL_JSON_NUMBER);
    const struct tl__json *samples = tl__json_get(g, "samples");
    size_t n = tl__json_length(samples);
    assert_true(n >= 1);
    int64_t previous = 0;
    for (size_t i = 0; i < n; i++) {
        const struct tl__json *s = tl__json_index(samples, i);
        assert_int_equal(tl__json_length(s), 2);
        int64_t when, count;
        assert_true(tl__json_get_int64(tl__json_index(s, 0), &when));
        assert_true(tl__json_get_int64(tl__json_index(s, 1), &count));
        assert_true(when > previous);      /* oldest first, one sample per time */
        assert_true(when > 1600000000000); /* Unix milliseconds */
        previous = when;
        if (i == n - 1)
            assert_int_equal(count, live);
    }
}

static void check_shape(const struct tl__json *doc)
{
    int64_t sample_ms, window_s;
    assert_true(tl__json_get_int64(tl__json_get(doc, "sample_ms"), &sample_ms));
    assert_true(tl__json_get_int64(tl__json_get(doc, "window_s"), &window_s));
    assert_int_equal(sample_ms, 50);
    assert_int_equal(window_s, 20);
    const struct tl__json *groups = tl__json_get(doc, "groups");
    assert_int_equal(tl__json_type(groups), TL_JSON_ARRAY);
    for (size_t i = 0; i < tl__json_length(groups); i++)
        check_group_shape(tl__json_index(groups, i));
}

static const struct tl__json *group_started_in(const struct tl__json *doc, const char *routine)
{
    const struct tl__json *groups = tl__json_get(doc, "groups");
    for (size_t i = 0; i < tl__json_length(groups); i++) {
        const struct tl__json *g = tl__json_index(groups, i);
        if (strcmp(string_of(g, "start_routine"), routine) == 0)
            return g;
    }
    return NULL;
}

static bool is_leak_site(const struct tl__json *g, int leak_line)
{
    const struct tl__json *at = tl__json_get(g, "created_at");
    const char *file = tl__json_string(tl__json_get(at, "file"));
    const char *function = tl__json_string(tl__json_get(at, "function"));
    return file && strstr(file, "growth_prog.c") && function &&
           strcmp(function, "handle_request") == 0 &&
           tl__json_int(tl__json_get(at, "line")) == leak_line;
}

static const char *trend_of(const struct tl__json *g)
{
    return g ? tl__json_string(tl__json_get(g, "trend")) : NULL;
}

/* The leak's group comes out growing, at the line that creates its threads, while the pool (4
 * threads since start) is steady. */
static void test_leak_per_request_is_growing(void **state)
{
    (void)state;
    struct growth_target t = start("leak");
    bool found = false;
    for (int waited = 0; !found && waited < DEADLINE_MS; waited += POLL_MS) {
        struct tl__json *doc = get_json(&t);
        check_shape(doc);
        const struct tl__json *groups = tl__json_get(doc, "groups");
        for (size_t i = 0; i < tl__json_length(groups); i++) {
            const struct tl__json *g = tl__json_index(groups, i);
            const char *trend = trend_of(g);
            if (is_leak_site(g, t.leak_line) && strcmp(trend, "growing") == 0) {
                const char *pool = trend_of(group_started_in(doc, "pool_worker"));
                found = pool && strcmp(pool, "steady") == 0;
            }
        }
        tl__json_free(doc);
        if (!found)
            usleep(POLL_MS * 1000);
    }
    assert_true(found);
    struct http_reply text = http_get(t.where, "/debug/threads/growth");
    assert_int_equal(text.status, 200);
    assert_non_null(strstr(text.body, "threadleak growth: "));
    char want[128];
    snprintf(want, sizeof want, "growing   blocked_for_good, created at ");
    assert_non_null(strstr(text.body, want));
    snprintf(want, sizeof want, "growth_prog.c:%d in handle_request", t.leak_line);
    assert_non_null(strstr(text.body, want));
    http_reply_free(&text);
    struct http_reply bad = http_get(t.where, "/debug/threads/growth?format=xml");
    assert_int_equal(bad.status, 400);
    http_reply_free(&bad);
    stop(&t);
}

/* Without a leak, once the history holds several cycles of the scaling load, nothing is growing:
 * neither the pool nor the group that scales from 0 to 6 threads and back. */
static void test_pool_and_scaling_load_are_not_growing(void **state)
{
    (void)state;
    struct growth_target t = start("steady");
    int settled_polls = 0;
    for (int waited = 0; settled_polls < 5 && waited < DEADLINE_MS; waited += POLL_MS) {
        struct tl__json *doc = get_json(&t);
        check_shape(doc);
        int64_t taken = tl__json_int(tl__json_get(doc, "samples_taken"));
        const struct tl__json *scaled = group_started_in(doc, "scaled_worker");
        if (taken >= SETTLED_SAMPLES && scaled) {
            const struct tl__json *groups = tl__json_get(doc, "groups");
            for (size_t i = 0; i < tl__json_length(groups); i++) {
                const struct tl__json *g = tl__json_index(groups, i);
                if (strcmp(trend_of(g), "growing") == 0)
                    fail_msg("%s is growing after %lld samples", string_of(g, "start_routine"),
                             (long long)taken);
            }
            settled_polls++;
        }
        tl__json_free(doc);
        usleep(POLL_MS * 1000);
    }
    assert_int_equal(settled_polls, 5);
    stop(&t);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SHIM GROWTH_PROG\n", argv[0]);
        return 2;
    }
    shim_path = argv[1];
    prog_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_leak_per_request_is_growing, kill_leftover),
        cmocka_unit_test_teardown(test_pool_and_scaling_load_are_not_growing, kill_leftover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
