/* The test API's lock checks: tl_find_lock_findings, tl_verify_no_lock_findings and
 * tl_locks_checked. The findings are the lock module's (docs/locks.md), the same ones the exit
 * report prints, after the same suppressions; a snapshot's lock mark (tl_snapshot_take) says
 * which of them came later. Without the lock module, or with locks=0, nothing is checked, and the
 * calls say so with TL_LOCKS_NOT_CHECKED instead of 0: a test asserting "no inversions" must not
 * pass where no lock was ever looked at. */
#include "test_api_internal.h"

#include "locks_hooks.h"
#include "shim_init.h"
#include "shim_state.h"

#include <stdlib.h>
#include <unistd.h>

_Static_assert(TL_LOCKS_NOT_CHECKED < -1, "TL_LOCKS_NOT_CHECKED is neither a count nor -1");

#ifdef THREADLEAK_LOCKS
#define NOT_CHECKED_WHY "lock checking is off (THREADLEAK_OPTIONS has locks=0)"
#else
#define NOT_CHECKED_WHY                                                                            \
    "the lock module is not loaded (threadleak run --locks, or LD_PRELOAD=libthreadleak-locks.so)"
#endif

THREADLEAK_API int tl_locks_checked(void)
{
    shim_init();
    return locks_checked() ? 1 : 0;
}

/* The report around lock findings: the process's identity from an empty leak check, as the
 * report a live deadlock writes has. */
static tl_report *lock_report(struct tl__lock_findings *locks)
{
    tl_report *r = calloc(1, sizeof *r);
    struct tl__findings *f = r ? findings_build(NULL, 0, tl__cfg.mode, 0) : NULL;
    if (!f) {
        free(r);
        return NULL;
    }
    f->locks = locks;
    r->findings = f;
    r->locks = locks;
    return r;
}

THREADLEAK_API int tl_find_lock_findings(const tl_snapshot *since, tl_report **out)
{
    if (out)
        *out = NULL;
    shim_init();
    if (!locks_checked())
        return TL_LOCKS_NOT_CHECKED;
    /* Symbolising takes locks of its own (libdw's): not the host's. */
    locks_own_work_begin();
    struct tl__lock_findings *locks = locks_findings_since(since ? since->locks : NULL);
    int n = locks ? (int)locks_findings_count(locks) : -1;
    tl_report *r = n > 0 && out ? lock_report(locks) : NULL;
    if (n > 0 && out && !r)
        n = -1;
    if (!r)
        locks_findings_free(locks);
    locks_own_work_end();
    if (out)
        *out = r;
    return n;
}

static bool color_for(FILE *out)
{
    const char *no_color = getenv("NO_COLOR");
    int fd = fileno(out);
    return (!no_color || !no_color[0]) && fd >= 0 && isatty(fd);
}

THREADLEAK_API int tl_verify_no_lock_findings(const tl_snapshot *since, FILE *out)
{
    if (!out)
        out = stderr;
    tl_report *r = NULL;
    int n = tl_find_lock_findings(since, &r);
    if (n == TL_LOCKS_NOT_CHECKED)
        fprintf(out, "threadleak: lock findings not checked: %s\n", NOT_CHECKED_WHY);
    else if (n < 0)
        fprintf(out, "threadleak: lock findings: out of memory\n");
    else if (r)
        test_api_write_lock_text(out, r, color_for(out));
    tl_report_free(r);
    return n;
}

int test_api_write_lock_text(FILE *out, const tl_report *r, bool color)
{
    return locks_findings_write_text(out, r->findings->pid, r->locks, color);
}
