/* Runs one bench command: expands its placeholders, execs it with a clean environment, times the
 * whole process around fork/exec/wait and reads the metric it prints. */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_WORDS 32

/* A command line after expansion, split in place into words. */
struct words {
    char *text;
    char *word[MAX_WORDS + 1];
    size_t count;
};

/* Variables a bench run must not inherit from whoever started the harness. */
static const char *const scrubbed_env[] = {"LD_PRELOAD=", "THREADLEAK_OPTIONS=", "TSAN_OPTIONS="};

static void put_placeholder(FILE *out, const char **cursor, const struct run_setup *setup)
{
    const char *at = *cursor;
    if (strncmp(at, "{bin}", 5) == 0) {
        fputs(setup->bin_dir, out);
        *cursor += 5;
    } else if (strncmp(at, "{shim}", 6) == 0) {
        fputs(setup->shim, out);
        *cursor += 6;
    } else if (strncmp(at, "{locks}", 7) == 0) {
        /* The lock module, built beside the shim (docs/locks.md). */
        const char *slash = strrchr(setup->shim, '/');
        fprintf(out, "%.*slibthreadleak-locks.so", slash ? (int)(slash - setup->shim + 1) : 0,
                setup->shim);
        *cursor += 7;
    } else if (strncmp(at, "{nproc}", 7) == 0) {
        fprintf(out, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
        *cursor += 7;
    } else {
        fputc(*at, out);
        *cursor += 1;
    }
}

static char *expand(const char *template, const struct run_setup *setup)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    for (const char *at = template ? template : ""; *at;)
        put_placeholder(out, &at, setup);
    fclose(out);
    return text;
}

static bool split_words(const char *template, const struct run_setup *setup, struct words *w)
{
    char *save = NULL;
    w->count = 0;
    w->text = expand(template, setup);
    if (!w->text)
        return false;
    for (char *word = strtok_r(w->text, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
        if (w->count == MAX_WORDS)
            return false;
        w->word[w->count++] = word;
    }
    w->word[w->count] = NULL;
    return true;
}

static bool find_on_path(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    char *dirs = strdup(path ? path : "/usr/bin:/bin");
    char *save = NULL;
    bool found = false;
    for (char *dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/%s", dir, name);
        found = access(out, X_OK) == 0;
    }
    free(dirs);
    return found;
}

static bool word_names_missing_file(const char *word)
{
    return word[0] == '/' && access(word, F_OK) != 0;
}

static bool words_available(const struct words *argv, const struct words *env, char *why,
                            size_t why_len)
{
    char resolved[4096];
    if (argv->count == 0) {
        snprintf(why, why_len, "empty command");
        return false;
    }
    if (!strchr(argv->word[0], '/') && !find_on_path(argv->word[0], resolved, sizeof resolved)) {
        snprintf(why, why_len, "%s not on PATH", argv->word[0]);
        return false;
    }
    for (size_t i = 0; i < argv->count; i++)
        if (word_names_missing_file(argv->word[i])) {
            snprintf(why, why_len, "%s missing", argv->word[i]);
            return false;
        }
    for (size_t i = 0; i < env->count; i++) {
        const char *value = strchr(env->word[i], '=');
        if (value && word_names_missing_file(value + 1)) {
            snprintf(why, why_len, "%s missing", value + 1);
            return false;
        }
    }
    return true;
}

bool bench_command_available(const struct bench_command *cmd, const struct run_setup *setup,
                             char *why, size_t why_len)
{
    struct words argv, env;
    bool ok = split_words(cmd->argv, setup, &argv) && split_words(cmd->env, setup, &env) &&
              words_available(&argv, &env, why, why_len);
    free(argv.text);
    free(env.text);
    return ok;
}

static bool is_scrubbed(const char *entry)
{
    for (size_t i = 0; i < sizeof scrubbed_env / sizeof scrubbed_env[0]; i++)
        if (strncmp(entry, scrubbed_env[i], strlen(scrubbed_env[i])) == 0)
            return true;
    return false;
}

/* environ minus the scrubbed variables, plus the command's own. */
static char **child_environment(const struct words *extra)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + extra->count + 1, sizeof *env);
    size_t used = 0;
    for (size_t i = 0; env && i < n; i++)
        if (!is_scrubbed(environ[i]))
            env[used++] = environ[i];
    for (size_t i = 0; env && i < extra->count; i++)
        env[used++] = extra->word[i];
    return env;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The child: logs as stdout/stderr, nothing on stdin, a watchdog that survives execve. */
static void exec_child(const char *path, char **argv, char **env, int out_fd, int err_fd,
                       unsigned timeout_s)
{
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    alarm(timeout_s);
    execve(path, argv, env);
    _exit(127);
}

static bool describe_status(int status, const char *log, char *why, size_t why_len)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFEXITED(status))
        snprintf(why, why_len, "exit status %d, see %s", WEXITSTATUS(status), log);
    else
        snprintf(why, why_len, "killed by signal %d%s, see %s", WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? " (timeout)" : "", log);
    return false;
}

/* Finds `key=VALUE` at the start of a line or after a blank in the program's stdout. */
static bool read_metric(const char *path, const char *key, double *value)
{
    FILE *in = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    size_t key_len = strlen(key);
    bool found = false;
    while (in && !found && getline(&line, &cap, in) > 0)
        for (char *at = strstr(line, key); at && !found; at = strstr(at + 1, key)) {
            bool starts_word = at == line || at[-1] == ' ' || at[-1] == '\t';
            char *end = NULL;
            if (starts_word && at[key_len] == '=') {
                *value = strtod(at + key_len + 1, &end);
                found = end != at + key_len + 1;
            }
        }
    free(line);
    if (in)
        fclose(in);
    return found;
}

static bool spawn_and_wait(const char *path, struct words *argv, char **env, const char *log_base,
                           unsigned timeout_s, struct run_sample *out, char *why, size_t why_len)
{
    char out_log[4096 + 8], err_log[4096 + 8];
    snprintf(out_log, sizeof out_log, "%s.out", log_base);
    snprintf(err_log, sizeof err_log, "%s.err", log_base);
    int out_fd = open(out_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = open(err_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0 || err_fd < 0) {
        snprintf(why, why_len, "cannot write %s: %s", out_log, strerror(errno));
        return false;
    }
    int status = 0;
    struct rusage usage = {0};
    double start = now_ms();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(path, argv->word, env, out_fd, err_fd, timeout_s);
    bool reaped = pid > 0 && wait4(pid, &status, 0, &usage) == pid;
    out->wall_ms = now_ms() - start;
    out->max_rss_kib = usage.ru_maxrss;
    out->cpu_ms = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                  (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    close(out_fd);
    close(err_fd);
    if (!reaped) {
        snprintf(why, why_len, "fork/wait failed: %s", strerror(errno));
        return false;
    }
    return describe_status(status, err_log, why, why_len);
}

bool bench_command_run(const struct bench_command *cmd, const struct run_setup *setup,
                       const char *log_name, struct run_sample *out, char *why, size_t why_len)
{
    struct words argv, env;
    char path[4096], log_base[4096], out_log[4096 + 8];
    bool ok = split_words(cmd->argv, setup, &argv) && split_words(cmd->env, setup, &env) &&
              words_available(&argv, &env, why, why_len);
    char **child_env = ok ? child_environment(&env) : NULL;
    if (ok && !strchr(argv.word[0], '/'))
        find_on_path(argv.word[0], path, sizeof path);
    else if (ok)
        snprintf(path, sizeof path, "%s", argv.word[0]);
    snprintf(log_base, sizeof log_base, "%s/%s", setup->log_dir, log_name);
    ok = ok && child_env &&
         spawn_and_wait(path, &argv, child_env, log_base, setup->timeout_s, out, why, why_len);
    snprintf(out_log, sizeof out_log, "%s.out", log_base);
    if (ok && cmd->metric && !read_metric(out_log, cmd->metric, &out->metric)) {
        snprintf(why, why_len, "no %s= in %s", cmd->metric, out_log);
        ok = false;
    } else if (ok && !cmd->metric) {
        out->metric = out->wall_ms;
    }
    free(child_env);
    free(argv.text);
    free(env.text);
    return ok;
}
