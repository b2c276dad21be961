/* The report at process exit: run the check once (detector/check.h), render it where the
 * configuration says, and decide the exit status. Runs in the exiting thread while other threads
 * may still run, so it only reads the registry through lock-free copies. */
#include "exit_report.h"

#include "gate_notice.h"
#include "locks_hooks.h"
#include "shim_state.h"

#include "check.h"
#include "registry.h"
#include "json_report.h"
#include "text_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_flag reported = ATOMIC_FLAG_INIT;

static bool color_for(FILE *out)
{
    if (tl__cfg.color == TL_COLOR_ALWAYS)
        return true;
    if (tl__cfg.color == TL_COLOR_NEVER)
        return false;
    return out == stderr && isatty(STDERR_FILENO);
}

/* Where the text report goes: the stderr the process started with, or log_path. fd 2 is written
 * only while it is still that stderr: a program that closed fd 2 and opened a data file (which
 * then got fd 2) would otherwise find the report appended to its data. The same holds for our
 * own error lines. */
struct text_destination {
    FILE *out;           /* NULL: the text report is not written */
    const char *skipped; /* why not, for the JSON report; NULL when written as configured */
    bool asked;          /* moved holds shim_stderr_changed()'s answer */
    const char *moved;
};

/* shim_stderr_changed, asked at most once and only when something is about to go to fd 2: a
 * clean process under the CLI (quiet=1) pays nothing. */
static const char *stderr_moved(struct text_destination *d)
{
    if (!d->asked) {
        d->moved = shim_stderr_changed();
        d->asked = true;
    }
    return d->moved;
}

static void open_text_destination(struct text_destination *d, bool leaked)
{
    *d = (struct text_destination){0};
    if (!leaked || tl__cfg.quiet)
        return;
    if (tl__cfg.log_path[0] && strcmp(tl__cfg.log_path, "stderr") != 0) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s.%d", tl__cfg.log_path, (int)getpid());
        d->out = fopen(path, "we");
        if (d->out)
            return;
        int error = errno;
        if (!stderr_moved(d))
            fprintf(stderr, "threadleak: cannot write log_path %s: %s\n", path, strerror(error));
    }
    if (stderr_moved(d))
        d->skipped = stderr_moved(d);
    else
        d->out = stderr;
}

static void write_text_report(const struct text_destination *d, const struct tl__findings *f)
{
    if (!d->out)
        return;
    report_write_text(d->out, f, color_for(d->out));
    if (d->out != stderr)
        fclose(d->out);
    else
        fflush(stderr);
}

static void write_report_files(struct text_destination *d, const struct tl__findings *f, bool found)
{
    if (!tl__cfg.report_dir[0])
        return;
    char path[PATH_MAX + 64];
    int json_errno = 0;
    if (report_write_json_file_atomic_ex(tl__cfg.report_dir, f, d->skipped, path, sizeof path) !=
        0) {
        json_errno = errno;
        if (!stderr_moved(d))
            fprintf(stderr, "threadleak: cannot write report into %s: %s\n", tl__cfg.report_dir,
                    strerror(json_errno));
    }
    if (found)
        report_write_text_file_atomic(tl__cfg.report_dir, f, tl__cfg.color == TL_COLOR_ALWAYS, NULL,
                                      0);
    /* Only once the files are in place: the CLI may read the directory as soon as it hears
     * "done". Without a JSON report `threadleak run` fails closed, and "lost" says why. */
    if (json_errno)
        gate_notice_lost(json_errno);
    else
        gate_notice_delivered();
}

/* The exit report proper, once the lock findings are known (NULL without the lock module). */
static int report(int status, struct tl__lock_findings *locks)
{
    bool lock_findings = locks_findings_count(locks) > 0;
    /* The program never made a thread and wants no report file: the verdict could only be clean,
     * and most processes of a build are such (docs/startup.md). */
    if (registry_threads_created() == 0 && !tl__cfg.report_dir[0] && !lock_findings)
        return status;
    struct tl__check_request req;
    check_request_init(&req, &tl__cfg, shim_current_tid());
    /* A clean process with nowhere to write a report has nothing more to do. */
    req.findings_when_clean = tl__cfg.report_dir[0] != '\0' || lock_findings;
    struct tl__check_result check;
    check_run(&req, &check);
    struct tl__findings *f = check.findings;
    int result = status;
    if (f) {
        f->locks = locks;
        bool found = f->leaked > 0 || lock_findings;
        struct text_destination dest;
        open_text_destination(&dest, found);
        write_report_files(&dest, f, found);
        write_text_report(&dest, f);
        /* Lock findings fail the run as leaks do (docs/locks.md). */
        if (found && status == 0 && tl__cfg.exitcode != 0)
            result = tl__cfg.exitcode;
        findings_free(f);
    }
    check_request_fini(&req);
    return result;
}

int exit_report_run(int status)
{
    if (!shim_ready() || atomic_flag_test_and_set(&reported))
        return status;
    int saved_errno = errno;
    /* Symbolising and the verdict take locks of their own (and libdw's): not the host's. */
    locks_own_work_begin();
    struct tl__lock_findings *locks = locks_findings_build();
    int result = report(status, locks);
    locks_findings_free(locks);
    locks_own_work_end();
    errno = saved_errno;
    return result;
}

void exit_report_now(const struct tl__lock_findings *locks)
{
    if (!tl__cfg.report_dir[0])
        return;
    int saved_errno = errno;
    locks_own_work_begin();
    struct tl__findings *f = findings_build(NULL, 0, tl__cfg.mode, 0);
    if (f) {
        f->locks = locks;
        f->label = tl__cfg.label[0] ? tl__cfg.label : NULL;
        /* The text first: a reader that sees the JSON may look for it at once. */
        report_write_text_file_atomic(tl__cfg.report_dir, f, tl__cfg.color == TL_COLOR_ALWAYS, NULL,
                                      0);
        if (report_write_json_file_atomic(tl__cfg.report_dir, f, NULL, 0) != 0 &&
            !shim_stderr_changed())
            fprintf(stderr, "threadleak: cannot write report into %s: %s\n", tl__cfg.report_dir,
                    strerror(errno));
        findings_free(f);
    }
    locks_own_work_end();
    errno = saved_errno;
}
