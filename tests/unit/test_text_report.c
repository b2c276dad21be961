/* The human report: the exact lines for a hand-built findings, colour only on request (and
 * nothing but colour), sanitised names, long thread lists, no leaks, and the atomic file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live_stacks.h"
#include "text_report.h"

/* ---- fixture ---- */

static struct tl__frame creation_a[] = {
    {0x55d4c1a2b3c4, "start_workers", "/src/server.c", 42, "/opt/bin/server", true},
    {0x55d4c1a2b400, "main", "server.c", 0, NULL, false},
    {0x55d4c1a2b500, NULL, NULL, 0, NULL, false},
};
static struct tl__frame current_a[] = {
    {0x7f0000001000, "pthread_cond_wait", NULL, 0, "/lib/x86_64-linux-gnu/libc.so.6", false},
};
static struct tl__frame creation_b[] = {
    {0x1000, "spawn_helper", "helper.c", 7, "/opt/bin/server", false},
};

static struct tl__leaked_thread threads_a[] = {
    {.tid = 4243, .name = "work\"er\n1", .cancelled = true, .wait = "futex wait (condition)"},
    {.tid = 4244, .name = "\x1b[31mevil\x7f", .wait = "read (pipe)"},
    {.tid = 4246, .name = "", .wait = "futex wait (condition)"},
};
static struct tl__leaked_thread threads_b[] = {
    {.tid = 4245, .name = "helper"},
};

static char *argv_fixture[] = {"./server", "--selftest", NULL};

static struct tl__leak_group groups_fixture[] = {
    {
        .count = 3,
        .state = TL_LEAK_RUNNING,
        .start_routine = "worker_loop",
        .scope = "test_foo",
        .creator_tid = 4242,
        .creator_is_main = true,
        .creator_name = "server",
        .creation_stack = creation_a,
        .creation_depth = 3,
        .site = &creation_a[0],
        .current_stack = current_a,
        .current_depth = 1,
        .threads = threads_a,
    },
    {
        .count = 1,
        .state = TL_LEAK_EXITED,
        .c11 = true,
        .start_routine = "helper_main",
        .creator_tid = 4243,
        .creator_name = "worker-1",
        .creation_stack = creation_b,
        .creation_depth = 1,
        .threads = threads_b,
    },
};

static struct tl__findings findings_fixture(void)
{
    return (struct tl__findings){
        .pid = 4242,
        .ppid = 1,
        .exe = "/opt/bin/server",
        .argv = argv_fixture,
        .mode = "all",
        .threads_created = 5,
        .leaked = 4,
        .suppressed = 0,
        .groups = groups_fixture,
        .ngroups = 2,
    };
}

/* noinline: inlined, its local `text` (whose address open_memstream keeps) makes gcc 12 -O3 take
 * every strstr into the result for a dangling pointer to that local (-Wdangling-pointer). */
__attribute__((noinline)) static char *render(const struct tl__findings *f, bool color)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(report_write_text(out, f, color), 0);
    fclose(out);
    return text;
}

/* The report must contain this exact line. */
static void expect_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        bool starts = p == text || p[-1] == '\n';
        if (starts && p[n] == '\n')
            return;
    }
    fail_msg("missing line \"%s\" in:\n%s", line, text);
}

static void expect_no_substring(const char *text, const char *needle)
{
    if (strstr(text, needle) != NULL)
        fail_msg("unexpected \"%s\" in:\n%s", needle, text);
}

/* ---- plain text ---- */

static void test_plain_report_lines(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    char *text = render(&f, false);
    static const char *const lines[] = {
        "==4242== threadleak: 4 leaked threads in 2 groups (pid 4242, ./server --selftest)",
        "",
        ("3 threads still running, joinable, 1 cancelled, created by main thread (tid 4242 "
         "\"server\"), in scope test_foo"),
        "  start routine: worker_loop",
        "  threads: 4243 \"work\\\"er\\x0a1\" (cancelled), 4244 \"\\x1b[31mevil\\x7f\", 4246",
        "  blocked in: futex wait (condition) (2 threads)",
        "  blocked in: read (pipe) (1 thread)",
        "  current stack (tid 4243):",
        "    #0  0x00007f0000001000 pthread_cond_wait  (libc.so.6)",
        "  created at:",
        "    #0  0x000055d4c1a2b3c4 start_workers  /src/server.c:42  (server)  [inlined]",
        "    #1  0x000055d4c1a2b400 main  server.c",
        "    #2  0x000055d4c1a2b500 ??",
        "1 thread finished but never joined (thrd_create), created by thread 4243 \"worker-1\"",
        "  start routine: helper_main",
        "  threads: 4245 \"helper\"",
        "    #0  0x0000000000001000 spawn_helper  helper.c:7  (server)",
        ("==4242== SUMMARY: threadleak: 4 leaked threads (2 groups), first 3 (worker_loop) "
         "created at /src/server.c:42 in start_workers, 5 threads created"),
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        expect_line(text, lines[i]);
    expect_no_substring(text, "\033");
    /* The exited group has no live data to show. */
    const char *second = strstr(text, "1 thread finished");
    assert_non_null(second);
    assert_null(strstr(second, "current stack"));
    assert_null(strstr(second, "blocked in"));
    assert_null(strstr(second, "in scope"));
    assert_true(text[strlen(text) - 1] == '\n');
    free(text);
}

static void test_group_order_follows_findings(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    char *text = render(&f, false);
    const char *first = strstr(text, "3 threads still running");
    const char *second = strstr(text, "1 thread finished");
    const char *summary = strstr(text, "SUMMARY");
    assert_non_null(first);
    assert_true(first < second && second < summary);
    free(text);
}

static void test_detached_cancelled_and_suppressed(void **state)
{
    (void)state;
    struct tl__leaked_thread t[] = {{.tid = 11, .name = "a", .cancelled = true},
                                    {.tid = 12, .name = "b", .cancelled = true}};
    struct tl__leak_group g = {.count = 2,
                               .state = TL_LEAK_RUNNING,
                               .detached = true,
                               .start_routine = "loop",
                               .creator_tid = 0,
                               .threads = t};
    struct tl__findings f = {
        .pid = 10, .threads_created = 1, .leaked = 2, .suppressed = 3, .groups = &g, .ngroups = 1};
    char *text = render(&f, false);
    expect_line(text, "==10== threadleak: 2 leaked threads in 1 group (pid 10)");
    expect_line(text,
                "2 threads still running, detached, cancelled, created by an untracked thread");
    expect_line(text, "  threads: 11 \"a\" (cancelled), 12 \"b\" (cancelled)");
    expect_line(text, "    (no frames)");
    expect_line(text, "==10== SUMMARY: threadleak: 2 leaked threads (loop) created at an unknown "
                      "site, 1 thread created, 3 suppressed");
    expect_no_substring(text, "joinable");
    expect_no_substring(text, "blocked in");
    free(text);
}

static void test_long_thread_list_is_cut(void **state)
{
    (void)state;
    enum { N = 25 };
    struct tl__leaked_thread t[N];
    memset(t, 0, sizeof t);
    for (int i = 0; i < N; i++) {
        t[i].tid = 100 + i;
        snprintf(t[i].wait, sizeof t[i].wait, "futex wait");
    }
    struct tl__leak_group g = {
        .count = N, .start_routine = "w", .creator_is_main = true, .creator_tid = 99, .threads = t};
    struct tl__findings f = {
        .pid = 99, .leaked = N, .threads_created = N, .groups = &g, .ngroups = 1};
    char *text = render(&f, false);
    expect_line(text, "  threads: 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, and 15 more");
    expect_line(text, "  blocked in: futex wait"); /* all agree: no count */
    expect_line(text, "25 threads still running, joinable, created by main thread (tid 99)");
    expect_no_substring(text, "110");
    free(text);
}

/* A running thread that blocks every signal has no current stack: the report says why, in the
 * place the stack would be; the counts of default suppressions go into the summary. */
static void test_missing_stack_reason_and_default_suppressions(void **state)
{
    (void)state;
    struct tl__leaked_thread t[] = {{.tid = 21, .wait = "read fd 5 (pipe)"}};
    struct tl__leak_group g = {.count = 1,
                               .state = TL_LEAK_RUNNING,
                               .start_routine = "deaf_reader",
                               .stack_status = "signals blocked",
                               .threads = t};
    struct tl__findings f = {.pid = 20,
                             .threads_created = 14,
                             .leaked = 1,
                             .suppressed_by_default = 11,
                             .groups = &g,
                             .ngroups = 1};
    char *text = render(&f, false);
    expect_line(text, "  no current stack (tid 21): signals blocked");
    expect_no_substring(text, "  current stack (tid 21):");
    expect_line(text, "==20== SUMMARY: threadleak: 1 leaked thread (deaf_reader) created at an "
                      "unknown site, 14 threads created, 11 threads suppressed by default");
    free(text);
}

/* The stack's own thread is named, not the group's first. */
static void test_current_stack_names_its_thread(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    struct tl__leak_group groups[2];
    memcpy(groups, groups_fixture, sizeof groups);
    groups[0].current_tid = 4246;
    f.groups = groups;
    char *text = render(&f, false);
    expect_line(text, "  current stack (tid 4246):");
    free(text);
}

/* A stack read from /proc that ends early says so under it; a whole one says nothing. */
static void test_partial_current_stack_says_so(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    struct tl__leak_group groups[2];
    memcpy(groups, groups_fixture, sizeof groups);
    f.groups = groups;
    char *text = render(&f, false);
    expect_no_substring(text, "partial:");
    free(text);
    groups[0].current_partial = true;
    text = render(&f, false);
    expect_line(text, "    (" LIVE_STACK_PARTIAL_NOTE ")");
    free(text);
}

/* Without line info the SUMMARY names the site as TSan does, MODULE+0xOFFSET; the C library's
 * frames below main are left out of the stack with what is under them (a stripped _start), but a
 * stack's first frame is always shown. */
static void test_summary_without_line_info_and_trimmed_stack(void **state)
{
    (void)state;
    struct tl__frame stack[] = {
        {0x7f00000cce0, "lzma_worker_start", NULL, 0, "/usr/lib/liblzma.so.5", false},
        {0x55d4c1a2b400, "main", "/src/xz.c", 9, "/opt/bin/xz", false},
        {0x7f0000029d90, "__libc_start_call_main", "../sysdeps/x.h", 58, "/lib/libc.so.6", false},
        {0x7f0000029e40, "__libc_start_main", "../csu/libc-start.c", 360, "/lib/libc.so.6", false},
        {0x55d4c1a2b100, "??", NULL, 0, "/opt/bin/xz", false}, /* _start, stripped */
    };
    struct tl__leaked_thread t[] = {{.tid = 31}};
    struct tl__leak_group g = {.count = 1,
                               .state = TL_LEAK_EXITED,
                               .start_routine = "worker_start",
                               .creation_stack = stack,
                               .creation_depth = 5,
                               .site = &stack[0],
                               .site_offset = 0xcce0,
                               .threads = t};
    struct tl__findings f = {
        .pid = 30, .threads_created = 2, .leaked = 1, .groups = &g, .ngroups = 1};
    char *text = render(&f, false);
    expect_line(text, "==30== SUMMARY: threadleak: 1 leaked thread (worker_start) created at "
                      "(liblzma.so.5+0xcce0) in lzma_worker_start, 2 threads created");
    expect_line(text, "    #1  0x000055d4c1a2b400 main  /src/xz.c:9  (xz)");
    expect_no_substring(text, "__libc_start");
    expect_no_substring(text, "#2 ");
    free(text);

    g.creation_stack = &stack[3];
    g.creation_depth = 2;
    g.site = &stack[3];
    text = render(&f, false);
    expect_line(
        text, "    #0  0x00007f0000029e40 __libc_start_main  ../csu/libc-start.c:360  (libc.so.6)");
    free(text);
}

static void test_no_leaks(void **state)
{
    (void)state;
    char *argv[] = {NULL};
    struct tl__findings f = {.pid = 3, .exe = "/bin/true", .argv = argv, .threads_created = 1};
    char *text = render(&f, false);
    assert_string_equal(text, "==3== threadleak: no leaked threads (pid 3, /bin/true)\n"
                              "==3== SUMMARY: threadleak: 0 leaked threads, 1 thread created\n");
    free(text);
}

/* ---- colour ---- */

/* Removes every ESC [ ... m sequence. */
static void strip_ansi(char *s)
{
    char *out = s;
    for (const char *in = s; *in != '\0';) {
        if (in[0] == '\033' && in[1] == '[') {
            in += 2;
            while (*in != '\0' && *in != 'm')
                in++;
            if (*in == 'm')
                in++;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
}

static void test_color(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    char *colored = render(&f, true);
    assert_non_null(strstr(colored, "\033[31mstill running\033[0m"));
    assert_non_null(strstr(colored, "\033[33mfinished but never joined\033[0m"));
    assert_non_null(strstr(colored, "start routine: \033[1mworker_loop\033[0m"));
    assert_non_null(strstr(colored, "\033[1mstart_workers\033[0m"));
    assert_non_null(strstr(colored, "\033[36m/src/server.c:42\033[0m"));
    /* The thread name's own escape byte is still neutralised. */
    assert_non_null(strstr(colored, "\\x1b[31mevil"));

    /* Colour adds nothing but colour. */
    char *plain = render(&f, false);
    strip_ansi(colored);
    assert_string_equal(colored, plain);
    free(colored);
    free(plain);
}

static void test_write_error(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        skip();
    struct tl__findings f = findings_fixture();
    assert_int_equal(report_write_text(full, &f, false), -1);
    fclose(full);
}

/* ---- the atomic file ---- */

static void test_atomic_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl-text-report-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct tl__findings f = findings_fixture();
    char path[256];
    assert_int_equal(report_write_text_file_atomic(dir, &f, false, path, sizeof path), 0);
    char expected[256];
    snprintf(expected, sizeof expected, "%s/threadleak.4242.txt", dir);
    assert_string_equal(path, expected);

    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t entries = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        entries += e->d_name[0] != '.'; /* the temp file would be hidden: count it too */
    rewinddir(d);
    size_t all = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        all += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    assert_int_equal(entries, 1);
    assert_int_equal(all, 1);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    char *plain = render(&f, false);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char *content = calloc(1, strlen(plain) + 16);
    size_t got = fread(content, 1, strlen(plain) + 15, in);
    fclose(in);
    assert_int_equal(got, strlen(plain));
    assert_string_equal(content, plain);
    free(content);
    free(plain);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_report_lines),
        cmocka_unit_test(test_group_order_follows_findings),
        cmocka_unit_test(test_detached_cancelled_and_suppressed),
        cmocka_unit_test(test_long_thread_list_is_cut),
        cmocka_unit_test(test_missing_stack_reason_and_default_suppressions),
        cmocka_unit_test(test_current_stack_names_its_thread),
        cmocka_unit_test(test_partial_current_stack_says_so),
        cmocka_unit_test(test_summary_without_line_info_and_trimmed_stack),
        cmocka_unit_test(test_no_leaks),
        cmocka_unit_test(test_color),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_atomic_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
