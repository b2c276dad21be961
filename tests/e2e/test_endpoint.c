/* The endpoint end to end: test_endpoint_prog runs under the real shim with
 * http=127.0.0.1:0 and a report_dir; the port comes from REPORT_DIR/threadleak.PID.http; every
 * route is fetched with a small C client and checked: debug=2 names the blocked functions with
 * file:line and "created by", debug=1 groups them, JSON parses, the pprof profile goes through
 * `go tool pprof -raw/-top` (when go is installed), /metrics is valid exposition, errors get
 * their status codes, the endpoint's own threads are never listed nor reported at exit, a
 * non-loopback address is refused while the program runs on, dumps during a thread churn never
 * list a tid twice, the HTML page renders in headless Chromium (when installed), and memcached's
 * workers show in epoll_wait (when memcached is installed).
 *
 * Arguments: the shim, test_endpoint_prog, and the artifacts directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json_reader.h"
#include "test_endpoint_http.h"
#include "test_endpoint_target.h"

#define PROGRAM_THREADS 6 /* main, 3 waiters, reader, sleeper */

static const char *shim_path, *prog_path, *artifacts_dir;

static struct target shared;

static int setup_shared(void **state)
{
    (void)state;
    shared = target_start(shim_path, prog_path, "blocked", "300", "127.0.0.1:0", true);
    return 0;
}

static int teardown_shared(void **state)
{
    (void)state;
    target_stop(&shared);
    return 0;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
        n++;
    return n;
}

static bool matches(const char *pattern, const char *s)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static struct http_reply fetch_ok(const char *path, const char *content_type)
{
    struct http_reply r = http_get(shared.where, path);
    if (r.status != 200)
        fail_msg("%s: status %d", path, r.status);
    char type[128];
    assert_true(http_header(&r, "Content-Type", type, sizeof type));
    assert_true(strncmp(type, content_type, strlen(content_type)) == 0);
    return r;
}

static void test_debug2(void **state)
{
    (void)state;
    struct http_reply r = fetch_ok("/debug/threads?debug=2", "text/plain");
    const char *b = r.body;
    assert_true(
        matches("^blocked_in_cond_wait\\(\\.\\.\\.\\)\n\t[^\n]*test_endpoint_prog\\.c:[0-9]+", b));
    assert_true(
        matches("^blocked_in_pipe_read\\(\\.\\.\\.\\)\n\t[^\n]*test_endpoint_prog\\.c:[0-9]+", b));
    assert_true(
        matches("^sleeping_in_nanosleep\\(\\.\\.\\.\\)\n\t[^\n]*test_endpoint_prog\\.c:[0-9]+", b));
    assert_true(matches("^created by main thread "
                        "at:\nstart_threads\\(\\.\\.\\.\\)\n\t[^\n]*test_endpoint_prog\\.c:[0-9]+",
                        b));
    assert_true(matches("^thread [0-9]+ \"reader\" \\[read fd [0-9]+", b));
    assert_int_equal(count_of(b, "[futex wait (condition)"), 3);
    /* only the program's threads: not the services thread, not libmicrohttpd's */
    assert_int_equal(count_of(b, "\nthread ") + (strncmp(b, "thread ", 7) == 0), PROGRAM_THREADS);
    assert_null(strstr(b, "\"threadleak\""));
    http_reply_free(&r);
}

static void test_debug1(void **state)
{
    (void)state;
    struct http_reply r = fetch_ok("/debug/threads?debug=1", "text/plain");
    assert_true(strncmp(r.body, "threads profile: total 6\n3 @ 0x", 31) == 0);
    assert_true(matches("^#\t0x[0-9a-f]+\tblocked_in_cond_wait(\\+0x[0-9a-f]+)?\t[^\n]*test_"
                        "endpoint_prog\\.c:[0-9]+$",
                        r.body));
    http_reply_free(&r);
    r = fetch_ok("/debug/threads", "text/plain"); /* debug=1 is the default */
    assert_true(strncmp(r.body, "threads profile: total", 22) == 0);
    http_reply_free(&r);
}

static bool stack_has(const struct tl__json *stack, const char *function, bool with_line)
{
    for (size_t i = 0; i < tl__json_length(stack); i++) {
        const struct tl__json *f = tl__json_index(stack, i);
        const char *fn = tl__json_string(tl__json_get(f, "function"));
        if (fn && strcmp(fn, function) == 0)
            return !with_line || tl__json_int(tl__json_get(f, "line")) > 0;
    }
    return false;
}

static void test_json(void **state)
{
    (void)state;
    struct http_reply r = fetch_ok("/debug/threads?format=json", "application/json");
    char err[256] = "";
    struct tl__json *root = tl__json_parse(r.body, r.length, err, sizeof err);
    if (!root)
        fail_msg("bad JSON: %s", err);
    assert_int_equal(tl__json_int(tl__json_get(root, "pid")), shared.pid);
    const struct tl__json *threads = tl__json_get(root, "threads");
    assert_int_equal(tl__json_length(threads), PROGRAM_THREADS);
    const struct tl__json *totals = tl__json_get(root, "totals");
    assert_true(tl__json_int(tl__json_get(totals, "tool_threads")) >= 2);
    assert_int_equal(tl__json_int(tl__json_get(totals, "created_total")), 5);
    size_t waiters = 0;
    for (size_t i = 0; i < tl__json_length(threads); i++) {
        const struct tl__json *t = tl__json_index(threads, i);
        assert_false(tl__json_bool(tl__json_get(t, "tool")));
        const char *routine = tl__json_string(tl__json_get(t, "start_routine"));
        if (routine && strcmp(routine, "blocked_in_cond_wait") == 0) {
            waiters++;
            assert_true(stack_has(tl__json_get(t, "current_stack"), "blocked_in_cond_wait", true));
            assert_true(stack_has(tl__json_get(t, "creation_stack"), "start_threads", true));
            assert_string_equal(tl__json_string(tl__json_get(t, "state")), "waiting");
        }
    }
    assert_int_equal(waiters, 3);
    tl__json_free(root);
    http_reply_free(&r);
}

/* Runs `go tool pprof FLAG file` with a private HOME and GOCACHE; its output, or NULL. */
static char *go_pprof(const char *flag, const char *file)
{
    char cmd[1024], out_path[400];
    snprintf(out_path, sizeof out_path, "%s/pprof%s.txt", shared.dir, flag);
    snprintf(cmd, sizeof cmd,
             "HOME='%s' GOCACHE='%s/gocache' GOFLAGS= timeout 120 go tool pprof %s '%s' > '%s' "
             "2>&1",
             shared.dir, shared.dir, flag, file, out_path);
    int rc = system(cmd);
    char *out = slurp(out_path, NULL);
    if (rc != 0)
        fail_msg("%s failed (%d):\n%s", cmd, rc, out ? out : "");
    return out;
}

static void test_pprof(void **state)
{
    (void)state;
    struct http_reply alias = fetch_ok("/debug/pprof/goroutine", "application/octet-stream");
    assert_true(alias.length > 20 && (unsigned char)alias.body[0] == 0x1f &&
                (unsigned char)alias.body[1] == 0x8b);
    http_reply_free(&alias);
    struct http_reply r = fetch_ok("/debug/pprof/threads", "application/octet-stream");
    char disposition[128];
    assert_true(http_header(&r, "Content-Disposition", disposition, sizeof disposition));
    char file[400];
    snprintf(file, sizeof file, "%s/threads.pb.gz", shared.dir);
    FILE *f = fopen(file, "w");
    assert_int_equal(fwrite(r.body, 1, r.length, f), r.length);
    fclose(f);
    http_reply_free(&r);
    if (system("command -v go > /dev/null 2>&1") != 0) {
        print_message("# go is not installed: `go tool pprof` checks skipped\n");
        return;
    }
    char *raw = go_pprof("-raw", file);
    assert_non_null(strstr(raw, "blocked_in_cond_wait"));
    assert_non_null(strstr(raw, "threads/count"));
    assert_true(matches("^ +3: ", raw)); /* the three waiters, one sample */
    char *top = go_pprof("-top", file);
    assert_non_null(strstr(top, "blocked_in_cond_wait"));
    assert_non_null(strstr(top, "sleeping_in_nanosleep"));
    assert_non_null(strstr(top, "of 6 total"));
    free(raw);
    free(top);
}

/* One /metrics page: every line checked against the exposition format; the waiting and process
 * thread counts out. */
static void read_metrics(long *waiting, long *process)
{
    struct http_reply r = fetch_ok("/metrics", "text/plain; version=0.0.4");
    char *save = NULL;
    *waiting = -1;
    *process = -1;
    for (char *line = strtok_r(r.body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!matches("^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", line) &&
            !matches("^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? "
                     "[0-9]+$",
                     line))
            fail_msg("bad exposition line '%s'", line);
        sscanf(line, "threadleak_threads{state=\"waiting\"} %ld", waiting);
        sscanf(line, "threadleak_process_threads %ld", process);
    }
    http_reply_free(&r);
}

static void test_metrics(void **state)
{
    (void)state;
    long waiting, process;
    /* The previous test's dump signalled every thread: on a loaded machine one may not be back
     * in its wait yet, and shows as running. Every thread of the program does wait again, so
     * the count must reach PROGRAM_THREADS; give the scheduler up to 5 s. */
    for (int attempt = 0; attempt < 50; attempt++) {
        read_metrics(&waiting, &process);
        if (waiting == PROGRAM_THREADS)
            break;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    assert_int_equal(waiting, PROGRAM_THREADS);  /* all blocked, main in nanosleep */
    assert_true(process >= PROGRAM_THREADS + 2); /* plus the services and server threads */
}

static void test_html(void **state)
{
    (void)state;
    struct http_reply r = fetch_ok("/", "text/html");
    assert_non_null(strstr(r.body, "<table class=\"threads\">"));
    assert_non_null(strstr(r.body, "blocked_in_cond_wait"));
    assert_non_null(strstr(r.body, "href=\"/debug/pprof/threads\""));
    http_reply_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    struct http_reply r = http_get(shared.where, "/nope");
    assert_int_equal(r.status, 404);
    http_reply_free(&r);
    r = http_request(shared.where, "POST", "/metrics", "Content-Length: 3\r\n");
    assert_int_equal(r.status, 405);
    char allow[64];
    assert_true(http_header(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, HEAD");
    http_reply_free(&r);
    r = http_get(shared.where, "/debug/threads?debug=7");
    assert_int_equal(r.status, 400);
    http_reply_free(&r);
    r = http_get(shared.where, "/debug/threads?format=xml");
    assert_int_equal(r.status, 400);
    http_reply_free(&r);
    /* HEAD: the headers of a GET, no body */
    r = http_request(shared.where, "HEAD", "/metrics", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.length, 0);
    http_reply_free(&r);
}

static void test_foreign_host_header(void **state)
{
    (void)state;
    /* http_request sends its own Host first; a raw request carries only the foreign one */
    int fd = http_connect(shared.where);
    assert_true(fd >= 0);
    const char req[] =
        "GET /metrics HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    char buf[256] = "";
    ssize_t n = 0;
    for (int i = 0; i < 200 && n <= 0; i++) {
        n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
            usleep(10000);
    }
    close(fd);
    assert_true(n > 0);
    assert_true(strncmp(buf, "HTTP/1.1 403", 12) == 0);
}

static void test_chromium_screenshot(void **state)
{
    (void)state;
    const char *browser = NULL;
    if (system("command -v chromium > /dev/null 2>&1") == 0)
        browser = "chromium";
    else if (system("command -v chromium-browser > /dev/null 2>&1") == 0)
        browser = "chromium-browser";
    if (!browser) {
        print_message("# SKIPPED: chromium is not installed (Debian package `chromium`); no "
                      "screenshot of the HTML page\n");
        skip();
    }
    char png[400], profile[400], cmd[2048];
    mkdir(artifacts_dir, 0755);
    snprintf(png, sizeof png, "%s/threads.png", artifacts_dir);
    snprintf(profile, sizeof profile, "%s/chromium-profile", shared.dir);
    unlink(png);
    snprintf(cmd, sizeof cmd,
             "HOME='%s' timeout 90 %s --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking --disable-component-update "
             "--disable-sync --user-data-dir='%s' --screenshot='%s' --window-size=1280,900 "
             "'http://%s/' > '%s/chromium.txt' 2>&1",
             shared.dir, browser, profile, png, shared.where, shared.dir);
    int rc = system(cmd);
    size_t len = 0;
    char *image = slurp(png, &len);
    if (!image)
        fail_msg("no screenshot (chromium exited %d); see %s/chromium.txt", rc, shared.dir);
    assert_true(len > 10 * 1024); /* a blank 1280x900 PNG is far smaller */
    assert_int_equal(memcmp(image, "\x89PNG\r\n\x1a\n", 8), 0);
    print_message("# screenshot: %s (%zu bytes)\n", png, len);
    free(image);
}

/* ---- with a program of their own ---- */

static void test_non_loopback_is_refused(void **state)
{
    (void)state;
    static const char *const refused[] = {"0.0.0.0:6060", "192.168.1.10:6060", "example.com:80"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct target t = target_start(shim_path, prog_path, "blocked", "0.5", refused[i], false);
        int status = wait_exit(t.pid, 30000);
        char *out = slurp(t.err_path, NULL);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("%s: status %d, output:\n%s", refused[i], status, out);
        /* exactly one line about it, and the program ran to its end */
        assert_int_equal(count_of(out, "threadleak: "), 1);
        assert_true(matches("^threadleak: http=[^\n]* refused: the endpoint listens on loopback "
                            "only[^\n]*$",
                            out));
        assert_non_null(strstr(out, "heartbeats="));
        char port_file[400];
        snprintf(port_file, sizeof port_file, "%s/threadleak.%ld.http", t.dir, (long)t.pid);
        assert_int_equal(access(port_file, F_OK), -1);
        free(out);
        target_remove_dir(t.dir);
    }
}

/* Each dump's tids, and that none repeats. */
static void assert_unique_tids(const char *dump)
{
    long tids[4096];
    size_t n = 0;
    for (const char *at = dump; (at = strstr(at, "thread ")) && n < 4096; at += 7) {
        if (at != dump && at[-1] != '\n')
            continue;
        long tid = strtol(at + 7, NULL, 10);
        for (size_t i = 0; i < n; i++) {
            if (tids[i] == tid)
                fail_msg("tid %ld listed twice", tid);
        }
        tids[n++] = tid;
    }
    assert_true(n >= PROGRAM_THREADS);
}

static void test_dumps_during_churn(void **state)
{
    (void)state;
    struct target t = target_start(shim_path, prog_path, "churn", "300", "127.0.0.1:0", true);
    for (int i = 0; i < 40; i++) {
        struct http_reply r = http_get(t.where, "/debug/threads?debug=2");
        assert_int_equal(r.status, 200);
        assert_unique_tids(r.body);
        http_reply_free(&r);
        r = http_get(t.where, "/debug/threads?format=json");
        assert_int_equal(r.status, 200);
        struct tl__json *root = tl__json_parse(r.body, r.length, NULL, 0);
        assert_non_null(root);
        tl__json_free(root);
        http_reply_free(&r);
    }
    struct http_reply r = http_get(t.where, "/metrics");
    long created = 0;
    const char *at = strstr(r.body, "\nthreadleak_threads_created_total ");
    if (at)
        created = strtol(at + strlen("\nthreadleak_threads_created_total "), NULL, 10);
    print_message("# churn: %ld threads created during 40 dumps\n", created);
    assert_true(created > PROGRAM_THREADS);
    http_reply_free(&r);
    target_stop(&t);
}

/* A real server nobody here wrote: memcached -t 4 (Debian's, stripped). Its four workers must show
 * in debug=2 blocked in epoll_wait, with libevent's loop below, and named by module and offset. */
static void test_memcached_workers_in_epoll_wait(void **state)
{
    (void)state;
    if (access("/usr/bin/memcached", X_OK) != 0) {
        print_message("# SKIPPED: memcached is not installed (Debian package `memcached`)\n");
        skip();
    }
    char dir[256], socket_path[320], options[600], preload[512], err_path[320];
    target_make_dir(dir, sizeof dir);
    snprintf(socket_path, sizeof socket_path, "%s/memcached.sock", dir);
    snprintf(err_path, sizeof err_path, "%s/output.txt", dir);
    snprintf(options, sizeof options, "THREADLEAK_OPTIONS=http=127.0.0.1:0:report_dir=%s", dir);
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim_path);
    const char *env[] = {options, preload, NULL};
    /* a unix socket: no TCP port to collide with; -u only matters when run as root */
    char *argv[] = {"/usr/bin/memcached", "-u", "root", "-t", "4", "-s", socket_path, NULL};
    pid_t pid = start_program(argv, env, err_path);
    assert_true(pid > 0);
    char port_file[400];
    snprintf(port_file, sizeof port_file, "%s/threadleak.%ld.http", dir, (long)pid);
    char *where = wait_for_line_file(port_file, 15000);
    if (!where)
        fail_msg("no %s; memcached said:\n%s", port_file, slurp(err_path, NULL));

    /* the workers reach epoll_wait soon after start; give them up to 10 s on a loaded machine */
    struct http_reply r = {0};
    for (int tries = 0; tries < 100; tries++) {
        http_reply_free(&r);
        r = http_get(where, "/debug/threads?debug=2");
        assert_int_equal(r.status, 200);
        if (count_of(r.body, "\"mc-worker\" [epoll_wait fd ") == 4)
            break;
        usleep(100000);
    }
    const char *worker_in_epoll =
        "^thread [0-9]+ \"mc-worker\" \\[epoll_wait fd [0-9]+, [^]]+\\]:\n"
        "epoll_wait\\(\\.\\.\\.\\)\n[^\n]*\n"
        "(\\?\\?|[a-z_]+)\\(\\.\\.\\.\\)\n\t[^\n]*libevent";
    if (count_of(r.body, "\"mc-worker\" [epoll_wait fd ") != 4 || !matches(worker_in_epoll, r.body))
        fail_msg("memcached's workers are not all in epoll_wait:\n%s", r.body);
    http_reply_free(&r);

    r = http_get(where, "/metrics");
    assert_int_equal(r.status, 200);
    assert_true(matches(
        "^threadleak_threads_by_start_routine\\{start_routine=\"memcached\\+0x[0-9a-f]+\"\\} 4$",
        r.body));
    http_reply_free(&r);
    free(where);
    kill(pid, SIGKILL); /* its exit report is not what this test is about */
    wait_exit(pid, 30000);
    target_remove_dir(dir);
}

/* main calls pthread_exit: the process ends when its last thread does, although the services
 * and server threads are still there. */
static void test_main_pthread_exit_still_ends(void **state)
{
    (void)state;
    struct target t = target_start(shim_path, prog_path, "main_exits", "0", "127.0.0.1:0", false);
    int status = wait_exit(t.pid, 60000);
    char *out = slurp(t.err_path, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("status %d; output:\n%s", status, out ? out : "");
    assert_non_null(strstr(out, "heartbeats=1"));
    free(out);
    char report[400];
    snprintf(report, sizeof report, "%s/threadleak.%ld.json", t.dir, (long)t.pid);
    size_t len;
    char *text = slurp(report, &len);
    assert_non_null(text); /* the exit report ran */
    struct tl__json *root = tl__json_parse(text, len, NULL, 0);
    assert_non_null(root);
    assert_int_equal(tl__json_length(tl__json_get(root, "leaks")), 0);
    tl__json_free(root);
    free(text);
    target_remove_dir(t.dir);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SHIM PROGRAM ARTIFACTS_DIR\n", argv[0]);
        return 2;
    }
    shim_path = argv[1];
    prog_path = argv[2];
    artifacts_dir = argv[3];
    const struct CMUnitTest routes[] = {
        cmocka_unit_test(test_debug2),
        cmocka_unit_test(test_debug1),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_pprof),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_foreign_host_header),
        cmocka_unit_test(test_chromium_screenshot),
    };
    const struct CMUnitTest own[] = {
        cmocka_unit_test(test_non_loopback_is_refused),
        cmocka_unit_test(test_dumps_during_churn),
        cmocka_unit_test(test_main_pthread_exit_still_ends),
        cmocka_unit_test(test_memcached_workers_in_epoll_wait),
    };
    int failed = cmocka_run_group_tests_name("routes", routes, setup_shared, teardown_shared);
    failed += cmocka_run_group_tests_name("own programs", own, NULL, NULL);
    return failed;
}
