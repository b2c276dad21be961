/* The lock lines of thread dumps and the /debug/locks page's writers (thread_locks_text.c,
 * thread_locks_json.c, lock_page_text.c, lock_page_json.c), on the renderers' fixture profile
 * with locks given to two of its workers:
 *   worker 4001 holds an rwlock for reading (taken at locks.c:31) and waits for mutex 0x1000,
 *   which worker 4002 holds (taken at locks.c:40);
 * and on a page with one order edge and known counters. Without lock state (the plain shim),
 * debug=2 and the JSON are exactly what they were. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_reader.h"
#include "lock_page.h"
#include "lock_page_model.h"
#include "profile_fixture.h"
#include "profile_json.h"
#include "profile_text.h"
#include "thread_locks.h"
#include "thread_profile_store.h"

#define MUTEX_ADDR  0x1000u
#define RWLOCK_ADDR 0x2000u
#define HOLDER_TID  (FIXTURE_WORKER_TID + 1)

static uint32_t site(struct thread_profile *p, uintptr_t pc, int line)
{
    struct tl__frame f = {.pc = pc,
                          .function = "take_locks",
                          .file = "/src/locks.c",
                          .line = line,
                          .module = "/bin/server"};
    struct tl__location loc = {.pc = pc, .return_address = true, .frames = &f, .nframes = 1};
    uint32_t id = thread_profile_add_location(p, &loc);
    assert_int_not_equal(id, THREAD_PROFILE_NO_LOCATION);
    return id;
}

static struct thread_profile_thread *thread_of(struct thread_profile *p, pid_t tid)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->threads[i].tid == tid)
            return &p->threads[i];
    fail_msg("no thread %d", (int)tid);
    return NULL;
}

/* The state the profile points to: static, as the renderers only read it. */
static struct thread_profile_lock waiter_held[1], holder_held[1];
static struct thread_profile_locks waiter_locks, holder_locks;

static void give_locks(struct thread_profile *p)
{
    waiter_held[0] = (struct thread_profile_lock){RWLOCK_ADDR, TL_THREAD_LOCK_RWLOCK, true,
                                                  site(p, 0x5001, 31), 0};
    waiter_locks = (struct thread_profile_locks){
        .nheld = 1,
        .held = waiter_held,
        .waiting = true,
        .waits_for = {MUTEX_ADDR, TL_THREAD_LOCK_MUTEX, false, site(p, 0x5002, 32), 0},
        .waits_for_owner = HOLDER_TID,
    };
    holder_held[0] = (struct thread_profile_lock){MUTEX_ADDR, TL_THREAD_LOCK_MUTEX, false,
                                                  site(p, 0x5003, 40), 0};
    holder_locks = (struct thread_profile_locks){.nheld = 1, .held = holder_held};
    thread_of(p, FIXTURE_WORKER_TID)->locks = &waiter_locks;
    thread_of(p, HOLDER_TID)->locks = &holder_locks;
    p->locks_module = true;
}

static struct tl__json *parse(const char *text);
static const struct tl__json *json_thread(const struct tl__json *threads, pid_t tid);

static char *render(int (*writer)(FILE *, const struct thread_profile *),
                    const struct thread_profile *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(writer(out, p), 0);
    assert_int_equal(fclose(out), 0);
    return text;
}

/* The block of thread tid in a debug=2 text, up to its blank line. */
static char *block_of(const char *text, pid_t tid)
{
    char head[32];
    snprintf(head, sizeof head, "\nthread %d ", (int)tid); /* at a line's start */
    const char *at = strstr(text, head);
    assert_non_null(at);
    at++;
    const char *end = strstr(at, "\n\n");
    assert_non_null(end);
    return strndup(at, (size_t)(end - at + 1));
}

static void debug2_shows_wait_then_held_locks(void **state)
{
    (void)state;
    struct thread_profile p;
    fixture_profile(&p);
    give_locks(&p);
    char *text = render(profile_write_debug2, &p);
    char *waiter = block_of(text, FIXTURE_WORKER_TID);
    const char *lines = "\t- waiting to lock <0x1000> (pthread_mutex_t) held by thread 4002 "
                        "\"worker\"\n"
                        "\t- locked <0x2000> (pthread_rwlock_t, read) at /src/locks.c:31\n"
                        "created by ";
    if (!strstr(waiter, lines))
        fail_msg("no lock lines in:\n%s", waiter);
    char *holder = block_of(text, HOLDER_TID);
    assert_non_null(strstr(holder, "\n\t- locked <0x1000> (pthread_mutex_t) at /src/locks.c:40\n"));
    assert_null(strstr(holder, "waiting to lock"));
    char *other = block_of(text, FIXTURE_WORKER_TID + 2);
    assert_null(strstr(other, "\t- "));
    free(waiter);
    free(holder);
    free(other);
    free(text);
    thread_profile_free(&p);
}

static void debug2_names_an_unknown_owner_by_tid_and_counts_overflow(void **state)
{
    (void)state;
    struct thread_profile p;
    fixture_profile(&p);
    give_locks(&p);
    waiter_locks.waits_for_owner = 99999; /* not in the profile */
    waiter_locks.waits_for.type = TL_THREAD_LOCK_C11;
    waiter_locks.overflow = 3;
    char *text = render(profile_write_debug2, &p);
    assert_non_null(strstr(text, "\t- waiting to lock <0x1000> (mtx_t) held by thread 99999\n"));
    assert_non_null(
        strstr(text, "\t- and 3 more locked, not listed (more than 16 held at once)\n"));
    free(text);
    thread_profile_free(&p);
}

/* The waits that are not lock calls, in jstack's words: a join names the joined thread (not as
 * a holder), a condition wait its released mutex, and the JSON says the same. */
static void debug2_and_json_show_a_join_and_a_condition_wait(void **state)
{
    (void)state;
    struct thread_profile p;
    fixture_profile(&p);
    give_locks(&p);
    waiter_locks.waits_for =
        (struct thread_profile_lock){0x7000, TL_THREAD_LOCK_THREAD, false, site(&p, 0x5004, 50), 0};
    char *text = render(profile_write_debug2, &p);
    if (!strstr(text, "\t- waiting to join <0x7000> (pthread_t): thread 4002 \"worker\"\n"))
        fail_msg("no join line in:\n%s", text);
    assert_null(strstr(text, "held by thread 4002"));
    free(text);

    waiter_locks.waits_for.address = 0x3000;
    waiter_locks.waits_for.type = TL_THREAD_LOCK_COND;
    waiter_locks.waits_for_owner = 0;
    waiter_locks.waits_for_mutex = MUTEX_ADDR;
    text = render(profile_write_debug2, &p);
    if (!strstr(text, "\t- waiting on <0x3000> (pthread_cond_t), with <0x1000> released\n"))
        fail_msg("no condition line in:\n%s", text);
    free(text);
    text = render(profile_write_json, &p);
    struct tl__json *root = parse(text);
    const struct tl__json *w =
        tl__json_get(json_thread(tl__json_get(root, "threads"), FIXTURE_WORKER_TID), "waits_for");
    assert_string_equal(tl__json_string(tl__json_get(w, "type")), "cond");
    assert_string_equal(tl__json_string(tl__json_get(w, "mutex")), "0x1000");
    assert_int_equal(tl__json_type(tl__json_get(w, "held_by")), TL_JSON_NULL);
    tl__json_free(root);
    free(text);
    thread_profile_free(&p);
}

/* A holder the dump did not interrupt: what its waiter says it holds, and who said so. */
static void holder_known_from_its_waiter(void **state)
{
    (void)state;
    struct thread_profile p;
    fixture_profile(&p);
    give_locks(&p);
    holder_held[0].location = THREAD_PROFILE_NO_LOCATION;
    holder_held[0].known_from = FIXTURE_WORKER_TID;
    holder_locks.from_waiters = true;
    char *text = render(profile_write_debug2, &p);
    char *holder = block_of(text, HOLDER_TID);
    const char *line = "\n\t- locked <0x1000> (pthread_mutex_t) (known from thread 4001, which "
                       "waits for it)\n";
    if (!strstr(holder, line))
        fail_msg("no line%sin:\n%s", line, holder);
    char *json = render(profile_write_json, &p);
    struct tl__json *root = parse(json);
    const struct tl__json *h = tl__json_index(
        tl__json_get(json_thread(tl__json_get(root, "threads"), HOLDER_TID), "holds"), 0);
    assert_int_equal(tl__json_int(tl__json_get(h, "known_from")), FIXTURE_WORKER_TID);
    assert_int_equal(tl__json_length(tl__json_get(h, "taken_at")), 0);
    tl__json_free(root);
    free(json);
    free(holder);
    free(text);
    thread_profile_free(&p);
}

/* The plain shim: no thread has lock state; debug=2 and JSON are what they were, byte for byte,
 * whether or not the profile says the lock module answered. */
static void without_lock_state_nothing_changes(void **state)
{
    (void)state;
    struct thread_profile p;
    fixture_profile(&p);
    char *text_before = render(profile_write_debug2, &p);
    char *json_before = render(profile_write_json, &p);
    char *debug1_before = render(profile_write_debug1, &p);
    assert_null(strstr(text_before, "\t- "));
    assert_null(strstr(json_before, "\"holds\""));
    p.locks_module = true; /* answered for no thread this time: nothing to show in text */
    char *text_after = render(profile_write_debug2, &p);
    char *debug1_after = render(profile_write_debug1, &p);
    assert_string_equal(text_after, text_before);
    assert_string_equal(debug1_after, debug1_before);
    free(text_before);
    free(text_after);
    free(json_before);
    free(debug1_before);
    free(debug1_after);
    thread_profile_free(&p);
}

static struct tl__json *parse(const char *text)
{
    char err[256];
    struct tl__json *root = tl__json_parse(text, strlen(text), err, sizeof err);
    if (!root)
        fail_msg("bad JSON (%s):\n%s", err, text);
    return root;
}

static const struct tl__json *json_thread(const struct tl__json *threads, pid_t tid)
{
    for (size_t i = 0; i < tl__json_length(threads); i++)
        if (tl__json_int(tl__json_get(tl__json_index(threads, i), "tid")) == tid)
            return tl__json_index(threads, i);
    fail_msg("no thread %d in the JSON", (int)tid);
    return NULL;
}

static void check_waiter_json(const struct tl__json *w)
{
    const struct tl__json *holds = tl__json_get(w, "holds");
    assert_int_equal(tl__json_length(holds), 1);
    const struct tl__json *h = tl__json_index(holds, 0);
    assert_string_equal(tl__json_string(tl__json_get(h, "address")), "0x2000");
    assert_string_equal(tl__json_string(tl__json_get(h, "type")), "rwlock");
    assert_string_equal(tl__json_string(tl__json_get(h, "mode")), "read");
    const struct tl__json *at = tl__json_index(tl__json_get(h, "taken_at"), 0);
    assert_string_equal(tl__json_string(tl__json_get(at, "file")), "/src/locks.c");
    assert_int_equal(tl__json_int(tl__json_get(at, "line")), 31);
    const struct tl__json *wf = tl__json_get(w, "waits_for");
    assert_string_equal(tl__json_string(tl__json_get(wf, "address")), "0x1000");
    assert_string_equal(tl__json_string(tl__json_get(wf, "type")), "mutex");
    assert_string_equal(tl__json_string(tl__json_get(wf, "mode")), "write");
    assert_int_equal(tl__json_int(tl__json_get(wf, "held_by")), HOLDER_TID);
    assert_string_equal(tl__json_string(tl__json_get(wf, "held_by_name")), "worker");
    assert_int_equal(tl__json_int(tl__json_get(tl__json_index(tl__json_get(wf, "at"), 0), "line")),
                     32);
    assert_int_equal(tl__json_type(tl__json_get(h, "known_from")), TL_JSON_NULL);
}

static void json_has_holds_and_waits_for(void **state)
{
    (void)state;
    struct thread_profile p;
    fixture_profile(&p);
    give_locks(&p);
    char *text = render(profile_write_json, &p);
    struct tl__json *root = parse(text);
    const struct tl__json *threads = tl__json_get(root, "threads");
    check_waiter_json(json_thread(threads, FIXTURE_WORKER_TID));
    const struct tl__json *h = json_thread(threads, HOLDER_TID);
    assert_int_equal(tl__json_length(tl__json_get(h, "holds")), 1);
    assert_int_equal(tl__json_type(tl__json_get(h, "waits_for")), TL_JSON_NULL);
    /* a thread the dump did not interrupt: unknown, not "none" */
    const struct tl__json *u = json_thread(threads, FIXTURE_UNTRACKED);
    assert_int_equal(tl__json_type(tl__json_get(u, "holds")), TL_JSON_NULL);
    assert_int_equal(tl__json_type(tl__json_get(u, "waits_for")), TL_JSON_NULL);
    tl__json_free(root);
    free(text);
    thread_profile_free(&p);
}

/* ---- the /debug/locks page ---- */

static struct tl__frame edge_frames[2] = {
    {.pc = 0x6001, .function = "take_a", .file = "/src/locks.c", .line = 31},
    {.pc = 0x6002, .function = "take_b", .file = "/src/locks.c", .line = 32},
};

static void build_page(struct tl__lock_page *page, struct tl__lock_findings *f,
                       struct tl__lock_order_edge *e)
{
    memset(page, 0, sizeof *page);
    fixture_profile(&page->profile);
    give_locks(&page->profile);
    *f = (struct tl__lock_findings){.locks_tracked = 7, .edges = 1, .cycles_dissolved = 2};
    *e = (struct tl__lock_order_edge){
        .from = {RWLOCK_ADDR, "rwlock"},
        .to = {MUTEX_ADDR, "mutex"},
        .held_as = "read",
        .acquired_as = "write",
        .thread = {.tid = FIXTURE_WORKER_TID, .name = "worker"},
        .held_at = {&edge_frames[0], 1},
        .acquired_at = {&edge_frames[1], 1},
    };
    page->findings = f;
    page->edges = e;
    page->nedges = 1;
    page->edges_total = 3; /* two more than listed */
}

static char *render_page(int (*writer)(FILE *, const struct tl__lock_page *),
                         const struct tl__lock_page *page)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(writer(out, page), 0);
    assert_int_equal(fclose(out), 0);
    return text;
}

static void page_text_lists_threads_waiters_edges_and_counters(void **state)
{
    (void)state;
    struct tl__lock_page page;
    struct tl__lock_findings f;
    struct tl__lock_order_edge e;
    build_page(&page, &f, &e);
    char *text = render_page(lock_page_write_text, &page);
    static const char *const expected[] = {
        "threadleak locks: pid 4000, 8 threads; 0 deadlocks, 0 lock-order cycles, 0 misuse\n",
        "held locks and waits, by thread:\nthread 4001 \"worker\" [",
        "]:\n\t- waiting to lock <0x1000> (pthread_mutex_t) held by thread 4002 \"worker\"\n"
        "\t- locked <0x2000> (pthread_rwlock_t, read) at /src/locks.c:31\nthread 4002 \"worker\" [",
        "]:\n\t- locked <0x1000> (pthread_mutex_t) at /src/locks.c:40\n(",
        "\nwaiters:\nthread 4001 \"worker\" waits for <0x1000> (pthread_mutex_t) held by thread "
        "4002 \"worker\" at /src/locks.c:32\n",
        "\nlock-order graph: 3 edges (H -> L: L taken while H held)\n"
        "rwlock 0x2000 (read) -> mutex 0x1000 (write), first by thread 4001 \"worker\": held at "
        "/src/locks.c:31, taken at /src/locks.c:32\n(2 more not listed)\n",
        "\ndeadlocks, lock-order cycles and misuse found so far:\n(none)\n",
        "\nlock_stats: locks_tracked 7, locks_not_tracked 0, edges 1, edges_not_tracked 0, "
        "cycles_not_recorded 0, events_dropped 0, cycles_dissolved 2\n",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (!strstr(text, expected[i]))
            fail_msg("missing\n%s\nin\n%s", expected[i], text);
    /* threads whose locks are unknown: every live one but the two (the exited one is not) */
    assert_non_null(strstr(text, "(5 threads were not interrupted by the dump"));
    free(text);
    thread_profile_free(&page.profile);
}

static void page_json_parses_with_every_member(void **state)
{
    (void)state;
    struct tl__lock_page page;
    struct tl__lock_findings f;
    struct tl__lock_order_edge e;
    build_page(&page, &f, &e);
    char *text = render_page(lock_page_write_json, &page);
    struct tl__json *root = parse(text);
    assert_string_equal(tl__json_string(tl__json_get(root, "kind")), "locks");
    assert_int_equal(tl__json_int(tl__json_get(root, "pid")), FIXTURE_PID);
    const struct tl__json *threads = tl__json_get(root, "threads");
    assert_int_equal(tl__json_length(threads), 2);
    check_waiter_json(json_thread(threads, FIXTURE_WORKER_TID));
    assert_int_equal(tl__json_int(tl__json_get(root, "threads_unknown")), 5);
    const struct tl__json *waiters = tl__json_get(root, "waiters");
    assert_int_equal(tl__json_length(waiters), 1);
    check_waiter_json(tl__json_index(waiters, 0));
    assert_int_equal(tl__json_int(tl__json_get(root, "edges_total")), 3);
    const struct tl__json *edge = tl__json_index(tl__json_get(root, "edges"), 0);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_get(edge, "from"), "address")),
                        "0x2000");
    assert_string_equal(tl__json_string(tl__json_get(tl__json_get(edge, "to"), "type")), "mutex");
    assert_string_equal(tl__json_string(tl__json_get(edge, "held_as")), "read");
    assert_int_equal(
        tl__json_int(tl__json_get(tl__json_index(tl__json_get(edge, "acquired_at"), 0), "line")),
        32);
    assert_int_equal(tl__json_length(tl__json_get(root, "deadlocks")), 0);
    assert_int_equal(tl__json_length(tl__json_get(root, "lock_order")), 0);
    assert_int_equal(tl__json_length(tl__json_get(root, "misuse")), 0);
    const struct tl__json *stats = tl__json_get(root, "lock_stats");
    assert_int_equal(tl__json_int(tl__json_get(stats, "locks_tracked")), 7);
    assert_int_equal(tl__json_int(tl__json_get(stats, "cycles_dissolved")), 2);
    tl__json_free(root);
    free(text);
    thread_profile_free(&page.profile);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(debug2_shows_wait_then_held_locks),
        cmocka_unit_test(debug2_names_an_unknown_owner_by_tid_and_counts_overflow),
        cmocka_unit_test(debug2_and_json_show_a_join_and_a_condition_wait),
        cmocka_unit_test(holder_known_from_its_waiter),
        cmocka_unit_test(without_lock_state_nothing_changes),
        cmocka_unit_test(json_has_holds_and_waits_for),
        cmocka_unit_test(page_text_lists_threads_waiters_edges_and_counters),
        cmocka_unit_test(page_json_parses_with_every_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
