/* A stand-in for libthreadleak.so in the CLI tests: it keeps the shim's side of the report-dir
 * contract (docs/cli.md) and nothing else, so that the CLI's supervision, merging and exit
 * statuses are tested on their own, with leak counts the test chooses.
 *
 * At exit every process writes REPORT_DIR/threadleak.PID.json; when TL_STUB_LEAKS=N (N > 0) is in
 * its environment it reports N leaked threads and also writes threadleak.PID.txt. report_dir is
 * read from THREADLEAK_OPTIONS, where the CLI puts it quoted. Exits through _exit are caught too.
 * Built with STUB_SILENT it writes nothing.
 *
 * Built with STUB_LOCKS it stands in for the lock module, libthreadleak-locks.so, until the real
 * one is built beside libthreadleak.so: TL_STUB_DEADLOCKS, TL_STUB_LOCK_ORDER and TL_STUB_MISUSE
 * give the lengths of the report's `deadlocks`, `lock_order` and `misuse` arrays (docs/cli.md),
 * and a process with a deadlock aborts after its report when the last deadlock= key of
 * THREADLEAK_OPTIONS is abort, as the module does on a live deadlock. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report_dir(char *out, size_t len)
{
    const char *opts = getenv("THREADLEAK_OPTIONS");
    const char *key = opts ? strstr(opts, "report_dir=") : NULL;
    if (!key)
        return -1;
    const char *v = key + strlen("report_dir=");
    char quote = (*v == '\'' || *v == '"') ? *v++ : ':';
    size_t n = strcspn(v, (char[]){quote, '\0'});
    if (n >= len)
        return -1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

static long env_count(const char *name)
{
    const char *v = getenv(name);
    return v ? strtol(v, NULL, 10) : 0;
}

/* The lock module's findings; all 0 in the plain stub. */
struct stub_locks {
    long deadlocks, lock_order, misuse;
};

static struct stub_locks lock_findings(void)
{
#ifdef STUB_LOCKS
    return (struct stub_locks){env_count("TL_STUB_DEADLOCKS"), env_count("TL_STUB_LOCK_ORDER"),
                               env_count("TL_STUB_MISUSE")};
#else
    return (struct stub_locks){0, 0, 0};
#endif
}

#ifdef STUB_LOCKS
/* `"key": [n items]` with a minimal item of each array's shape, after a comma. */
static void write_lock_array(FILE *f, const char *key, long n, const char *item)
{
    fprintf(f, ", \"%s\": [", key);
    for (long i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? ", " : "", item);
    fputc(']', f);
}

static void write_locks(FILE *f, const struct stub_locks *l)
{
    write_lock_array(f, "deadlocks", l->deadlocks,
                     "{\"kind\": \"lock_cycle\", \"threads\": [{\"tid\": 1, \"waits_for\": "
                     "{}, \"holds\": []}]}");
    write_lock_array(f, "lock_order", l->lock_order,
                     "{\"locks\": [], \"edges\": [{\"from\": 1, \"to\": 2}]}");
    write_lock_array(f, "misuse", l->misuse, "{\"kind\": \"unlock_unlocked\", \"thread\": 1}");
}
#else
/* The plain shim writes no lock arrays at all. */
static void write_locks(FILE *f, const struct stub_locks *l)
{
    (void)f;
    (void)l;
}
#endif

static bool deadlock_aborts(void)
{
    const char *opts = getenv("THREADLEAK_OPTIONS"), *last = NULL;
    for (const char *p = opts; p && (p = strstr(p, "deadlock=")); p++)
        last = p + strlen("deadlock=");
    return last && strncmp(last, "abort", 5) == 0;
}

static void write_json(const char *dir, long leaks, const struct stub_locks *locks)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", dir, (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "{\"tool\": \"threadleak\", \"schema\": 1, \"pid\": %ld, \"ppid\": %ld, ",
            (long)getpid(), (long)getppid());
    fprintf(f, "\"exe\": \"stub\", \"argv\": [], \"mode\": \"all\", \"leaks\": [");
    for (long i = 0; i < leaks; i++)
        fprintf(f, "%s{\"count\": 1, \"state\": \"running\"}", i ? ", " : "");
    fputc(']', f);
    write_locks(f, locks);
    fprintf(f, ", \"summary\": {\"threads_created\": %ld, \"leaked\": %ld, \"suppressed\": 0}}\n",
            leaks, leaks);
    fclose(f);
}

static void write_text(const char *dir, long leaks, const struct stub_locks *locks)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/threadleak.%ld.txt", dir, (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "==%ld== stub: %ld leaked threads\n", (long)getpid(), leaks);
    if (locks->deadlocks || locks->lock_order || locks->misuse)
        fprintf(f, "==%ld== stub: %ld deadlocks, %ld lock-order, %ld misuse\n", (long)getpid(),
                locks->deadlocks, locks->lock_order, locks->misuse);
    fclose(f);
}

__attribute__((destructor)) static void stub_report(void)
{
    static int done;
#ifdef STUB_SILENT /* the variant that writes nothing, like a shim that failed to load */
    done = 1;
#endif
    if (done++)
        return;
    char dir[4096];
    if (report_dir(dir, sizeof dir) != 0)
        return;
    long leaks = env_count("TL_STUB_LEAKS");
    struct stub_locks locks = lock_findings();
    write_json(dir, leaks, &locks);
    if (leaks > 0 || locks.deadlocks > 0 || locks.lock_order > 0 || locks.misuse > 0)
        write_text(dir, leaks, &locks);
    if (locks.deadlocks > 0 && deadlock_aborts())
        abort();
}

/* dash leaves with _exit, which runs no destructors; the real shim catches it, and so does this. */
void _exit(int status)
{
    stub_report();
    syscall(SYS_exit_group, status);
    for (;;)
        ;
}
