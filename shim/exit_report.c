/* The report at process exit: run the check once (detector/check.h), render it where the
 * configuration says, and decide the exit status. Runs in the exiting thread while other threads
 * may still run, so it only reads the registry through lock-free copies. */
#include "exit_report.h"

#include "gate_notice.h"
#include "shim_state.h"

#include "check.h"
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

static void write_text_report(const struct tl__findings *f)
{
    if (tl__cfg.quiet)
        return;
    bool to_stderr = !tl__cfg.log_path[0] || strcmp(tl__cfg.log_path, "stderr") == 0;
    FILE *out = stderr;
    if (!to_stderr) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s.%d", tl__cfg.log_path, (int)getpid());
        out = fopen(path, "we");
        if (!out) {
            fprintf(stderr, "threadleak: cannot write log_path %s: %s\n", path, strerror(errno));
            out = stderr;
        }
    }
    report_write_text(out, f, color_for(out));
    if (out != stderr)
        fclose(out);
    else
        fflush(stderr);
}

static void write_report_files(const struct tl__findings *f)
{
    if (!tl__cfg.report_dir[0])
        return;
    char path[PATH_MAX + 64];
    int json_errno = 0;
    if (report_write_json_file_atomic(tl__cfg.report_dir, f, path, sizeof path) != 0) {
        json_errno = errno;
        fprintf(stderr, "threadleak: cannot write report into %s: %s\n", tl__cfg.report_dir,
                strerror(json_errno));
    }
    if (f->leaked)
        report_write_text_file_atomic(tl__cfg.report_dir, f, tl__cfg.color == TL_COLOR_ALWAYS, NULL,
                                      0);
    /* Only once the files are in place: the CLI may read the directory as soon as it hears
     * "done". Without a JSON report `threadleak run` fails closed, and "lost" says why. */
    if (json_errno)
        gate_notice_lost(json_errno);
    else
        gate_notice_delivered();
}

int exit_report_run(int status)
{
    if (!shim_ready() || atomic_flag_test_and_set(&reported))
        return status;
    int saved_errno = errno;
    struct tl__check_request req;
    check_request_init(&req, &tl__cfg, shim_current_tid());
    /* A clean process with nowhere to write a report has nothing more to do. */
    req.findings_when_clean = tl__cfg.report_dir[0] != '\0';
    struct tl__check_result check;
    check_run(&req, &check);
    struct tl__findings *f = check.findings;
    int result = status;
    if (f) {
        write_report_files(f);
        if (f->leaked) {
            write_text_report(f);
            if (status == 0 && tl__cfg.exitcode != 0)
                result = tl__cfg.exitcode;
        }
        findings_free(f);
    }
    check_request_fini(&req);
    errno = saved_errno;
    return result;
}
