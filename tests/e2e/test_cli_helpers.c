/* Process plumbing for the CLI tests: fork, exec with a changed environment, collect both output
 * streams through pipes with poll, so that neither can fill up and block the CLI. */
#include "test_cli_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *cli_path;
const char *stub_shim_path;

void cli_paths_from_args(int argc, char **argv, int first_extra)
{
    if (argc < first_extra) {
        fprintf(stderr, "usage: %s CLI STUB_SHIM ...\n", argv[0]);
        exit(2);
    }
    cli_path = argv[1];
    stub_shim_path = argv[2];
}

const char *cli_optional_path(const char *arg)
{
    return strcmp(arg, "none") == 0 ? "" : arg;
}

const char *const *with_stub(const char *const *extra)
{
    static char shim[4200];
    static const char *env[32];
    snprintf(shim, sizeof shim, "THREADLEAK_SHIM=%s", stub_shim_path);
    size_t n = 0;
    env[n++] = shim;
    for (; extra && *extra && n < 31; extra++)
        env[n++] = *extra;
    env[n] = NULL;
    return env;
}

static void apply_env(const char *const *env)
{
    for (; env && *env; env++) {
        const char *eq = strchr(*env, '=');
        if (!eq) {
            unsetenv(*env);
            continue;
        }
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *env), *env);
        setenv(name, eq + 1, 1);
    }
}

static void exec_cli(const char *const *args, const char *const *env)
{
    const char *argv[64] = {cli_path};
    size_t n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    apply_env(env);
    execv(cli_path, (char *const *)argv);
    perror(cli_path);
    _exit(255);
}

pid_t cli_start(const char *const *args, const char *const *env, int *out_fd)
{
    int out[2];
    if (pipe(out) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        exec_cli(args, env);
    }
    close(out[1]);
    *out_fd = out[0];
    return pid;
}

bool read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (c == '\n') {
            buf[n] = '\0';
            return true;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    return n > 0;
}

int wait_status(pid_t pid, bool *signalled)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            abort();
    }
    *signalled = WIFSIGNALED(st);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Appends what fd has to *buf; returns false at end of file. */
static bool drain(int fd, char **buf, size_t *len)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
        return true;
    if (n <= 0)
        return false;
    *buf = realloc(*buf, *len + (size_t)n + 1);
    memcpy(*buf + *len, chunk, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return true;
}

struct cli_result cli_run(const char *const *args, const char *const *env)
{
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        exec_cli(args, env);
    }
    close(out[1]);
    close(err[1]);
    struct cli_result r = {0};
    size_t out_len = 0, err_len = 0;
    r.out = calloc(1, 1);
    r.err = calloc(1, 1);
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (poll(fds, 2, -1) < 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && fds[i].revents &&
                !drain(fds[i].fd, i ? &r.err : &r.out, i ? &err_len : &out_len)) {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
    }
    r.status = wait_status(pid, &r.signalled);
    return r;
}

void cli_result_free(struct cli_result *r)
{
    free(r->out);
    free(r->err);
}

char *make_temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char templ[4096];
    snprintf(templ, sizeof templ, "%s/tl-cli-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(templ))
        abort();
    return strdup(templ);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void write_text_file(const char *path, const char *text, unsigned mode)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    while (drain(fileno(f), &buf, &len))
        ;
    fclose(f);
    return buf ? buf : calloc(1, 1);
}

long file_line_of(const char *path, const char *marker)
{
    char *text = read_text_file(path);
    const char *at = text ? strstr(text, marker) : NULL;
    if (!at) {
        free(text);
        return -1;
    }
    long line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    free(text);
    return line;
}

void copy_file(const char *from, const char *to, unsigned mode)
{
    int in = open(from, O_RDONLY);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0)
        abort();
    char buf[65536];
    for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;) {
        if (write(out, buf, (size_t)n) != n)
            abort();
    }
    close(in);
    close(out);
    chmod(to, mode);
}

bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}
