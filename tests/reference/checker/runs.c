/* Running corpus programs: under the threadleak CLI, or a TSan build alone with its logs in a
 * scratch directory. Every run gets a fresh directory under the checker's work directory, which
 * is removed afterwards, so that runs never see each other's files. */
#include "corpus.h"

#include "proc_run.h"
#include "asan_gate.h"
#include "tsan_gate.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 32

bool program_path(const struct checker *c, const char *variant, const char *name, char *out,
                  size_t len)
{
    snprintf(out, len, "%s/%s/%s", c->binaries, variant, name);
    return access(out, X_OK) == 0;
}

double timeout_for(const struct checker *c, const struct manifest *m, const char *variant)
{
    if (!variant || !manifest_tsan_for(m, variant)->hangs)
        return c->timeout_s;
    /* A deadlocking program is stuck within milliseconds; no need to wait as long as for a
     * program that hangs at exit. */
    return m->deadlocks && c->hang_timeout_s > 2 ? 2 : c->hang_timeout_s;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(len > 0 ? (size_t)len + 1 : 1);
    size_t n = len > 0 ? fread(buf, 1, (size_t)len, f) : 0;
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int make_scratch(const struct checker *c, char *dir, size_t len)
{
    snprintf(dir, len, "%s/run.XXXXXX", c->work);
    return mkdtemp(dir) ? 0 : -1;
}

static void take_output(struct proc_result *p, struct run_result *r)
{
    r->status = p->status;
    r->timed_out = p->timed_out;
    r->seconds = p->seconds;
    r->out = p->out;
    r->err = p->err;
    p->out = p->err = NULL;
}

int run_under_cli(const struct checker *c, const char *variant, const char *name,
                  const char *const *extra_args, const char *const *env, double timeout_s,
                  struct run_result *r)
{
    memset(r, 0, sizeof *r);
    char prog[4096], dir[4096], json[4200], reports[4200];
    if (!program_path(c, variant, name, prog, sizeof prog) || make_scratch(c, dir, sizeof dir) != 0)
        return -1;
    snprintf(json, sizeof json, "%s/merged.json", dir);
    snprintf(reports, sizeof reports, "%s/reports", dir);
    const char *argv[MAX_ARGS + 12] = {c->cli, "run", "--json", json, "--keep-reports", reports};
    size_t n = 6;
    for (; extra_args && *extra_args && n < MAX_ARGS; extra_args++)
        argv[n++] = *extra_args;
    argv[n++] = "--";
    argv[n++] = prog;
    argv[n] = NULL;
    struct proc_spec spec = {argv, env, timeout_s};
    struct proc_result p;
    int rc = proc_run(&spec, &p);
    if (rc == 0) {
        take_output(&p, r);
        r->json = read_file(json);
        proc_result_free(&p);
    }
    remove_tree(dir);
    return rc;
}

int run_tsan_alone(const struct checker *c, const char *variant, const char *name,
                   const char *tsan_options, double timeout_s, struct run_result *r)
{
    memset(r, 0, sizeof *r);
    char prog[4096], dir[4096], options[8400];
    if (!program_path(c, variant, name, prog, sizeof prog) || make_scratch(c, dir, sizeof dir) != 0)
        return -1;
    snprintf(options, sizeof options, "TSAN_OPTIONS=%s log_path='%s/tsan'",
             tsan_options ? tsan_options : "", dir);
    const char *argv[] = {prog, NULL};
    const char *env[] = {options, "LD_PRELOAD", "THREADLEAK_OPTIONS", NULL};
    struct proc_spec spec = {argv, env, timeout_s};
    struct proc_result p;
    int rc = proc_run(&spec, &p);
    if (rc == 0) {
        take_output(&p, r);
        proc_result_free(&p);
        struct tl__tsan_gate g;
        rc = tsan_gate_collect(dir, 0, &g);
        if (rc == 0) {
            tsan_verdict_from_set(&g.set, &r->tsan);
            r->tsan_logs = g.logs > 0;
        }
        tsan_gate_free(&g);
    }
    remove_tree(dir);
    return rc;
}

int run_asan_alone(const struct checker *c, const char *variant, const char *name, double timeout_s,
                   struct run_result *r)
{
    memset(r, 0, sizeof *r);
    char prog[4096], dir[4096], options[4200];
    if (!program_path(c, variant, name, prog, sizeof prog) || make_scratch(c, dir, sizeof dir) != 0)
        return -1;
    snprintf(options, sizeof options, "ASAN_OPTIONS=log_path='%s/asan'", dir);
    const char *argv[] = {prog, NULL};
    const char *env[] = {options, "LSAN_OPTIONS", "LD_PRELOAD", "THREADLEAK_OPTIONS", NULL};
    struct proc_spec spec = {argv, env, timeout_s};
    struct proc_result p;
    int rc = proc_run(&spec, &p);
    if (rc == 0) {
        take_output(&p, r);
        proc_result_free(&p);
        struct tl__asan_gate g;
        rc = asan_gate_collect(dir, 0, &g);
        if (rc == 0)
            asan_verdict_from_set(&g.set, &r->asan);
        asan_gate_free(&g);
    }
    remove_tree(dir);
    return rc;
}

void run_result_free(struct run_result *r)
{
    free(r->json);
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}
