/* The default suppressions: which start routines each entry takes (the runtimes' own threads, as
 * seen on OpenJDK 17 and node 20) and which it must leave alone (the user's threads), and how a
 * check counts what they took apart from the user's own rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check.h"
#include "default_suppressions.h"
#include "registry.h"

#include <string.h>

static int match(const char *function, const char *file, const char *module)
{
    struct tl__frame start = {.function = function, .file = file, .module = module};
    return default_suppressions_match(&start);
}

static const char *runtime_of(int entry)
{
    assert_true(entry >= 0 && (size_t)entry < tl__default_suppression_count);
    return tl__default_suppressions[entry].runtime;
}

/* Start routines as the symboliser gives them for the runtimes' own threads. */
static void runtimes_own_threads_match(void **state)
{
    (void)state;
    assert_string_equal(
        runtime_of(match("thread_native_entry(Thread*)", NULL,
                         "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so")),
        "JVM");
    /* A stripped libjvm: no name, but the module still says whose thread it is. */
    assert_string_equal(
        runtime_of(match("??", NULL, "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so")),
        "JVM");
    assert_string_equal(
        runtime_of(match("ThreadJavaMain", NULL, "/usr/lib/jvm/java-17/lib/libjli.so")), "JVM");
    assert_string_equal(
        runtime_of(match("node::inspector::(anonymous namespace)::StartIoThreadMain(void*)", NULL,
                         "/usr/bin/node")),
        "node");
    assert_string_equal(runtime_of(match("worker", "../deps/uv/src/threadpool.c", "/usr/bin/node")),
                        "node");
}

/* The user's threads: their start routines are in the user's code, whatever they are called. */
static void users_threads_do_not_match(void **state)
{
    (void)state;
    assert_int_equal(match("reader", "/src/app.c", "/opt/app/bin/server"), -1);
    /* A JNI library's own pthread, created while a Java method runs. */
    assert_int_equal(match("native_poller", "poller.c", "/opt/app/lib/libpoller.so"), -1);
    /* A user's thread pool, with libuv's names. */
    assert_int_equal(match("worker", "/src/threadpool.c", "/opt/app/bin/server"), -1);
    assert_int_equal(match("worker", NULL, "/usr/lib/x86_64-linux-gnu/libuv.so.1"), -1);
    /* A node addon's thread: the module is the addon, not node. */
    assert_int_equal(match("addon_thread", "addon.cc", "/app/build/Release/addon.node"), -1);
    /* Names that merely contain a runtime's module name. */
    assert_int_equal(match("load_libjvm.so_later", NULL, "/opt/app/bin/launcher"), -1);
    assert_int_equal(match("??", NULL, "/opt/libjvm.so.backup"), -1);
    assert_int_equal(match("??", NULL, NULL), -1);
    assert_int_equal(match(NULL, NULL, NULL), -1);
}

/* The JVM's exit_holding_lock, as `java -version` under the lock module shows it: the VM thread
 * ends holding the mutex it took in HotSpot's Mutex::lock(). Only that kind, only taken there. */
static void jvm_exit_holding_lock_is_taken_and_nothing_else(void **state)
{
    (void)state;
    const char *libjvm = "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so";
    struct tl__frame jvm[] = {{.pc = 0x1000, .function = "Mutex::lock()", .module = libjvm}};
    int hit = default_lock_suppressions_match("exit_holding_lock", jvm, 1);
    assert_true(hit >= 0 && (size_t)hit < tl__default_lock_suppression_count);
    assert_string_equal(tl__default_lock_suppressions[hit].runtime, "JVM");
    assert_string_equal(tl__default_lock_suppressions[hit].kind, "exit_holding_lock");
    assert_non_null(tl__default_lock_suppressions[hit].reason);
    /* A stripped libjvm: the module still says whose lock it is. */
    jvm[0].function = "??";
    assert_int_equal(default_lock_suppressions_match("exit_holding_lock", jvm, 1), hit);
    /* Other misuse in libjvm is still reported. */
    assert_int_equal(default_lock_suppressions_match("unlock_not_owner", jvm, 1), -1);
    assert_int_equal(default_lock_suppressions_match("destroy_locked", jvm, 1), -1);
    /* A JNI library's thread that ends holding its own lock, called from Java. */
    struct tl__frame jni[] = {
        {.pc = 0x2000, .function = "poller_lock", .module = "/opt/app/lib/libpoller.so"},
        {.pc = 0x3000, .function = "JavaCalls::call_helper", .module = libjvm},
    };
    assert_int_equal(default_lock_suppressions_match("exit_holding_lock", jni, 2), -1);
    /* A lock taken in libjvm code inlined into the user's: the call site is the user's. */
    struct tl__frame mixed[] = {
        {.pc = 0x4000, .function = "user_lock", .module = "/opt/app/bin/server", .inlined = true},
        {.pc = 0x4000, .function = "user_caller", .module = "/opt/app/bin/server"},
        {.pc = 0x5000, .function = "Mutex::lock()", .module = libjvm},
    };
    assert_int_equal(default_lock_suppressions_match("exit_holding_lock", mixed, 3), -1);
    assert_int_equal(default_lock_suppressions_match("exit_holding_lock", NULL, 0), -1);
    assert_int_equal(default_lock_suppressions_match(NULL, jvm, 1), -1);
}

/* Every entry is documented: a runtime, a pattern and a reason. */
static void every_entry_has_a_reason(void **state)
{
    (void)state;
    assert_true(tl__default_suppression_count > 0);
    assert_true(tl__default_suppression_count <= TL_DEFAULT_SUPPRESSIONS_MAX);
    for (size_t i = 0; i < tl__default_suppression_count; i++) {
        assert_true(strlen(tl__default_suppressions[i].runtime) > 0);
        assert_true(strlen(tl__default_suppressions[i].pattern) > 0);
        assert_true(strlen(tl__default_suppressions[i].reason) > 20);
    }
}

static void request_has_them_first_unless_turned_off(void **state)
{
    (void)state;
    struct tl__config cfg;
    options_defaults(&cfg);
    assert_true(cfg.default_suppressions);
    struct tl__check_request req;
    check_request_init(&req, &cfg, 0);
    assert_int_equal(req.nfilters, 1);
    assert_int_equal(req.default_filter, 0);
    assert_string_equal(req.filters[0].name, "default suppressions");
    check_request_fini(&req);

    cfg.default_suppressions = false;
    check_request_init(&req, &cfg, 0);
    assert_int_equal(req.nfilters, 0);
    assert_int_equal(req.default_filter, -1);
    check_request_fini(&req);
}

/* Finished, never joined: a leak in both modes, and nothing to wait for. */
static struct tl__thread_record *finished_unjoined(uintptr_t n)
{
    struct tl__thread_record *r = registry_new_record();
    assert_non_null(r);
    registry_publish(r, (pthread_t)(0x7e0000000000u + n * 0x801000u));
    registry_release_creator_hold(r);
    registry_thread_started(r, (pid_t)(5000 + n));
    registry_thread_exited(r, NULL);
    return r;
}

/* Stands in for the default filter: threads 5001 and 5002 are the "JVM"'s (entry 0), as if their
 * start routines were in libjvm. */
static bool fake_runtime_threads(const struct tl__thread_info *t, void *ctx)
{
    if (t->tid != 5001 && t->tid != 5002)
        return false;
    ((struct tl__default_hits *)ctx)->threads[0]++;
    return true;
}

static bool user_rule(const struct tl__thread_info *t, void *ctx)
{
    (void)ctx;
    return t->tid == 5003;
}

/* The pipeline counts the default suppressions apart: suppressed is the user's rules only, and
 * each run names the entries that took threads in that run. */
static void check_counts_them_apart(void **state)
{
    (void)state;
    struct tl__thread_record *r[4];
    for (uintptr_t i = 0; i < 4; i++)
        r[i] = finished_unjoined(i + 1);
    struct tl__config cfg;
    options_defaults(&cfg);
    cfg.linger_ms = 0;
    struct tl__check_request req;
    check_request_init(&req, &cfg, 0);
    req.filters[req.default_filter].ignores = fake_runtime_threads;
    check_add_filter(&req, "user", user_rule, NULL);
    for (int run = 0; run < 2; run++) {
        struct tl__check_result result;
        check_run(&req, &result);
        assert_non_null(result.findings);
        assert_int_equal(result.findings->leaked, 1);
        assert_int_equal(result.findings->suppressed, 1);
        assert_int_equal(result.findings->suppressed_by_default, 2);
        assert_int_equal(result.findings->ndefault_hits, 1);
        assert_int_equal(result.findings->default_hits[0].threads, 2);
        assert_string_equal(result.findings->default_hits[0].runtime,
                            tl__default_suppressions[0].runtime);
        assert_string_equal(result.findings->default_hits[0].pattern,
                            tl__default_suppressions[0].pattern);
        findings_free(result.findings);
    }
    check_request_fini(&req);
    for (size_t i = 0; i < 4; i++)
        registry_thread_joined(r[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runtimes_own_threads_match),
        cmocka_unit_test(users_threads_do_not_match),
        cmocka_unit_test(jvm_exit_holding_lock_is_taken_and_nothing_else),
        cmocka_unit_test(every_entry_has_a_reason),
        cmocka_unit_test(request_has_them_first_unless_turned_off),
        cmocka_unit_test(check_counts_them_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
