/* The report at process exit: run the verdict once, render it where the configuration says, and
 * decide the exit status. Runs in the exiting thread while other threads may still run, so it
 * only reads the registry through lock-free copies. */
#include "exit_report.h"

#include "shim_state.h"

#include "findings.h"
#include "json_report.h"
#include "live_stacks.h"
#include "suppressions.h"
#include "text_report.h"
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_flag reported = ATOMIC_FLAG_INIT;

static bool suppressed_by_file(const struct tl__thread_info *t, void *ctx)
{
    struct tl__frame stack[TL_MAX_FRAMES];
    size_t depth = findings_creation_stack(t, stack);
    return suppressions_match_thread(ctx, symbolize_function(t->start_routine), stack, depth);
}

static struct tl__suppressions *load_suppressions(void)
{
    if (!tl__cfg.suppressions[0])
        return NULL;
    char err[512];
    struct tl__suppressions *s = suppressions_load(tl__cfg.suppressions, err, sizeof err);
    if (!s)
        fprintf(stderr, "threadleak: suppressions: %s\n", err);
    return s;
}

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
    if (report_write_json_file_atomic(tl__cfg.report_dir, f, path, sizeof path) != 0)
        fprintf(stderr, "threadleak: cannot write report into %s: %s\n", tl__cfg.report_dir,
                strerror(errno));
    if (f->leaked)
        report_write_text_file_atomic(tl__cfg.report_dir, f, tl__cfg.color == TL_COLOR_ALWAYS, NULL,
                                      0);
}

static bool any_running(const struct tl__findings *f)
{
    for (size_t i = 0; i < f->ngroups; i++) {
        if (f->groups[i].state == TL_LEAK_RUNNING)
            return true;
    }
    return false;
}

/* What running leaks are doing now: kernel state always, current stacks unless the user asked
 * for no signals (they make nanosleep, poll and select return EINTR in the threads they hit). */
static void attach_live_state(struct tl__findings *f)
{
    if (!any_running(f))
        return;
    struct live_stacks_dump dump = {0};
    bool dumped = false;
    if (tl__cfg.stacks == TL_STACKS_SIGNAL) {
        struct live_stacks_options opts = {
            .signal = tl__cfg.dump_signal,
            .deadline_ms = tl__cfg.dump_timeout_ms,
        };
        dumped = live_stacks_dump(&opts, &dump) == 0;
    }
    findings_attach_live(f, dumped ? &dump : NULL);
    if (dumped)
        live_stacks_free(&dump);
}

int exit_report_run(int status)
{
    if (!shim_ready() || atomic_flag_test_and_set(&reported))
        return status;
    int saved_errno = errno;
    struct tl__suppressions *suppressions = load_suppressions();
    struct tl__verdict_request req = {
        .mode = tl__cfg.mode,
        .linger_ms = tl__cfg.linger_ms,
        .calling_tid = shim_current_tid(),
        .ignore = suppressions ? suppressed_by_file : NULL,
        .ignore_ctx = suppressions,
    };
    struct tl__verdict verdict;
    verdict_run(&req, &verdict);
    /* A clean process with nowhere to write a report has nothing more to do. */
    bool wanted = verdict.nleaks > 0 || tl__cfg.report_dir[0];
    struct tl__findings *f =
        wanted ? findings_build(verdict.leaks, verdict.nleaks, tl__cfg.mode, verdict.ignored)
               : NULL;
    verdict_free(&verdict);
    int result = status;
    if (f) {
        attach_live_state(f);
        write_report_files(f);
        if (f->leaked) {
            write_text_report(f);
            if (status == 0 && tl__cfg.exitcode != 0)
                result = tl__cfg.exitcode;
        }
        findings_free(f);
    }
    suppressions_free(suppressions);
    errno = saved_errno;
    return result;
}
