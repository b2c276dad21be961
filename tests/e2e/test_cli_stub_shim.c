/* A stand-in for libthreadleak.so in the CLI tests: it keeps the shim's side of the report-dir
 * contract (docs/cli.md) and nothing else, so that the CLI's supervision, merging and exit
 * statuses are tested on their own, with leak counts the test chooses.
 *
 * At exit every process writes REPORT_DIR/threadleak.PID.json; when TL_STUB_LEAKS=N (N > 0) is in
 * its environment it reports N leaked threads and also writes threadleak.PID.txt. report_dir is
 * read from THREADLEAK_OPTIONS, where the CLI puts it quoted. Exits through _exit are caught too.
 * Built with STUB_SILENT it writes nothing. */
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

static void write_json(const char *dir, long leaks)
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
    fprintf(f, "], \"summary\": {\"threads_created\": %ld, \"leaked\": %ld, \"suppressed\": 0}}\n",
            leaks, leaks);
    fclose(f);
}

static void write_text(const char *dir, long leaks)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/threadleak.%ld.txt", dir, (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "==%ld== stub: %ld leaked threads\n", (long)getpid(), leaks);
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
    const char *env = getenv("TL_STUB_LEAKS");
    long leaks = env ? strtol(env, NULL, 10) : 0;
    write_json(dir, leaks);
    if (leaks > 0)
        write_text(dir, leaks);
}

/* dash leaves with _exit, which runs no destructors; the real shim catches it, and so does this. */
void _exit(int status)
{
    stub_report();
    syscall(SYS_exit_group, status);
    for (;;)
        ;
}
