/* profile_text.c: the debug=1 and debug=2 layouts, parsed back line by line from the fixture's
 * rendering; plus the shared wording (durations, quoting) of profile_format.c. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_fixture.h"
#include "profile_format.h"
#include "profile_text.h"

static char *render(int (*writer)(FILE *, const struct thread_profile *))
{
    struct thread_profile p;
    fixture_profile(&p);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(writer(out, &p), 0);
    assert_int_equal(fclose(out), 0);
    thread_profile_free(&p);
    return text;
}

/* Lines of text, NUL-terminated in place; returns the count. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    for (char *line = text; *line && n < max;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl); /* every line ends with a newline */
        *nl = '\0';
        lines[n++] = line;
        line = nl + 1;
    }
    return n;
}

static bool matches(const char *pattern, const char *s)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* ---- debug=1 ---- */

struct group1 {
    unsigned long count;
    size_t pcs;      /* addresses on the "@" line */
    size_t frames;   /* "#\t0x" lines */
    size_t distinct; /* distinct addresses among them */
    bool start_note; /* "# no current stack; start routine:" */
    bool no_stack;   /* "# no stack" */
    char first[128]; /* the first frame line */
    char all[2048];  /* every frame line, concatenated */
};

static size_t parse_debug1(char **lines, size_t n, struct group1 *groups, size_t max)
{
    size_t g = 0;
    for (size_t i = 1; i < n;) {
        assert_true(g < max);
        struct group1 *grp = &groups[g++];
        memset(grp, 0, sizeof *grp);
        assert_true(matches("^[0-9]+ @( 0x[0-9a-f]+)*$", lines[i]));
        grp->count = strtoul(lines[i], NULL, 10);
        for (const char *c = strchr(lines[i], '@'); (c = strstr(c, " 0x")); c++)
            grp->pcs++;
        char last_pc[32] = "";
        for (i++; i < n && lines[i][0] != '\0'; i++) {
            if (strcmp(lines[i], "# no current stack; start routine:") == 0) {
                grp->start_note = true;
                continue;
            }
            if (strcmp(lines[i], "# no stack") == 0) {
                grp->no_stack = true;
                continue;
            }
            assert_true(matches("^#\t0x[0-9a-f]+\t[^\t]+(\t[^\t]+:[0-9]+)?$", lines[i]));
            if (!grp->frames++)
                snprintf(grp->first, sizeof grp->first, "%s", lines[i]);
            strncat(grp->all, lines[i], sizeof grp->all - strlen(grp->all) - 2);
            strcat(grp->all, "\n");
            char pc[32];
            sscanf(lines[i], "#\t%31s", pc);
            grp->distinct += strcmp(pc, last_pc) != 0;
            snprintf(last_pc, sizeof last_pc, "%s", pc);
        }
        assert_true(i < n); /* a blank line ends every group */
        i++;
    }
    return g;
}

static void test_debug1_groups_by_stack_largest_first(void **state)
{
    (void)state;
    char *text = render(profile_write_debug1);
    char *lines[256] = {0};
    size_t n = split_lines(text, lines, 256);
    assert_string_equal(lines[0], "threads profile: total 8");
    struct group1 groups[16];
    size_t ngroups = parse_debug1(lines, n, groups, 16);
    unsigned long total = 0;
    for (size_t i = 0; i < ngroups; i++) {
        total += groups[i].count;
        if (i > 0)
            assert_true(groups[i - 1].count >= groups[i].count);
        /* one address per location on the @ line; inlined lines repeat an address */
        assert_int_equal(groups[i].pcs, groups[i].distinct);
    }
    assert_int_equal(total, 8);
    /* the three workers share a stack: the first group, 4 locations, 5 lines (one inlined) */
    assert_int_equal(groups[0].count, FIXTURE_WORKERS);
    assert_int_equal(groups[0].pcs, 4);
    assert_int_equal(groups[0].frames, 5);
    assert_non_null(
        strstr(groups[0].all, "\tpthread_cond_wait+0x1e8\tnptl/pthread_cond_wait.c:618\n"));
    assert_non_null(strstr(groups[0].all, "\t" FIXTURE_WORKER_FN "+0x1b\t/src/worker.c:42\n"));
    assert_non_null(strstr(groups[0].all, "\tstart_thread\n")); /* no file: no third field */
    size_t start_notes = 0, no_stacks = 0;
    for (size_t i = 0; i < ngroups; i++) {
        start_notes += groups[i].start_note;
        no_stacks += groups[i].no_stack;
        if (groups[i].start_note)
            assert_non_null(strstr(groups[i].first, FIXTURE_EXITED_FN));
        if (groups[i].no_stack)
            assert_int_equal(groups[i].pcs, 0);
    }
    assert_int_equal(start_notes, 1); /* the exited thread, by its start routine */
    assert_int_equal(no_stacks, 1);   /* the untracked thread without a stack */
    free(text);
}

/* ---- debug=2 ---- */

struct block2 {
    int tid;
    char header[256];
    char body[2048]; /* everything after the header */
};

static size_t parse_debug2(char **lines, size_t n, struct block2 *blocks, size_t max)
{
    size_t b = 0;
    for (size_t i = 0; i < n;) {
        assert_true(b < max);
        struct block2 *blk = &blocks[b++];
        memset(blk, 0, sizeof *blk);
        assert_true(matches("^thread [0-9]+ \"([^\"\\\\]|\\\\.)*\" \\[[^]]+\\]:$", lines[i]));
        blk->tid = atoi(lines[i] + strlen("thread "));
        snprintf(blk->header, sizeof blk->header, "%s", lines[i]);
        bool expect_location = false;
        for (i++; i < n && lines[i][0] != '\0'; i++) {
            const char *l = lines[i];
            if (expect_location) {
                /* "\tfile:line [+0xoff]" or "\tmodule [+0xoff]" */
                assert_true(matches("^\t[^\t ]+( \\+0x[0-9a-f]+)?$", l));
                expect_location = false;
            } else if (matches("^[^\t].*\\(\\.\\.\\.\\)$", l)) {
                expect_location = true;
            } else {
                assert_true(matches("^(created by .*|\\(no current stack: .*\\))$", l));
            }
            strncat(blk->body, l, sizeof blk->body - strlen(blk->body) - 2);
            strcat(blk->body, "\n");
        }
        assert_false(expect_location); /* every function line has its location line */
        assert_true(i < n);
        i++;
    }
    return b;
}

static const struct block2 *block_of(const struct block2 *blocks, size_t n, int tid)
{
    for (size_t i = 0; i < n; i++) {
        if (blocks[i].tid == tid)
            return &blocks[i];
    }
    fail_msg("no block for thread %d", tid);
    return &blocks[0]; /* not reached: fail_msg does not return */
}

static void test_debug2_lists_every_thread_once(void **state)
{
    (void)state;
    char *text = render(profile_write_debug2);
    char *lines[512] = {0};
    size_t n = split_lines(text, lines, 512);
    struct block2 blocks[16];
    size_t nblocks = parse_debug2(lines, n, blocks, 16);
    assert_int_equal(nblocks, FIXTURE_THREADS);
    for (size_t i = 1; i < nblocks; i++)
        assert_true(blocks[i - 1].tid < blocks[i].tid);
    free(text);
}

static void test_debug2_thread_contents(void **state)
{
    (void)state;
    char *text = render(profile_write_debug2);
    char *lines[512] = {0};
    size_t n = split_lines(text, lines, 512);
    struct block2 b[16];
    size_t nb = parse_debug2(lines, n, b, 16);

    const struct block2 *worker = block_of(b, nb, FIXTURE_WORKER_TID);
    assert_string_equal(worker->header,
                        "thread 4001 \"worker\" [futex wait (condition), 5 seconds]:");
    assert_non_null(strstr(worker->body, FIXTURE_WORKER_FN "(...)\n\t/src/worker.c:42 +0x1b\n"));
    assert_non_null(strstr(worker->body, "pthread_cond_wait(...)\n\tnptl/pthread_cond_wait.c:618 "
                                         "+0x1e8\n"));
    assert_non_null(strstr(worker->body, "start_thread(...)\n\t/lib/libc.so.6\n"));
    assert_non_null(strstr(worker->body, "created by main thread at:\n" FIXTURE_SPAWN_FN
                                         "(...)\n\t/src/server.c:80 +0x33\nmain(...)\n"));

    /* the workers share one stack and one creation stack, written once and copied: each copy
     * whole */
    for (int i = 1; i < FIXTURE_WORKERS; i++)
        assert_string_equal(block_of(b, nb, FIXTURE_WORKER_TID + i)->body, worker->body);

    const struct block2 *spinner = block_of(b, nb, FIXTURE_SPINNER_TID);
    assert_string_equal(spinner->header, "thread 4004 \"spinner\" [running]:");
    assert_non_null(strstr(spinner->body,
                           FIXTURE_INLINED_FN "(...)\n\t/src/spin.c:7\n" FIXTURE_SPINNER_FN
                                              "(...)\n\t/src/spin.c:20\n"));
    assert_non_null(strstr(spinner->body, "created by thread 4001 \"worker\" at:\n"));

    const struct block2 *exited = block_of(b, nb, FIXTURE_EXITED_TID);
    assert_string_equal(exited->header, "thread 4005 \"fast\" [exited, not joined, 2 seconds]:");
    assert_non_null(
        strstr(exited->body, "(no current stack: exited; start routine " FIXTURE_EXITED_FN ")\n"));

    const struct block2 *untracked = block_of(b, nb, FIXTURE_UNTRACKED);
    assert_string_equal(untracked->header, "thread 4006 \"helper\" [read fd 3 (pipe)]:");
    assert_string_equal(untracked->body,
                        "(no current stack: signals blocked)\n"
                        "created by an unknown thread (not tracked by threadleak)\n");

    const struct block2 *nasty = block_of(b, nb, FIXTURE_NASTY_TID);
    assert_string_equal(nasty->header,
                        "thread 4007 \"a\\\"b\\\\c\\x0ad<&>\" [poll, at least 1 second]:");

    const struct block2 *main_thread = block_of(b, nb, FIXTURE_PID);
    assert_null(strstr(main_thread->body, "created by"));
    free(text);
}

/* ---- shared wording ---- */

/* A current stack read from /proc that ends early says so right under it; no other does. */
static void test_debug2_partial_stack(void **state)
{
    (void)state;
    struct thread_profile p;
    fixture_profile(&p);
    for (size_t i = 0; i < p.count; i++)
        p.threads[i].stack_partial = p.threads[i].tid == FIXTURE_SPINNER_TID;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(profile_write_debug2(out, &p), 0);
    fclose(out);
    thread_profile_free(&p);
    const char *note = "(" LIVE_STACK_PARTIAL_NOTE ")\n";
    const char *first = strstr(text, note);
    assert_non_null(first);
    assert_null(strstr(first + 1, note)); /* once: the spinner's */
    const char *spinner = strstr(text, "thread 4004 ");
    const char *next = strstr(text, "thread 4005 ");
    assert_true(spinner && next && spinner < first && first < next);
    free(text);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        uint64_t ns;
        const char *text;
    } cases[] = {
        {0, "0 ms"},
        {999999999u, "999 ms"},
        {1000000000u, "1 second"},
        {59999999999u, "59 seconds"},
        {60000000000u, "1 minute"},
        {7199000000000u, "1 hour"},
        {7200000000000u, "2 hours"},
        {172800000000000u, "2 days"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        profile_format_duration(cases[i].ns, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

static void test_quoting(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    profile_write_quoted(out, "x\"\\\t\x7f\x01y");
    fclose(out);
    assert_string_equal(text, "\"x\\\"\\\\\\x09\\x7f\\x01y\"");
    char buf[PROFILE_QUOTED_NAME_MAX];
    assert_true(profile_quote("x\"\\\t\x7f\x01y", buf, sizeof buf)); /* the same, into a buffer */
    assert_string_equal(buf, text);
    char worst[16]; /* a whole name of control bytes: 15 \xNN */
    memset(worst, 1, sizeof worst - 1);
    worst[sizeof worst - 1] = '\0';
    assert_true(profile_quote(worst, buf, sizeof buf));
    assert_int_equal(strlen(buf), 15 * 4 + 2);
    assert_false(profile_quote("abc", buf, 5)); /* too small: nothing, and says so */
    assert_string_equal(buf, "");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debug1_groups_by_stack_largest_first),
        cmocka_unit_test(test_debug2_lists_every_thread_once),
        cmocka_unit_test(test_debug2_thread_contents),
        cmocka_unit_test(test_debug2_partial_stack),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_quoting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
