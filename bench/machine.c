/* The machine a bench run measured: numbers mean little without it. */
#define _GNU_SOURCE
#include "results.h"

#include <gnu/libc-version.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void cpu_model(char *out, size_t len)
{
    FILE *in = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(out, len, "unknown CPU");
    while (in && fgets(line, sizeof line, in)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(out, len, "%s", colon + 2);
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    }
    if (in)
        fclose(in);
}

void bench_machine_load(char *out, size_t len)
{
    FILE *in = fopen("/proc/loadavg", "r");
    double one, five, fifteen;
    if (in && fscanf(in, "%lf %lf %lf", &one, &five, &fifteen) == 3)
        snprintf(out, len, "%.2f %.2f %.2f", one, five, fifteen);
    else
        snprintf(out, len, "unknown");
    if (in)
        fclose(in);
}

void bench_machine_describe(struct machine *m, const char *toolchain)
{
    struct utsname uts;
    time_t now = time(NULL);
    strftime(m->date, sizeof m->date, "%Y-%m-%d %H:%M %Z", localtime(&now));
    cpu_model(m->cpu, sizeof m->cpu);
    m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    if (uname(&uts) == 0)
        snprintf(m->kernel, sizeof m->kernel, "%s %s %s", uts.sysname, uts.release, uts.machine);
    else
        snprintf(m->kernel, sizeof m->kernel, "unknown");
    snprintf(m->libc, sizeof m->libc, "glibc %s", gnu_get_libc_version());
    m->toolchain = toolchain ? toolchain : "not given";
    bench_machine_load(m->load_after, sizeof m->load_after);
    m->load_before[0] = '\0';
}
