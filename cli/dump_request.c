/* The CLI side of the dump protocol: /proc checks, sigqueue, and waiting for the dump file. */
#include "dump_request.h"

#include "dump_protocol.h"
#include "options.h"
#include "toolbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS     (20 * 1000 * 1000)
#define ENVIRON_MAX (1024 * 1024)
/* A debug=2 dump of 10,000 threads is a few MiB; the bound only stops a runaway file. */
#define DUMP_MAX_BYTES (256u << 20)
#define OPTIONS_NAME   "THREADLEAK_OPTIONS="

static int request_signal(void)
{
    return SIGRTMIN + TL_DUMP_SIGNAL_OFFSET;
}

static bool base_is(const char *base, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len >= n && strncmp(base, name, n) == 0 && (len == n || base[n] == '.');
}

/* A maps line's path is the shim when its file name is libthreadleak.so or the lock module's
 * libthreadleak-locks.so (docs/locks.md), which is the same runtime (or .so.N). */
static bool line_maps_shim(const char *line)
{
    const char *path = strchr(line, '/');
    if (!path)
        return false;
    const char *base = strrchr(path, '/') + 1;
    size_t len = strcspn(base, "\n");
    return base_is(base, len, "libthreadleak.so") || base_is(base, len, "libthreadleak-locks.so");
}

static int maps_shim(pid_t pid)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = line_maps_shim(line);
    fclose(f);
    return found;
}

/* 1 when signo is caught (SigCgt), 0 when not, -errno when status is unreadable; *zombie says
 * whether the process has finished. */
static int catches_signal(pid_t pid, int signo, bool *zombie)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    int caught = -EIO;
    *zombie = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long long mask;
        char state;
        if (sscanf(line, "State: %c", &state) == 1)
            *zombie = state == 'Z' || state == 'X';
        if (sscanf(line, "SigCgt: %llx", &mask) == 1)
            caught = (int)((mask >> (signo - 1)) & 1u);
    }
    fclose(f);
    return caught;
}

/* Whether a thread of pid is named TL_DUMP_LISTENER_THREAD: the shim's services thread while the
 * request signal still reaches its listener (dump_protocol.h). */
static bool has_listener_thread(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
    DIR *tasks = opendir(path);
    bool found = false;
    for (struct dirent *e; tasks && !found && (e = readdir(tasks));) {
        if (e->d_name[0] == '.')
            continue;
        char comm_path[sizeof path + 256 + 8]; /* + d_name + "/comm" */
        snprintf(comm_path, sizeof comm_path, "%s/%s/comm", path, e->d_name);
        char *comm = tl__read_file_at(AT_FDCWD, comm_path, 64, NULL);
        found = comm && strcmp(comm, TL_DUMP_LISTENER_THREAD "\n") == 0;
        free(comm);
    }
    if (tasks)
        closedir(tasks);
    return found;
}

enum dump_target_status dump_target_check(pid_t pid, char *why, size_t whylen)
{
    bool zombie = false;
    int caught = catches_signal(pid, request_signal(), &zombie);
    if (caught == -ENOENT || caught == -ESRCH || zombie) {
        snprintf(why, whylen, "no process %ld", (long)pid);
        return DUMP_TARGET_GONE;
    }
    int shim = maps_shim(pid);
    if (caught < 0 || shim < 0) {
        snprintf(why, whylen, "cannot read /proc/%ld: %s", (long)pid,
                 strerror(shim < 0 ? -shim : -caught));
        return DUMP_TARGET_NO_ACCESS;
    }
    if (!shim) {
        snprintf(why, whylen,
                 "process %ld is not running under threadleak (libthreadleak.so is not mapped); "
                 "start it with `threadleak run` or LD_PRELOAD=libthreadleak.so",
                 (long)pid);
        return DUMP_TARGET_NO_SHIM;
    }
    if (!caught) {
        snprintf(why, whylen,
                 "process %ld runs under threadleak but does not listen for dump requests; start "
                 "it with `threadleak run --dump-listener`, %s=1 or THREADLEAK_OPTIONS=http=...",
                 (long)pid, TL_DUMP_LISTENER_ENV);
        return DUMP_TARGET_NOT_LISTENING;
    }
    if (!has_listener_thread(pid)) {
        snprintf(why, whylen,
                 "process %ld handles the dump request signal itself (SIGRTMIN+%d), and "
                 "threadleak's dump listener is not installed in it; not signalling it, since its "
                 "own handler would run. Use THREADLEAK_OPTIONS=http=... for its thread profile",
                 (long)pid, TL_DUMP_SIGNAL_OFFSET);
        return DUMP_TARGET_FOREIGN;
    }
    return DUMP_TARGET_OK;
}

static char *read_environ(pid_t pid, size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
    FILE *f = fopen(path, "re");
    char *buf = f ? malloc(ENVIRON_MAX + 1) : NULL;
    *len = buf ? fread(buf, 1, ENVIRON_MAX, f) : 0;
    if (f)
        fclose(f);
    if (buf)
        buf[*len] = '\0';
    return buf;
}

bool dump_target_report_dir(pid_t pid, char *out, size_t outlen)
{
    static struct tl__config cfg; /* large: paths */
    size_t len;
    char *env = read_environ(pid, &len);
    const char *options = NULL;
    for (size_t i = 0; env && i < len; i += strlen(env + i) + 1) {
        if (strncmp(env + i, OPTIONS_NAME, sizeof OPTIONS_NAME - 1) == 0)
            options = env + i + sizeof OPTIONS_NAME - 1;
    }
    options_defaults(&cfg);
    /* As the shim does: a bad item does not stop the good ones (report_dir among them). */
    if (options)
        options_apply(options, &cfg, NULL, NULL);
    bool found = cfg.report_dir[0] && strlen(cfg.report_dir) < outlen;
    if (found)
        memcpy(out, cfg.report_dir, strlen(cfg.report_dir) + 1);
    free(env);
    return found;
}

int dump_request_send(pid_t pid, long request)
{
    union sigval value = {.sival_int = (int)request};
    return sigqueue(pid, request_signal(), value);
}

long dump_request_number(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t mix =
        ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
    return (long)((mix & 0x7ffffffeu) | 1u);
}

static bool names_request(const char *text, pid_t pid, long request)
{
    char header[160];
    snprintf(header, sizeof header, TL_DUMP_HEADER_FORMAT, (long)pid, request);
    return strncmp(text, header, strlen(header)) == 0;
}

char *dump_request_wait(const char *report_dir, pid_t pid, long request, double timeout_s)
{
    char path[PATH_MAX + 64], name[64];
    snprintf(name, sizeof name, TL_DUMP_FILE_FORMAT, (long)pid);
    snprintf(path, sizeof path, "%s/%s", report_dir, name);
    long polls = (long)(timeout_s * 1e9 / POLL_NS) + 1;
    for (long i = 0; i < polls; i++) {
        char *text = tl__read_file_at(AT_FDCWD, path, DUMP_MAX_BYTES, NULL);
        if (text && names_request(text, pid, request))
            return text;
        free(text);
        struct timespec pause = {0, POLL_NS};
        nanosleep(&pause, NULL);
    }
    return NULL;
}
