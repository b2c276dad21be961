/* Lock state in thread dumps and the /debug/locks page, end to end (docs/live-stacks.md,
 * docs/endpoint.md). lock_views_prog runs under the lock module with the endpoint: its "waiter"
 * thread holds lock_a and waits for lock_b, which its "holder" thread holds while it waits on a
 * condition variable; a "joiner" joins the waiter, a "sem_waiter" and a "barrier_waiter" wait on
 * a semaphore and a barrier. Checked:
 *  - debug=2 shows "- waiting to lock <B> (pthread_mutex_t) held by thread H "holder"" and
 *    "- locked <A> (pthread_mutex_t) at lock_views_prog.c:LINE" under the right threads, and the
 *    other waits: "- waiting on <C> (pthread_cond_t), with <G> released", "- waiting to join
 *    <W> (pthread_t): thread W "waiter"", "- waiting on <S> (sem_t)" and the barrier's;
 *  - the threads JSON has the same as holds and waits_for; /debug/locks, text and JSON, names
 *    holder, waiter, both locks and the edge A -> B;
 *  - fetching all of it changes nothing the threads see: the same return values, errno, and no
 *    early wake-up of the condition wait, as a run nobody fetched from and a run under the plain
 *    shim;
 *  - under the plain shim, dumps have no lock lines and JSON no lock members, and /debug/locks
 *    is a 404 that says why; the same with the lock module and locks=0;
 *  - `threadleak run --locks --timeout 1s` of the program stuck in its wait prints the lines.
 *
 * Arguments: LIBLOCKS LIBPLAIN PROGRAM SOURCES_DIR CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_reader.h"
#include "test_endpoint_http.h"
#include "test_endpoint_target.h"

static const char *lib_locks, *lib_plain, *prog, *sources, *cli;

struct facts {
    char lock_a[32], lock_b[32];
    int holder, waiter;
    char cond[32], gate[32], join[32], sem[32], barrier[32]; /* the other waits */
    int joiner, sem_waiter, barrier_waiter;
    int line_a, line_b_taken, line_b_waited, line_join_waited; /* lock_views_prog.c's markers */
};

static int line_of(const char *marker)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lock_views_prog.c", sources);
    char *text = slurp(path, NULL);
    assert_non_null(text);
    char *at = strstr(text, marker);
    assert_non_null(at);
    int line = 1;
    for (char *c = text; c < at; c++)
        line += *c == '\n';
    free(text);
    return line;
}

/* The addresses and tids the program printed before "ready". */
static struct facts read_facts(const struct target *t)
{
    struct facts f = {0};
    char *out = slurp(t->err_path, NULL);
    assert_non_null(out);
    const char *line = strstr(out, "lock_a=");
    assert_non_null(line);
    void *a, *b;
    assert_int_equal(
        sscanf(line, "lock_a=%p lock_b=%p holder=%d waiter=%d", &a, &b, &f.holder, &f.waiter), 4);
    snprintf(f.lock_a, sizeof f.lock_a, "%p", a);
    snprintf(f.lock_b, sizeof f.lock_b, "%p", b);
    const char *others = strstr(out, "cond=");
    if (others) {
        void *c, *g, *s, *bar;
        unsigned long j;
        assert_int_equal(sscanf(others,
                                "cond=%p gate=%p join=%lx joiner=%d sem=%p sem_waiter=%d "
                                "barrier=%p barrier_waiter=%d",
                                &c, &g, &j, &f.joiner, &s, &f.sem_waiter, &bar, &f.barrier_waiter),
                         8);
        snprintf(f.cond, sizeof f.cond, "%p", c);
        snprintf(f.gate, sizeof f.gate, "%p", g);
        snprintf(f.join, sizeof f.join, "0x%lx", j);
        snprintf(f.sem, sizeof f.sem, "%p", s);
        snprintf(f.barrier, sizeof f.barrier, "%p", bar);
    }
    free(out);
    f.line_a = line_of("LOCK_A_TAKEN");
    f.line_b_taken = line_of("LOCK_B_TAKEN");
    f.line_b_waited = line_of("LOCK_B_WAITED");
    f.line_join_waited = line_of("JOIN_WAITED");
    return f;
}

static bool has(const char *text, const char *fmt, ...)
{
    char needle[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(needle, sizeof needle, fmt, ap);
    va_end(ap);
    bool found = strstr(text, needle) != NULL;
    if (!found)
        print_message("missing: %s\n", needle);
    return found;
}

static struct http_reply fetch(const struct target *t, const char *path, int status)
{
    struct http_reply r = http_get(t->where, path);
    if (r.status != status)
        fail_msg("%s: status %d, expected %d\n%s", path, r.status, status, r.body ? r.body : "");
    return r;
}

/* The lines the threads print about their calls once released. */
static char *results(const struct target *t)
{
    char *out = slurp(t->err_path, NULL);
    assert_non_null(out);
    const char *from = strstr(out, "holder cond_wait");
    assert_non_null(from);
    const char *to = strstr(from, "heartbeats=");
    assert_non_null(to);
    char *r = strndup(from, (size_t)(to - from));
    free(out);
    return r;
}

/* Stops the target (its clean exit is checked), returning what its threads' calls returned. */
static char *stop(struct target *t)
{
    kill(t->pid, SIGTERM);
    int status = wait_exit(t->pid, 30000);
    char *r = results(t);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("status %d", status);
    target_remove_dir(t->dir);
    return r;
}

static const char expected_results[] = "holder cond_wait rc=0 errno=0 released_at_wake=1\n"
                                       "waiter mutex_lock rc=0 errno=0\n"
                                       "joiner join rc=0\n"
                                       "sem_waiter sem_wait rc=0 errno=0\n"
                                       "barrier rc=0 0\n";

static void check_debug2(const char *b, const struct facts *f)
{
    assert_true(has(b, "\t- waiting to lock <%s> (pthread_mutex_t) held by thread %d \"holder\"\n",
                    f->lock_b, f->holder));
    assert_true(has(b, "\t- locked <%s> (pthread_mutex_t) at ", f->lock_a));
    assert_true(has(b, "lock_views_prog.c:%d\n", f->line_a));
    assert_true(has(b, "\t- locked <%s> (pthread_mutex_t) at ", f->lock_b));
    assert_true(has(b, "lock_views_prog.c:%d\n", f->line_b_taken));
    /* under the right threads: the waiter's block has its wait, then the lock it holds */
    char header[64];
    snprintf(header, sizeof header, "thread %d \"waiter\"", f->waiter);
    const char *waiter = strstr(b, header);
    assert_non_null(waiter);
    const char *end = strstr(waiter, "\n\n");
    const char *wait = strstr(waiter, "\t- waiting to lock");
    const char *locked = strstr(waiter, "\t- locked");
    assert_true(wait && locked && wait < locked && locked < end);
    /* the waits that are not lock calls */
    assert_true(
        has(b, "\t- waiting on <%s> (pthread_cond_t), with <%s> released\n", f->cond, f->gate));
    assert_true(
        has(b, "\t- waiting to join <%s> (pthread_t): thread %d \"waiter\"\n", f->join, f->waiter));
    assert_true(has(b, "\t- waiting on <%s> (sem_t)\n", f->sem));
    assert_true(has(b, "\t- waiting on <%s> (pthread_barrier_t)\n", f->barrier));
}

static const struct tl__json *thread_of(const struct tl__json *threads, int tid)
{
    for (size_t i = 0; i < tl__json_length(threads); i++)
        if (tl__json_int(tl__json_get(tl__json_index(threads, i), "tid")) == tid)
            return tl__json_index(threads, i);
    fail_msg("thread %d not listed", tid);
    return NULL;
}

static const char *str(const struct tl__json *v, const char *key)
{
    const char *s = tl__json_string(tl__json_get(v, key));
    assert_non_null(s);
    return s;
}

/* holds and waits_for of the holder and the waiter, in a threads profile or the locks page. */
static void check_json_threads(const struct tl__json *threads, const struct facts *f)
{
    const struct tl__json *h = thread_of(threads, f->holder);
    assert_string_equal(str(h, "name"), "holder");
    assert_int_equal(tl__json_length(tl__json_get(h, "holds")), 1);
    const struct tl__json *hb = tl__json_index(tl__json_get(h, "holds"), 0);
    assert_string_equal(str(hb, "address"), f->lock_b);
    assert_string_equal(str(hb, "type"), "mutex");
    const struct tl__json *at = tl__json_index(tl__json_get(hb, "taken_at"), 0);
    assert_int_equal(tl__json_int(tl__json_get(at, "line")), f->line_b_taken);
    const struct tl__json *hw = tl__json_get(h, "waits_for");
    assert_string_equal(str(hw, "address"), f->cond);
    assert_string_equal(str(hw, "type"), "cond");
    assert_string_equal(str(hw, "mutex"), f->gate);
    assert_int_equal(tl__json_type(tl__json_get(hw, "held_by")), TL_JSON_NULL);

    const struct tl__json *w = thread_of(threads, f->waiter);
    assert_string_equal(str(w, "name"), "waiter");
    assert_int_equal(tl__json_length(tl__json_get(w, "holds")), 1);
    const struct tl__json *wa = tl__json_index(tl__json_get(w, "holds"), 0);
    assert_string_equal(str(wa, "address"), f->lock_a);
    at = tl__json_index(tl__json_get(wa, "taken_at"), 0);
    assert_int_equal(tl__json_int(tl__json_get(at, "line")), f->line_a);
    const struct tl__json *wf = tl__json_get(w, "waits_for");
    assert_string_equal(str(wf, "address"), f->lock_b);
    assert_string_equal(str(wf, "type"), "mutex");
    assert_int_equal(tl__json_int(tl__json_get(wf, "held_by")), f->holder);
    assert_string_equal(str(wf, "held_by_name"), "holder");
    assert_int_equal(tl__json_type(tl__json_get(wf, "mutex")), TL_JSON_NULL);
    at = tl__json_index(tl__json_get(wf, "at"), 0);
    assert_int_equal(tl__json_int(tl__json_get(at, "line")), f->line_b_waited);

    const struct tl__json *jw = tl__json_get(thread_of(threads, f->joiner), "waits_for");
    assert_string_equal(str(jw, "address"), f->join);
    assert_string_equal(str(jw, "type"), "thread");
    assert_int_equal(tl__json_int(tl__json_get(jw, "held_by")), f->waiter);
    assert_string_equal(str(jw, "held_by_name"), "waiter");
    at = tl__json_index(tl__json_get(jw, "at"), 0);
    assert_int_equal(tl__json_int(tl__json_get(at, "line")), f->line_join_waited);
    const struct tl__json *sw = tl__json_get(thread_of(threads, f->sem_waiter), "waits_for");
    assert_string_equal(str(sw, "address"), f->sem);
    assert_string_equal(str(sw, "type"), "semaphore");
    const struct tl__json *bw = tl__json_get(thread_of(threads, f->barrier_waiter), "waits_for");
    assert_string_equal(str(bw, "address"), f->barrier);
    assert_string_equal(str(bw, "type"), "barrier");
}

static struct tl__json *parse(const struct http_reply *r)
{
    char err[256];
    struct tl__json *root = tl__json_parse(r->body, r->length, err, sizeof err);
    if (!root)
        fail_msg("bad JSON: %s\n%s", err, r->body);
    return root;
}

static void check_locks_json(const struct http_reply *r, const struct facts *f)
{
    struct tl__json *root = parse(r);
    assert_string_equal(str(root, "kind"), "locks");
    check_json_threads(tl__json_get(root, "threads"), f);
    /* the waiter, the holder (on the condition), the joiner, the semaphore's and the barrier's */
    const struct tl__json *waiters = tl__json_get(root, "waiters");
    assert_int_equal(tl__json_length(waiters), 5);
    (void)thread_of(waiters, f->waiter);
    (void)thread_of(waiters, f->joiner);
    bool edge = false;
    const struct tl__json *edges = tl__json_get(root, "edges");
    for (size_t i = 0; i < tl__json_length(edges); i++) {
        const struct tl__json *e = tl__json_index(edges, i);
        edge = edge || (strcmp(str(tl__json_get(e, "from"), "address"), f->lock_a) == 0 &&
                        strcmp(str(tl__json_get(e, "to"), "address"), f->lock_b) == 0 &&
                        tl__json_int(tl__json_get(tl__json_get(e, "thread"), "tid")) == f->waiter);
    }
    assert_true(edge);
    assert_int_equal(tl__json_length(tl__json_get(root, "deadlocks")), 0);
    assert_int_equal(tl__json_length(tl__json_get(root, "lock_order")), 0);
    assert_true(tl__json_int(tl__json_get(tl__json_get(root, "lock_stats"), "edges")) >= 1);
    tl__json_free(root);
}

static void dumps_and_page_show_holder_and_waiter(void **state)
{
    (void)state;
    struct target t = target_start_env(lib_locks, prog, "wait", "0", "127.0.0.1:0", true, NULL);
    struct facts f = read_facts(&t);

    struct http_reply r = fetch(&t, "/debug/threads?debug=2", 200);
    check_debug2(r.body, &f);
    http_reply_free(&r);
    r = fetch(&t, "/debug/pprof/goroutine?debug=2", 200);
    check_debug2(r.body, &f);
    http_reply_free(&r);

    r = fetch(&t, "/debug/threads?format=json", 200);
    struct tl__json *root = parse(&r);
    check_json_threads(tl__json_get(root, "threads"), &f);
    tl__json_free(root);
    http_reply_free(&r);

    r = fetch(&t, "/debug/locks", 200);
    assert_true(has(r.body,
                    "thread %d \"waiter\" waits for <%s> (pthread_mutex_t) held by thread "
                    "%d \"holder\" at ",
                    f.waiter, f.lock_b, f.holder));
    assert_true(has(r.body, "mutex %s (write) -> mutex %s (write), first by thread %d \"waiter\"",
                    f.lock_a, f.lock_b, f.waiter));
    assert_true(has(r.body, "\t- locked <%s> (pthread_mutex_t) at ", f.lock_b));
    assert_true(has(r.body,
                    "thread %d \"joiner\" waits for <%s> (pthread_t): thread %d \"waiter\" at ",
                    f.joiner, f.join, f.waiter));
    assert_true(has(r.body, "lock_stats: locks_tracked "));
    http_reply_free(&r);

    r = fetch(&t, "/debug/locks?format=json", 200);
    check_locks_json(&r, &f);
    http_reply_free(&r);
    r = fetch(&t, "/debug/locks?format=xml", 400);
    http_reply_free(&r);

    r = fetch(&t, "/", 200);
    assert_non_null(strstr(r.body, "href=\"/debug/locks\""));
    http_reply_free(&r);

    char *seen = stop(&t);
    assert_string_equal(seen, expected_results);
    free(seen);
}

/* Taking dumps changes nothing the threads see: the same as with nobody looking, with or
 * without the lock module. */
static void fetching_leaves_the_threads_waits_alone(void **state)
{
    (void)state;
    const char *libs[] = {lib_locks, lib_plain};
    for (size_t i = 0; i < 2; i++) {
        struct target quiet = target_start_env(libs[i], prog, "wait", "0", NULL, true, NULL);
        char *alone = stop(&quiet);
        struct target busy =
            target_start_env(libs[i], prog, "wait", "0", "127.0.0.1:0", true, NULL);
        for (int k = 0; k < 5; k++) {
            struct http_reply r = http_get(busy.where, "/debug/locks");
            http_reply_free(&r);
            r = fetch(&busy, "/debug/threads?debug=2", 200);
            http_reply_free(&r);
        }
        char *looked_at = stop(&busy);
        assert_string_equal(alone, expected_results);
        assert_string_equal(looked_at, alone);
        free(alone);
        free(looked_at);
    }
}

static void without_the_module_nothing_changes(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        /* the plain shim; then the lock module with locks=0, loaded and checking nothing */
        struct target t =
            i == 0
                ? target_start_env(lib_plain, prog, "wait", "0", "127.0.0.1:0", true, NULL)
                : target_start_env(lib_locks, prog, "wait", "0", "127.0.0.1:0:locks=0", true, NULL);
        struct http_reply r = fetch(&t, "/debug/threads?debug=2", 200);
        assert_null(strstr(r.body, "\t- locked"));
        assert_null(strstr(r.body, "\t- waiting"));
        http_reply_free(&r);
        r = fetch(&t, "/debug/threads?format=json", 200);
        assert_null(strstr(r.body, "\"holds\""));
        assert_null(strstr(r.body, "\"waits_for\""));
        http_reply_free(&r);
        r = fetch(&t, "/debug/locks", 404);
        assert_non_null(strstr(r.body, "lock module not loaded"));
        http_reply_free(&r);
        r = fetch(&t, "/", 200);
        assert_null(strstr(r.body, "/debug/locks"));
        http_reply_free(&r);
        char *seen = stop(&t);
        assert_string_equal(seen, expected_results);
        free(seen);
    }
}

/* A holder asleep in usleep is not interrupted by the dump and cannot copy its locks; its waiter
 * names it as the holder of lock_b, and the dump says so, and who told. */
static void a_holder_not_interrupted_is_known_from_its_waiter(void **state)
{
    (void)state;
    struct target t = target_start_env(lib_locks, prog, "asleep", "0", "127.0.0.1:0", true, NULL);
    struct facts f = read_facts(&t);
    struct http_reply r = fetch(&t, "/debug/threads?debug=2", 200);
    assert_true(has(r.body,
                    "\t- locked <%s> (pthread_mutex_t) (known from thread %d, which waits "
                    "for it)\n",
                    f.lock_b, f.waiter));
    assert_true(has(r.body,
                    "\t- waiting to lock <%s> (pthread_mutex_t) held by thread %d \"holder\"\n",
                    f.lock_b, f.holder));
    http_reply_free(&r);
    r = fetch(&t, "/debug/locks?format=json", 200);
    struct tl__json *root = parse(&r);
    const struct tl__json *h = thread_of(tl__json_get(root, "threads"), f.holder);
    const struct tl__json *held = tl__json_index(tl__json_get(h, "holds"), 0);
    assert_string_equal(str(held, "address"), f.lock_b);
    assert_int_equal(tl__json_int(tl__json_get(held, "known_from")), f.waiter);
    tl__json_free(root);
    http_reply_free(&r);
    kill(t.pid, SIGTERM);
    int status = wait_exit(t.pid, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *out = slurp(t.err_path, NULL);
    assert_non_null(strstr(out, "asleep: done\n"));
    free(out);
    target_remove_dir(t.dir);
}

static void timeout_dump_shows_the_wait(void **state)
{
    (void)state;
    char dir[256], out[400], command[4096];
    target_make_dir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/run.txt", dir);
    snprintf(command, sizeof command,
             "env ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 THREADLEAK_SHIM='%s' %s "
             "run --locks --timeout 1s -- %s stuck >'%s' 2>&1",
             lib_plain, cli, prog, out);
    int status = system(command);
    char *text = slurp(out, NULL);
    assert_non_null(text);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 124)
        fail_msg("status %d\n%s", status, text);
    const char *line = strstr(text, "lock_a=");
    assert_non_null(line);
    void *a, *b;
    int holder, waiter;
    assert_int_equal(
        sscanf(line, "lock_a=%p lock_b=%p holder=%d waiter=%d", &a, &b, &holder, &waiter), 4);
    assert_true(has(text, "\t- waiting to lock <%p> (pthread_mutex_t) held by thread %d \"holder\"",
                    b, holder));
    assert_true(has(text, "\t- locked <%p> (pthread_mutex_t) at ", a));
    assert_true(has(text, "lock_views_prog.c:%d\n", line_of("LOCK_A_TAKEN")));
    free(text);
    target_remove_dir(dir);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s LIBLOCKS LIBPLAIN PROGRAM SOURCES CLI\n", argv[0]);
        return 2;
    }
    lib_locks = argv[1];
    lib_plain = argv[2];
    prog = argv[3];
    sources = argv[4];
    cli = argv[5];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dumps_and_page_show_holder_and_waiter),
        cmocka_unit_test(fetching_leaves_the_threads_waits_alone),
        cmocka_unit_test(without_the_module_nothing_changes),
        cmocka_unit_test(a_holder_not_interrupted_is_known_from_its_waiter),
        cmocka_unit_test(timeout_dump_shows_the_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
