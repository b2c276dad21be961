/* `threadleak run`: check the program, compose the environment, run it, wait for everything it
 * started, merge the reports, and choose the exit status. Each step lives in its own file; this
 * one only sequences them. */
#include "cli_run.h"

#include "asan_env.h"
#include "asan_gate.h"
#include "baseline_gate.h"
#include "child_wait.h"
#include "ci_reports.h"
#include "gate_channel.h"
#include "gate_status.h"
#include "options.h"
#include "preload_env.h"
#include "prog_check.h"
#include "report_dir.h"
#include "report_merge.h"
#include "run_endpoint.h"
#include "run_label.h"
#include "run_options.h"
#include "run_timeout.h"
#include "shim_locate.h"
#include "tsan_env.h"
#include "tsan_gate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STRAGGLERS_SHOWN 8

struct run {
    struct tl__run_options opt;
    char shim[PATH_MAX];
    struct tl__elf_info shim_elf;
    struct tl__prog prog;
    char report_dir[PATH_MAX];
    bool private_dir; /* made here, removed at the end */
    pid_t pid;
    int wait_status;
    struct tl__tsan_env tsan;     /* TSAN_OPTIONS and TSan's exitcode */
    unsigned long tsan_findings;  /* over every process of the run */
    bool prog_tsan_reported;      /* PROG's own process reported to TSan */
    struct tl__asan_env asan;     /* ASAN_OPTIONS, LSAN_OPTIONS and their exitcode */
    unsigned long asan_findings;  /* ASan and LSan reports over every process of the run */
    bool prog_lsan_only;          /* PROG's own process printed an LSan report, no ASan error */
    bool timed_out;               /* --timeout expired: dumped and killed */
    struct tl__gate_channel gate; /* who started under the shim, who delivered */
    struct tl__undelivered *undelivered;
    size_t nundelivered, nstarted;

    struct tl__lock_findings locks; /* the lock module's findings, from the merged reports */

    struct tl__baseline_gate baseline; /* --baseline, --write-baseline */
};

static void error_line(const char *msg)
{
    fprintf(stderr, "threadleak: %s\n", msg);
}

/* libthreadleak.so, or with --locks the lock module in its place: a second build of the shim
 * that does all it does, and intercepts the lock calls as well. */
static int find_shim(struct run *r)
{
    char err[2 * PATH_MAX + 256];
    const char *name = r->opt.locks ? TL_LOCKS_SHIM_NAME : TL_SHIM_NAME;
    if (shim_locate_named(name, r->shim, sizeof r->shim, err, sizeof err) != 0) {
        fprintf(stderr, "threadleak: %s%s\n", r->opt.locks ? "--locks: " : "", err);
        return TL_STATUS_TOOL_FAILED;
    }
    if (elf_inspect_file(r->shim, &r->shim_elf) != 0 || r->shim_elf.elf_class == 0) {
        fprintf(stderr, "threadleak: the shim %s is not an ELF file\n", r->shim);
        return TL_STATUS_TOOL_FAILED;
    }
    return 0;
}

static int check_program(struct run *r)
{
    char err[2 * PATH_MAX + 256], warn[2 * PATH_MAX + 256];
    int status =
        prog_check(r->opt.prog_argv[0], &r->shim_elf, &r->prog, err, sizeof err, warn, sizeof warn);
    if (warn[0])
        error_line(warn);
    if (status != 0)
        error_line(err);
    return status;
}

static int make_report_dir(struct run *r)
{
    char err[PATH_MAX + 256];
    int rc = r->opt.keep_reports
                 ? report_dir_prepare_kept(r->opt.keep_reports, r->report_dir, sizeof r->report_dir,
                                           err, sizeof err)
                 : report_dir_create_private(r->report_dir, sizeof r->report_dir, err, sizeof err);
    if (rc == 0 && r->opt.keep_reports)
        rc = tsan_gate_check_dir(r->report_dir, err, sizeof err);
    if (rc == 0 && r->opt.keep_reports)
        rc = asan_gate_check_dir(r->report_dir, err, sizeof err);
    if (rc != 0) {
        error_line(err);
        return TL_STATUS_TOOL_FAILED;
    }
    r->private_dir = !r->opt.keep_reports;
    /* In the directory, so that a kept one carries it to `threadleak merge`. */
    if (r->opt.label && run_label_write(r->report_dir, r->opt.label, err, sizeof err) != 0) {
        error_line(err);
        return TL_STATUS_TOOL_FAILED;
    }
    /* The run's own subdirectory of DIR, named here so that `threadleak merge` can be given it. */
    if (r->opt.keep_reports && !r->opt.quiet)
        fprintf(stderr, "threadleak: reports kept in %s\n", r->report_dir);
    return 0;
}

static bool want_color(const struct tl__run_options *o)
{
    if (o->color == TL_RUN_COLOR_AUTO)
        return isatty(STDERR_FILENO);
    return o->color == TL_RUN_COLOR_ALWAYS;
}

/* The composed options must parse in every process, or each one would print the same error and
 * run unobserved: check them here once. */
static int validate_options(const char *text)
{
    static struct tl__config cfg;
    char err[512];
    options_defaults(&cfg);
    if (options_parse(text, &cfg, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "threadleak: THREADLEAK_OPTIONS: %s\n", err);
    return TL_STATUS_USAGE;
}

/* Every process of the run gets TSAN_OPTIONS with log_path in the report directory, whether or
 * not PROG itself is a TSan build: a descendant may be one (a test runner's tests). Processes
 * without TSan never read the variable. */
static int set_tsan_options(struct run *r)
{
    char err[PATH_MAX + 256];
    if (tsan_env_compose(getenv("TSAN_OPTIONS"), r->report_dir, &r->tsan, err, sizeof err) != 0) {
        error_line(err);
        return -1;
    }
    if (r->tsan.user_log_path)
        fprintf(stderr, "threadleak: warning: TSAN_OPTIONS log_path is overridden: ThreadSanitizer "
                        "reports go into the report directory and are printed below "
                        "(--keep-reports DIR keeps them)\n");
    if (setenv("TSAN_OPTIONS", r->tsan.options, 1) != 0) {
        error_line(strerror(errno));
        return -1;
    }
    return 0;
}

/* The same for ASAN_OPTIONS and LSAN_OPTIONS: ASan and LSan write their reports (memory leaks
 * at exit, errors when they happen) to DIR/asan.PID. PROG's build only picks the exitcode that
 * its runtime will use, which the gate needs to tell LSan's status from PROG's. */
static int set_asan_options(struct run *r)
{
    char err[PATH_MAX + 256];
    const char *elf = r->prog.interpreter[0] ? r->prog.interpreter : r->prog.path;
    enum tl__asan_build build = asan_build_of(elf, &r->prog.elf);
    if (asan_env_compose(getenv("ASAN_OPTIONS"), getenv("LSAN_OPTIONS"), r->report_dir, build,
                         &r->asan, err, sizeof err) != 0) {
        error_line(err);
        return -1;
    }
    const char *var = r->asan.asan.user_log_path   ? "ASAN_OPTIONS"
                      : r->asan.lsan.user_log_path ? "LSAN_OPTIONS"
                                                   : NULL;
    if (var)
        fprintf(stderr,
                "threadleak: warning: %s log_path is overridden: AddressSanitizer and "
                "LeakSanitizer reports go into the report directory and are printed below "
                "(--keep-reports DIR keeps them)\n",
                var);
    if (setenv("ASAN_OPTIONS", r->asan.asan.options, 1) != 0 ||
        setenv("LSAN_OPTIONS", r->asan.lsan.options, 1) != 0) {
        error_line(strerror(errno));
        return -1;
    }
    return 0;
}

static int set_environment(struct run *r)
{
    char err[PATH_MAX + 256];
    char *preload = preload_compose(r->shim, r->prog.elf.sanitizers_needed, getenv("LD_PRELOAD"),
                                    err, sizeof err);
    if (!preload) {
        error_line(err);
        return TL_STATUS_TOOL_FAILED;
    }
    struct tl__options_request req = {
        .report_dir = r->report_dir,
        .color = want_color(&r->opt),
        .linger_ms = r->opt.linger_ms,
        .mode = r->opt.mode,
        .suppressions = r->opt.suppressions,
        .verbosity = r->opt.verbosity,
        .label = r->opt.label,
    };
    char *options = options_compose(getenv("THREADLEAK_OPTIONS"), &req, err, sizeof err);
    if (options)
        options = run_endpoint_options(options, r->opt.http, err, sizeof err);
    int status = options ? validate_options(options) : TL_STATUS_TOOL_FAILED;
    /* After the check: the keys are the lock module's, which the plain shim's table may lack. */
    if (status == 0 && r->opt.locks) {
        char *with_locks = options_with_locks(options, err, sizeof err);
        free(options);
        options = with_locks;
        status = options ? 0 : TL_STATUS_TOOL_FAILED;
    }
    if (!options)
        error_line(err);
    if (status == 0 && (set_tsan_options(r) != 0 || set_asan_options(r) != 0))
        status = TL_STATUS_TOOL_FAILED;
    if (status == 0 && gate_channel_open(&r->gate, err, sizeof err) != 0) {
        error_line(err);
        status = TL_STATUS_TOOL_FAILED;
    }
    /* The CLI itself is already loaded: LD_PRELOAD only affects what it executes. */
    if (status == 0 &&
        (setenv("LD_PRELOAD", preload, 1) != 0 || setenv("THREADLEAK_OPTIONS", options, 1) != 0 ||
         (r->opt.dump_listener && run_endpoint_setenv() != 0))) {
        error_line(strerror(errno));
        status = TL_STATUS_TOOL_FAILED;
    }
    free(preload);
    free(options);
    return status;
}

static int start_program(struct run *r)
{
    if (child_setup() != 0) {
        fprintf(stderr, "threadleak: cannot set up process supervision: %s\n", strerror(errno));
        return TL_STATUS_TOOL_FAILED;
    }
    int exec_errno = 0;
    r->pid = child_spawn(r->prog.path, r->opt.prog_argv, &exec_errno);
    if (r->pid < 0) {
        fprintf(stderr, "threadleak: cannot execute %s: %s\n", r->prog.path, strerror(exec_errno));
        return exec_errno == ENOENT ? TL_STATUS_NOT_FOUND : TL_STATUS_CANNOT_RUN;
    }
    /* Without the reader the notices are read at the end only: a full queue then drops some,
     * and a dropped "start" makes that process as silent as it was before the gate had one. */
    if (gate_channel_listen(&r->gate) != 0)
        fprintf(stderr, "threadleak: warning: cannot start reading the gate channel: %s\n",
                strerror(errno));
    return 0;
}

static void warn_stragglers(const struct run *r)
{
    struct tl__straggler left[MAX_STRAGGLERS_SHOWN];
    double waited;
    size_t n = child_wait_descendants(r->opt.children_timeout, left, MAX_STRAGGLERS_SHOWN, &waited);
    if (n == 0)
        return;
    fprintf(stderr, "threadleak: warning: %zu %s still running %.1f s after %s exited:", n,
            n == 1 ? "process" : "processes", waited, r->prog.path);
    for (size_t i = 0; i < n && i < MAX_STRAGGLERS_SHOWN; i++)
        fprintf(stderr, "%s %ld (%s)", i ? "," : "", (long)left[i].pid, left[i].comm);
    fprintf(stderr, "%s; %s missing\n", n > MAX_STRAGGLERS_SHOWN ? ", ..." : "",
            n == 1 ? "its report is" : "their reports are");
}

/* Reads the TSan logs of the run; its findings go into the merged report and the status. */
static int collect_tsan(struct run *r, struct tl__tsan_gate *g)
{
    if (tsan_gate_collect(r->report_dir, r->pid, g) != 0) {
        fprintf(stderr, "threadleak: cannot read the ThreadSanitizer logs in %s: %s\n",
                r->report_dir, strerror(errno));
        return -1;
    }
    fputs(g->warnings, stderr);
    r->tsan_findings = g->set.nfindings;
    r->prog_tsan_reported = g->target_reported;
    return 0;
}

/* Reads the ASan and LSan logs of the run, as collect_tsan does the TSan ones. */
static int collect_asan(struct run *r, struct tl__asan_gate *g)
{
    if (asan_gate_collect(r->report_dir, r->pid, g) != 0) {
        fprintf(stderr, "threadleak: cannot read the AddressSanitizer logs in %s: %s\n",
                r->report_dir, strerror(errno));
        return -1;
    }
    fputs(g->warnings, stderr);
    r->asan_findings = g->set.nfindings;
    r->prog_lsan_only = g->target_leak_reported && !g->target_error_reported;
    return 0;
}

/* One line per process that started under the shim and delivered no report, then a summary.
 * They go last, after the reports, where a CI log is read first. */
static void print_undelivered(const struct run *r)
{
    for (size_t i = 0; i < r->nundelivered; i++) {
        const struct tl__undelivered *u = &r->undelivered[i];
        char reason[512];
        gate_undelivered_reason(u, reason, sizeof reason);
        fprintf(stderr, "threadleak: process %ld (%s) delivered no report: it %s\n", (long)u->pid,
                u->exe, reason);
    }
    if (r->nundelivered > 0)
        fprintf(stderr,
                "threadleak: %zu %s started under the shim and delivered no report; threadleak "
                "cannot vouch for %s, so the run fails\n",
                r->nundelivered, r->nundelivered == 1 ? "process" : "processes",
                r->nundelivered == 1 ? "it" : "them");
}

/* --baseline, --write-baseline: the known findings leave the report and the counts the status is
 * decided from (baseline_gate.h). Returns 0, or -1 when the baseline could not be written. */
static int apply_baseline(struct run *r, struct tl__merge_result *m)
{
    struct tl__baseline_known known;
    if (baseline_gate_apply(&r->baseline, r->pid, m, &known) != 0)
        return -1;
    r->tsan_findings -= known.tsan < r->tsan_findings ? known.tsan : r->tsan_findings;
    r->asan_findings -= known.asan < r->asan_findings ? known.asan : r->asan_findings;
    return 0;
}

/* Prints the merged report and writes --json. Returns whether threads leaked (1), none did (0),
 * or the reports could not be read or written (-1). */
static int report(struct run *r)
{
    struct tl__tsan_gate g;
    struct tl__asan_gate a;
    if (collect_tsan(r, &g) != 0)
        return -1;
    if (collect_asan(r, &a) != 0) {
        tsan_gate_free(&g);
        return -1;
    }
    char count[32], asan_count[32];
    snprintf(count, sizeof count, "%zu", g.set.nfindings);
    snprintf(asan_count, sizeof asan_count, "%zu", a.set.nfindings);
    const char *elf = r->prog.interpreter[0] ? r->prog.interpreter : r->prog.path;
    bool instrumented = tsan_build_of(elf, &r->prog.elf) != TL_TSAN_BUILD_NONE;
    bool asan_instrumented = asan_build_of(elf, &r->prog.elf) != TL_ASAN_BUILD_NONE;
    char *undelivered_json = gate_undelivered_json(r->undelivered, r->nundelivered);
    if (!undelivered_json) {
        tsan_gate_free(&g);
        asan_gate_free(&a);
        return -1;
    }
    char started[32], undelivered[32];
    snprintf(started, sizeof started, "%zu", r->nstarted);
    snprintf(undelivered, sizeof undelivered, "%zu", r->nundelivered);
    const struct tl__merge_member top[] = {
        {"tsan_instrumented", instrumented ? "true" : "false"},
        {"tsan_findings", g.findings_json},
        {"tsan_messages", g.messages_json},
        {"asan_instrumented", asan_instrumented ? "true" : "false"},
        {"asan_findings", a.findings_json},
        {"asan_messages", a.messages_json},
        {"undelivered", undelivered_json}};
    const struct tl__merge_member summary[] = {{"tsan_findings", count},
                                               {"asan_findings", asan_count},
                                               {"started", started},
                                               {"undelivered", undelivered}};
    const struct tl__merge_extras extras = {top, 7, summary, 4};
    struct tl__merge_result m;
    if (report_merge_dir_extras(r->report_dir, r->pid, &extras, &m) != 0) {
        fprintf(stderr, "threadleak: cannot read the reports in %s: %s\n", r->report_dir,
                strerror(errno));
        tsan_gate_free(&g);
        asan_gate_free(&a);
        free(undelivered_json);
        return -1;
    }
    free(undelivered_json);
    bool baseline_failed = apply_baseline(r, &m) != 0;
    fputs(m.warnings, stderr);
    if (m.processes == 0 && r->nstarted == 0 && r->nundelivered == 0 && WIFEXITED(r->wait_status))
        fprintf(stderr,
                "threadleak: warning: no process wrote a report; was the shim (%s) loaded?\n",
                r->shim);
    if (!r->opt.quiet) {
        fputs(m.text, stderr);
        fputs(g.text, stderr);
        fputs(a.text, stderr);
    }
    print_undelivered(r); /* even with -q: it decides the status */
    r->locks = m.locks;
    int result = baseline_failed ? -1 : m.leaked_threads > 0 ? 1 : 0;
    if (r->opt.json_path && report_merge_write_json(r->opt.json_path, m.json) != 0)
        result = -1;
    const struct tl__ci_outputs ci = {r->opt.junit_path, r->opt.sarif_path, r->opt.source_root,
                                      r->opt.fail_on};
    if (ci_reports_write(&ci, &m) != 0)
        result = -1;
    report_merge_free(&m);
    tsan_gate_free(&g);
    asan_gate_free(&a);
    return result;
}

/* Out of memory while counting who delivered: the gate cannot vouch for the run, so it fails. */
static int report_unaccounted(void)
{
    fprintf(stderr, "threadleak: cannot tell which processes delivered their reports: out of "
                    "memory\n");
    return TL_STATUS_TOOL_FAILED;
}

static void remove_report_dir(const struct run *r)
{
    char err[PATH_MAX + 256];
    if (r->private_dir && report_dir_remove(r->report_dir, err, sizeof err) != 0)
        fprintf(stderr, "threadleak: warning: %s\n", err);
}

/* See gate_status.h: PROG's status, unless it exited 0 (or TSan replaced its status) and a
 * failing category has findings, or the reports were lost. */
static int final_status(const struct run *r, int leaked)
{
    const struct tl__gate_outcome o = {
        .prog_wait_status = r->wait_status,
        .leaked = leaked,
        .tsan_findings = r->tsan_findings,
        .prog_tsan_reported = r->prog_tsan_reported,
        .tsan_exitcode = r->tsan.exitcode,
        .asan_findings = r->asan_findings,
        .prog_lsan_only = r->prog_lsan_only,
        .asan_exitcode = r->asan.exitcode,
        .fail_on = r->opt.fail_on,
        .exitcode = r->opt.exitcode,
        .undelivered = r->nundelivered,
        .deadlocks = r->locks.deadlocks,
        .lock_order = r->locks.lock_order,
        .misuse = r->locks.misuse,
        .prog_deadlocked = r->locks.target_deadlocked,
    };
    return gate_final_status(&o);
}

static int run_under_shim(struct run *r)
{
    int status = make_report_dir(r);
    if (status != 0)
        return status;
    status = set_environment(r);
    if (status == 0)
        status = start_program(r);
    if (status == 0) {
        r->wait_status = r->opt.timeout > 0 ? run_timeout_wait(r->pid, r->opt.timeout,
                                                               r->report_dir, &r->timed_out)
                                            : child_wait_prog(r->pid);
        warn_stragglers(r);
        gate_channel_stop(&r->gate);
        /* After --timeout every process was killed on purpose: 124 says so, and nothing else. */
        if (r->timed_out)
            status = TL_STATUS_TIMED_OUT;
        else if (gate_channel_undelivered(&r->gate, r->report_dir, r->pid, child_wait_reaped_status,
                                          &r->undelivered, &r->nundelivered, &r->nstarted) != 0)
            status = report_unaccounted();
        else
            status = final_status(r, report(r));
    }
    remove_report_dir(r);
    tsan_env_free(&r->tsan);
    asan_env_free(&r->asan);
    gate_channel_free(&r->gate);
    free(r->undelivered);
    return status;
}

int cli_run_main(int argc, char **argv)
{
    static struct run r; /* large (paths); the CLI runs one command */
    memset(&r, 0, sizeof r);
    int status = run_options_parse(argc, argv, &r.opt, stderr);
    if (status != 0)
        return status;
    if (r.opt.help) {
        run_options_usage(stdout);
        return 0;
    }
    status = baseline_gate_open(&r.baseline, r.opt.baseline, r.opt.baseline_out, r.opt.source_root);
    if (status == 0)
        status = find_shim(&r);
    if (status == 0)
        status = check_program(&r);
    if (status == 0)
        status = run_under_shim(&r);
    baseline_gate_close(&r.baseline);
    return status;
}
