/* The lock module's findings for reports and the test API (locks_hooks.h): built from the
 * detector's stores, since a mark or from the start, with the configuration's suppressions
 * applied (lock_findings_suppress), so that the exit report and a test's check agree. */
#include "lock_module.h"
#include "locks_hooks.h"
#include "shim_state.h"

#include "lock_findings.h"
#include "lock_report_text.h"
#include "suppressions.h"

#include <stdio.h>
#include <stdlib.h>

bool locks_start(void); /* lock_module.c */

bool locks_checked(void)
{
    int state = atomic_load_explicit(&locks_state, memory_order_acquire);
    return state == LOCKS_ON || (state == LOCKS_UNKNOWN && locks_start());
}

struct tl__lock_mark *locks_mark_take(void)
{
    struct tl__lock_mark *m = malloc(sizeof *m);
    if (m)
        lock_findings_mark(m);
    return m;
}

/* The file is read for each build, as a leak check reads it: a report sees it as it is now. One
 * that cannot be read is reported, and the findings stay unfiltered by it. */
static struct tl__suppressions *suppressions_file(void)
{
    if (!tl__cfg.suppressions[0])
        return NULL;
    char err[512];
    struct tl__suppressions *s = suppressions_load(tl__cfg.suppressions, err, sizeof err);
    if (!s)
        fprintf(stderr, "threadleak: suppressions: %s\n", err);
    return s;
}

struct tl__lock_findings *locks_findings_since(const struct tl__lock_mark *since)
{
    struct tl__lock_findings *f = lock_findings_build_since(since);
    if (!f)
        return NULL;
    struct tl__suppressions *file = suppressions_file();
    lock_findings_suppress(f, file, tl__cfg.default_suppressions);
    suppressions_free(file);
    return f;
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int locks_findings_write_text(FILE *out, pid_t pid, const struct tl__lock_findings *l, bool color)
{
    if (lock_report_text(out, pid, l, color))
        fputc('\n', out);
    size_t n = lock_findings_count(l);
    fprintf(out, "==%ld== SUMMARY: threadleak: %zu lock %s", (long)pid, n,
            plural(n, "finding", "findings"));
    lock_report_text_summary(out, l);
    if (l->suppressed)
        fprintf(out, ", %llu suppressed", (unsigned long long)l->suppressed);
    if (l->suppressed_by_default)
        fprintf(out, ", %llu suppressed by default", (unsigned long long)l->suppressed_by_default);
    fputc('\n', out);
    if (fflush(out) != 0 || ferror(out))
        return -1;
    return 0;
}
