/* invisible_driver PROG SHIM CLI [CASE...]: runs call_matrix (PROG) for every case (or the ones
 * named), natively and under three storms of thread dumps, and compares each storm's answer with
 * its native twin's (docs/invisible-matrix.md):
 *
 *   http  LD_PRELOAD=SHIM, http=127.0.0.1:0; this process fetches /debug/threads?debug=2
 *   dump  LD_PRELOAD=SHIM, THREADLEAK_DUMP_LISTENER=1; this process runs `CLI dump PID`
 *   api   LD_PRELOAD=SHIM; the program calls tl_verify_none with ignore_top from a third thread
 *
 * Every dump is spread over the time the worker waits in its call, and each must show the worker
 * waiting in it (a dump that missed the call does not count): a storm that fell short fails the
 * run, so a pass always means N dumps hit the call. A run differs from its twin when its return
 * value, errno or reported remaining time differ, its own verdict is not "ok" (it returned early
 * or late), its elapsed time is more than 500 ms from the twin's, or its exit status differs.
 *
 * Environment:
 *   TL_STORM=N          dumps per run in every storm (default: 20; threadleak dump 10)
 *   TL_MATRIX_MODES     comma-separated storms to run (default http,dump,api)
 *   TL_MATRIX_JOBS      runs at once (default 8)
 *   TL_MATRIX_MS        the calls' timeout; by default 1600 ms, longer when a storm needs it
 *   TL_MATRIX_OPTIONS   more THREADLEAK_OPTIONS for the storm runs (stacks=nosignal: no signal)
 *   TL_MATRIX_KEEP=1    keep each run's directory (its stderr, reports) and name it
 *   TL_MATRIX_LOCKS_PAGE=1  the http storm fetches /debug/locks after each dump (SHIM being
 *                       the lock module), which must answer 200 with its page
 * Exit status: 0 no differences, 1 some, 2 a usage or set-up error. */
#include "test_endpoint_http.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_NATIVE, MODE_HTTP, MODE_DUMP, MODE_API, MODE_COUNT };
static const char *const mode_names[MODE_COUNT] = {"native", "http", "dump", "api"};
/* What one dump costs here at most, in ms, to size the call so that the storm fits (twice over)
 * in the part of the wait before the release. */
static const long dump_cost_ms[MODE_COUNT] = {0, 10, 45, 10};

static const char *prog, *shim, *cli;
static long storm[MODE_COUNT];
static long call_ms_default;

/* One run's answer, as the child that made it writes it back to the driver. */
struct run {
    char result[512]; /* call_matrix's result line, or why there is none */
    long ret_ok;      /* the fields, parsed from result */
    char ret[32], err[32], extra[64], verdict[64];
    long elapsed_ms;
    int status;     /* exit status, or 128 + signal, or -1 */
    long hits;      /* dumps that found the worker inside its call */
    long sent;      /* dumps made */
    long failed;    /* dumps that failed (status, exit, no worker) before the call ended */
    char seen[768]; /* the worker's state in the first dump that hit, or why a dump failed */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_until_ms(long long at)
{
    struct timespec ts = {.tv_sec = at / 1000, .tv_nsec = at % 1000 * 1000000L};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1) {
        fprintf(stderr, "invisible_driver: %s=%s: want a positive number\n", name, v);
        exit(2);
    }
    return n;
}

/* Reads one line from fd into buf within timeout_ms; false on timeout or end of file. */
static bool read_line(int fd, char *buf, size_t len, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    size_t n = 0;
    while (n + 1 < len) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        if (c == '\n')
            break;
        buf[n++] = c;
    }
    buf[n] = '\0';
    return true;
}

/* The worker's state in a debug=2 dump: the bracket after `thread TID "matrix-worker" [`. */
static bool worker_state(const char *text, int tid, char *out, size_t len)
{
    char head[64];
    snprintf(head, sizeof head, "thread %d \"matrix-worker\" [", tid);
    const char *p = text ? strstr(text, head) : NULL;
    if (!p)
        return false;
    p += strlen(head);
    const char *end = strchr(p, ']');
    if (!end)
        return false;
    snprintf(out, len, "%.*s", (int)(end - p), p);
    return true;
}

/* A dump hit the call when it shows the worker waiting (not running, stopped or gone). */
static bool waiting(const char *state)
{
    return strncmp(state, "running", 7) != 0 && strncmp(state, "exit", 4) != 0 &&
           strncmp(state, "stopped", 7) != 0;
}

static void note_dump(struct run *r, bool ok, const char *state, const char *why)
{
    r->sent++;
    if (ok && waiting(state)) {
        r->hits++;
        if (!r->seen[0])
            snprintf(r->seen, sizeof r->seen, "%s", state);
    } else {
        r->failed++;
        snprintf(r->seen, sizeof r->seen, "dump %ld: %s", r->sent, why ? why : state);
    }
}

/* TL_MATRIX_LOCKS_PAGE=1 (with the lock module): each dump of the http storm fetches
 * /debug/locks too, which takes a dump of its own. */
static bool locks_page;

static bool http_dump(const char *where, int tid, struct run *r)
{
    struct http_reply h = http_get(where, "/debug/threads?debug=2");
    char state[96] = "";
    char why[64];
    snprintf(why, sizeof why, "HTTP status %d", h.status);
    bool ok = h.status == 200 && worker_state(h.body, tid, state, sizeof state);
    if (ok && locks_page) {
        struct http_reply l = http_get(where, "/debug/locks");
        ok = l.status == 200 && strstr(l.body, "held locks and waits") != NULL;
        if (!ok)
            snprintf(why, sizeof why, "/debug/locks: HTTP status %d", l.status);
        http_reply_free(&l);
    }
    note_dump(r, ok, state, ok ? NULL : h.status == 200 ? "no worker in the dump" : why);
    http_reply_free(&h);
    return ok;
}

/* Waits for the CLI; when the program's result is there (the process is ending and may never
 * answer), gives it 300 ms more and then stops it. */
static int wait_cli(pid_t child, int result_fd)
{
    long long stop_at = 0;
    for (;;) {
        int status;
        if (waitpid(child, &status, WNOHANG) == child)
            return status;
        struct pollfd p = {.fd = result_fd, .events = POLLIN};
        if (!stop_at && poll(&p, 1, 0) != 0)
            stop_at = now_ms() + 300;
        if (stop_at && now_ms() > stop_at) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            return -1;
        }
        sleep_until_ms(now_ms() + 2);
    }
}

static bool cli_dump(const char *dir, pid_t pid, int tid, int result_fd, struct run *r)
{
    char out_path[512], pid_arg[32];
    snprintf(out_path, sizeof out_path, "%s/cli-dump.txt", dir);
    snprintf(pid_arg, sizeof pid_arg, "%ld", (long)pid);
    pid_t child = fork();
    if (child == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execl(cli, cli, "dump", pid_arg, (char *)NULL);
        _exit(127);
    }
    int status = wait_cli(child, result_fd);
    char *text = slurp(out_path, NULL);
    char state[96] = "", why[64];
    snprintf(why, sizeof why,
             status < 0 ? "threadleak dump stopped: the process ended"
                        : "threadleak dump exited %d",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    bool exited0 = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    bool ok = exited0 && worker_state(text, tid, state, sizeof state);
    note_dump(r, ok, state, ok ? NULL : exited0 ? "no worker in the dump" : why);
    free(text);
    return ok;
}

/* Waits until pid has threadleak's services thread (named "threadleak" while it listens for
 * dump requests, as `threadleak dump` checks). */
static bool wait_listener(pid_t pid, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
    do {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char comm_path[128];
            snprintf(comm_path, sizeof comm_path, "%s/%.32s/comm", path, e->d_name);
            char *comm = e->d_name[0] == '.' ? NULL : slurp(comm_path, NULL);
            bool found = comm && strcmp(comm, "threadleak\n") == 0;
            free(comm);
            if (found) {
                closedir(d);
                return true;
            }
        }
        if (d)
            closedir(d);
        sleep_until_ms(now_ms() + 5);
    } while (now_ms() < deadline);
    return false;
}

static void parse_result(struct run *r)
{
    const char *p;
    if ((p = strstr(r->result, " ret=")))
        sscanf(p, " ret=%31s", r->ret);
    if ((p = strstr(r->result, " errno=")))
        sscanf(p, " errno=%31s", r->err);
    if ((p = strstr(r->result, " elapsed_ms=")))
        sscanf(p, " elapsed_ms=%ld", &r->elapsed_ms);
    if ((p = strstr(r->result, " extra=")))
        sscanf(p, " extra=%63s", r->extra);
    if ((p = strstr(r->result, " verdict=")))
        snprintf(r->verdict, sizeof r->verdict, "%s", p + 9);
}

/* Runs one case in one mode, in a child of the driver; the answer goes to out_path. */
static void run_one(const char *name, enum mode m, long call_ms, const char *out_path)
{
    struct run r = {.status = -1, .elapsed_ms = -1};
    char dir[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tl-invisible-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(r.result, sizeof r.result, "mkdtemp failed");
        goto out;
    }
    char ms[64], preload[600], options[600], api[64], err_path[300];
    snprintf(ms, sizeof ms, "TL_MATRIX_MS=%ld", call_ms);
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
    const char *more = getenv("TL_MATRIX_OPTIONS");
    snprintf(options, sizeof options, "THREADLEAK_OPTIONS=%sreport_dir=%s%s%s",
             m == MODE_HTTP ? "http=127.0.0.1:0:" : "", dir, more && *more ? ":" : "",
             more && *more ? more : "");
    snprintf(api, sizeof api, "TL_MATRIX_API_STORM=%ld", storm[MODE_API]);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
    int out[2], in[2];
    if (pipe(out) != 0 || pipe(in) != 0)
        goto out;
    pid_t pid = fork();
    if (pid == 0) {
        putenv(ms);
        putenv("TL_MATRIX_GO=1");
        unsetenv("LD_PRELOAD");
        unsetenv("THREADLEAK_OPTIONS");
        unsetenv("TL_MATRIX_API_STORM");
        if (m != MODE_NATIVE) {
            putenv(preload);
            putenv(options);
        }
        if (m == MODE_DUMP)
            putenv("THREADLEAK_DUMP_LISTENER=1");
        if (m == MODE_API)
            putenv(api);
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(out[0]);
        close(in[1]);
        execl(prog, prog, name, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(in[0]);
    char line[256], where[64] = "";
    long limit = call_ms + 15000;
    if (!read_line(out[0], line, sizeof line, 20000) || strncmp(line, "setup ", 6) != 0) {
        snprintf(r.result, sizeof r.result, "no setup line (see %s)", err_path);
        goto reap;
    }
    /* the storm's source must be up before the call starts */
    if (m == MODE_HTTP) {
        char port_file[300];
        snprintf(port_file, sizeof port_file, "%s/threadleak.%ld.http", dir, (long)pid);
        char *addr = wait_for_line_file(port_file, 20000);
        if (addr)
            snprintf(where, sizeof where, "%s", addr);
        free(addr);
        if (!where[0])
            snprintf(r.seen, sizeof r.seen, "no port file");
    } else if (m == MODE_DUMP && !wait_listener(pid, 20000)) {
        snprintf(r.seen, sizeof r.seen, "no dump listener");
    }
    if (write(in[1], "go\n", 3) != 3) {
        snprintf(r.result, sizeof r.result, "could not start the call");
        goto reap;
    }
    if (!read_line(out[0], line, sizeof line, 10000) || strncmp(line, "ready ", 6) != 0) {
        snprintf(r.result, sizeof r.result, "no ready line (see %s)", err_path);
        goto reap;
    }
    long long ready_at = now_ms();
    int tid = 0;
    sscanf(strstr(line, " tid=") ? strstr(line, " tid=") : "", " tid=%d", &tid);

    if (m == MODE_HTTP || m == MODE_DUMP) {
        /* every dump before the release (or the timeout), which comes at 3/4 of call_ms */
        long long end = ready_at + call_ms * 3 / 4 - 250;
        long long start = now_ms();
        long long step = (end - start) / storm[m];
        for (long i = 0; i < storm[m] && (m != MODE_HTTP || where[0]); i++) {
            sleep_until_ms(start + i * step);
            struct pollfd p = {.fd = out[0], .events = POLLIN};
            if (poll(&p, 1, 0) != 0)
                break; /* the call is over: its result is there */
            if (m == MODE_HTTP)
                http_dump(where, tid, &r);
            else
                cli_dump(dir, pid, tid, out[0], &r);
        }
    }
    if (read_line(out[0], line, sizeof line, limit))
        snprintf(r.result, sizeof r.result, "%s", line);
    else
        snprintf(r.result, sizeof r.result, "no result line (see %s)", err_path);
    if (m == MODE_API && read_line(out[0], line, sizeof line, 5000)) {
        long verify = 0, hits = 0, fails = 0, late = 0;
        sscanf(line, "api verify=%ld hits=%ld fails=%ld late=%ld", &verify, &hits, &fails, &late);
        r.sent = verify;
        r.hits = hits;
        r.failed = fails;
        if (fails)
            snprintf(r.seen, sizeof r.seen, "%ld checks did not ignore the worker", fails);
        else if (late)
            snprintf(r.seen, sizeof r.seen, "%ld checks ended after the call", late);
    }
reap:;
    int status = wait_exit(pid, (unsigned)limit);
    r.status = status < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    close(out[0]);
    close(in[1]);
    if (!getenv("TL_MATRIX_KEEP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "invisible_driver: could not remove %s\n", dir);
    } else {
        /* TL_MATRIX_KEEP: the run's stderr and reports stay for a look */
        snprintf(r.seen + strlen(r.seen), sizeof r.seen - strlen(r.seen), " [%s]", dir);
    }
out:
    parse_result(&r);
    FILE *f = fopen(out_path, "w");
    if (f) {
        fwrite(&r, sizeof r, 1, f);
        fclose(f);
    }
}

/* --- the schedule: every (case, mode) run, J at a time --- */

struct job {
    const char *name;
    enum mode mode;
    long call_ms;
    pid_t pid;
    struct run run;
    bool done, retried;
};

static bool same_field(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* How a run differs from its twin. A run whose storm fell short, or whose only difference is its
 * timing (late, or more than 500 ms from the twin), proves nothing either way on a loaded machine:
 * its case is run once more, with longer calls. Any other difference is final. */
enum kind { SAME, REAL, INCONCLUSIVE };

/* Why run differs from its native twin (in buf), and how. */
static enum kind difference(const struct run *twin, const struct run *r, enum mode m, char *buf,
                            size_t len)
{
    if (!r->ret[0] || !r->verdict[0])
        snprintf(buf, len, "%s", r->result);
    else if (!same_field(twin->ret, r->ret) || !same_field(twin->err, r->err))
        snprintf(buf, len, "ret=%s errno=%s, native ret=%s errno=%s", r->ret, r->err, twin->ret,
                 twin->err);
    else if (!same_field(twin->extra, r->extra))
        snprintf(buf, len, "%s, native %s", r->extra, twin->extra);
    else if (strcmp(r->verdict, "fail why=late") == 0) {
        snprintf(buf, len, "late: %ld ms, native %ld ms", r->elapsed_ms, twin->elapsed_ms);
        return INCONCLUSIVE;
    } else if (strcmp(r->verdict, "ok") != 0)
        snprintf(buf, len, "verdict %s after %ld ms", r->verdict, r->elapsed_ms);
    else if (labs(r->elapsed_ms - twin->elapsed_ms) > 500) {
        snprintf(buf, len, "%ld ms, native %ld ms", r->elapsed_ms, twin->elapsed_ms);
        return INCONCLUSIVE;
    } else if (m == MODE_API && r->failed > 0) {
        /* a check may fall back to the start routine when the worker could not be reached */
        snprintf(buf, len, "%ld of %ld checks did not ignore the worker (no matrix_* frame on top)",
                 r->failed, r->sent);
        return INCONCLUSIVE;
    } else if (r->hits < storm[m]) {
        snprintf(buf, len, "storm fell short: %ld of %ld dumps hit the call (%s)", r->hits,
                 storm[m], r->seen);
        return INCONCLUSIVE;
    } else if (r->status != twin->status)
        snprintf(buf, len, "exit status %d, native %d", r->status, twin->status);
    else
        return SAME;
    return REAL;
}

static bool twin_ok(const struct run *twin)
{
    return strcmp(twin->verdict, "ok") == 0 && twin->status == 0;
}

/* Runs the jobs marked pending, jobs_at_once at a time, each in a child of its own. */
static void run_jobs(struct job *jobs, size_t njobs, const bool *pending, long jobs_at_once,
                     const char *work)
{
    size_t next = 0, running = 0;
    for (;;) {
        while (running < (size_t)jobs_at_once && next < njobs) {
            if (!pending[next]) {
                next++;
                continue;
            }
            struct job *j = &jobs[next];
            char path[400];
            snprintf(path, sizeof path, "%s/%zu", work, next);
            fflush(stdout);
            j->done = false;
            j->pid = fork();
            if (j->pid == 0) {
                run_one(j->name, j->mode, j->call_ms, path);
                _exit(0);
            }
            next++;
            running++;
        }
        if (running == 0)
            return;
        pid_t pid = wait(NULL);
        for (size_t i = 0; i < next; i++)
            if (pending[i] && jobs[i].pid == pid && !jobs[i].done) {
                char path[400];
                snprintf(path, sizeof path, "%s/%zu", work, i);
                FILE *f = fopen(path, "r");
                memset(&jobs[i].run, 0, sizeof jobs[i].run);
                if (!f || fread(&jobs[i].run, sizeof jobs[i].run, 1, f) != 1)
                    snprintf(jobs[i].run.result, sizeof jobs[i].run.result, "no answer");
                if (f)
                    fclose(f);
                unlink(path);
                jobs[i].done = true;
                running--;
            }
    }
}

static int list_cases(const char ***names)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        execl(prog, prog, "--list", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    int n = 0;
    *names = NULL;
    char line[128];
    while (read_line(p[0], line, sizeof line, 5000)) {
        *names = realloc(*names, sizeof **names * (size_t)(n + 1));
        (*names)[n++] = strdup(line);
    }
    close(p[0]);
    waitpid(pid, NULL, 0);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: invisible_driver CALL_MATRIX SHIM CLI [CASE...]\n");
        return 2;
    }
    prog = argv[1];
    shim = argv[2];
    cli = argv[3];
    setvbuf(stdout, NULL, _IOLBF, 0);
    bool wanted[MODE_COUNT] = {true, false, false, false};
    const char *modes = getenv("TL_MATRIX_MODES");
    if (!modes || !*modes)
        modes = "http,dump,api";
    for (int m = 1; m < MODE_COUNT; m++) {
        const char *p = strstr(modes, mode_names[m]);
        size_t l = strlen(mode_names[m]);
        wanted[m] = p && (p == modes || p[-1] == ',') && (p[l] == ',' || p[l] == '\0');
    }
    locks_page = env_long("TL_MATRIX_LOCKS_PAGE", 0) != 0;
    long n = env_long("TL_STORM", 0);
    for (int m = 1; m < MODE_COUNT; m++)
        storm[m] = n ? n : m == MODE_DUMP ? 10 : 20;
    /* One timeout for every run, so that one native twin serves every storm: long enough that
     * each storm fits twice over between the worker's "ready" and 250 ms before the release. */
    long t = 1600;
    for (int m = 1; m < MODE_COUNT; m++) {
        long cost = dump_cost_ms[m] * (m == MODE_HTTP && locks_page ? 3 : 1);
        long need = (storm[m] * cost * 2 + 250) * 4 / 3 + 1;
        if (wanted[m] && need > t)
            t = need;
    }
    t = env_long("TL_MATRIX_MS", t);
    call_ms_default = t;
    long jobs_at_once = env_long("TL_MATRIX_JOBS", 8);

    const char **names;
    int ncases;
    if (argc > 4) {
        names = (const char **)argv + 4;
        ncases = argc - 4;
    } else if ((ncases = list_cases(&names)) <= 0) {
        fprintf(stderr, "invisible_driver: %s --list gave no cases\n", prog);
        return 2;
    }
    char work[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(work, sizeof work, "%s/tl-invisible-driver-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(work))
        return 2;

    printf("invisible_driver: %d cases; calls of %ld ms; storms:", ncases, t);
    for (int m = 1; m < MODE_COUNT; m++)
        if (wanted[m])
            printf(" %s %ld", mode_names[m], storm[m]);
    printf("\n");

    size_t njobs = 0;
    struct job *jobs = calloc((size_t)ncases * MODE_COUNT, sizeof *jobs);
    for (int c = 0; c < ncases; c++)
        for (int m = 0; m < MODE_COUNT; m++)
            if (wanted[m])
                jobs[njobs++] = (struct job){.name = names[c], .mode = (enum mode)m, .call_ms = t};
    bool *pending = calloc(njobs, sizeof *pending);
    for (size_t i = 0; i < njobs; i++)
        pending[i] = true;
    run_jobs(jobs, njobs, pending, jobs_at_once, work);
    /* Once more, with calls three times as long (a loaded machine makes dumps slow): every run of
     * a case that had an inconclusive run or whose twin failed on its own, the twin included. */
    size_t retries = 0;
    for (size_t i = 0; i < njobs;) {
        size_t end = i + 1;
        bool again = !twin_ok(&jobs[i].run);
        for (; end < njobs && jobs[end].name == jobs[i].name; end++) {
            char buf[1024];
            if (difference(&jobs[i].run, &jobs[end].run, jobs[end].mode, buf, sizeof buf) ==
                INCONCLUSIVE)
                again = true;
        }
        for (size_t j = i; j < end; j++) {
            pending[j] = jobs[j].retried = again;
            jobs[j].call_ms = again ? t * 3 : t;
            retries += again;
        }
        i = end;
    }
    if (retries > 0) {
        printf("invisible_driver: %zu runs once more, with calls of %ld ms\n", retries, t * 3);
        run_jobs(jobs, njobs, pending, jobs_at_once, work);
    }
    free(pending);
    rmdir(work);

    int differ = 0, runs = 0;
    printf("\n%-20s %-34s", "case", "native");
    for (int m = 1; m < MODE_COUNT; m++)
        if (wanted[m])
            printf(" %-13s", mode_names[m]);
    printf("\n");
    char *details = NULL;
    size_t details_len = 0;
    FILE *d = open_memstream(&details, &details_len);
    for (size_t i = 0; i < njobs;) {
        const struct run *twin = &jobs[i].run;
        const char *name = jobs[i].name;
        char native[80];
        snprintf(native, sizeof native, "ret=%s errno=%s %ld ms", twin->ret, twin->err,
                 twin->elapsed_ms);
        printf("%-20s %-34s", name, native);
        if (!twin_ok(twin)) {
            differ++;
            fprintf(d, "%s native: failed on its own: %s (exit %d)\n", name, twin->result,
                    twin->status);
        }
        size_t j = i + 1;
        for (; j < njobs && jobs[j].name == name; j++) {
            char why[1024];
            const struct run *r = &jobs[j].run;
            bool same = difference(twin, r, jobs[j].mode, why, sizeof why) == SAME;
            runs++;
            if (!same) {
                differ++;
                fprintf(d, "%s %s: %s\n", name, mode_names[jobs[j].mode], why);
            }
            char cell[32];
            snprintf(cell, sizeof cell, "%s%s %ld/%ld", same ? "same" : "DIFF",
                     jobs[j].retried ? "*" : "", r->hits, storm[jobs[j].mode]);
            printf(" %-13s", cell);
        }
        printf("\n");
        i = j;
    }
    fclose(d);
    printf("\n%s", details);
    free(details);
    printf("invisible_driver: %d of %d storm runs differ from their native twin (N/M: N of M dumps "
           "hit the call; *: run twice, the second answer shown)\n",
           differ, runs);
    return differ ? 1 : 0;
}
