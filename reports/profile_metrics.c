/* Prometheus exposition. Every state gets a line even at 0, so that series do not appear and
 * vanish as threads come and go. Start routines are code, so their number is bounded. */
#include "profile_metrics.h"

#include <stdlib.h>
#include <string.h>

static void family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void profile_metrics_write_label_value(FILE *out, const char *value)
{
    for (const char *c = value; *c; c++) {
        if (*c == '\\')
            fputs("\\\\", out);
        else if (*c == '"')
            fputs("\\\"", out);
        else if (*c == '\n')
            fputs("\\n", out);
        else
            putc(*c, out);
    }
}

static int compare_names(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    return strcmp(a, b);
}

/* Threads per start routine, in name order; threads without a known routine are not counted. */
static int write_start_routines(FILE *out, const struct thread_profile *p)
{
    const char **names = malloc((p->count ? p->count : 1) * sizeof *names);
    if (!names)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < p->count; i++) {
        if (p->threads[i].start_routine)
            names[n++] = p->threads[i].start_routine;
    }
    qsort(names, n, sizeof *names, compare_names);
    family(out, "threadleak_threads_by_start_routine", "gauge",
           "Live and exited-unjoined threads by the function they were started with.");
    for (size_t i = 0; i < n;) {
        size_t end = i + 1;
        while (end < n && strcmp(names[end], names[i]) == 0)
            end++;
        fputs("threadleak_threads_by_start_routine{start_routine=\"", out);
        profile_metrics_write_label_value(out, names[i]);
        fprintf(out, "\"} %zu\n", end - i);
        i = end;
    }
    free(names);
    return 0;
}

int profile_write_metrics(FILE *out, const struct thread_profile *p)
{
    family(out, "threadleak_threads", "gauge",
           "Threads of this process by state, threadleak's own left out; exited_unjoined are "
           "finished threads nobody joined.");
    for (int s = 0; s < THREAD_PROFILE_STATE_COUNT; s++)
        fprintf(out, "threadleak_threads{state=\"%s\"} %zu\n",
                thread_profile_state_name((enum thread_profile_state)s), p->by_state[s]);
    family(out, "threadleak_threads_created_total", "counter",
           "Threads the program created since threadleak started (not the main thread, nor "
           "threadleak's or a sanitizer's own).");
    fprintf(out, "threadleak_threads_created_total %llu\n", (unsigned long long)p->created_total);
    family(out, "threadleak_threads_exited_unjoined", "gauge",
           "Threads that finished but were never joined nor detached (ThreadSanitizer's thread "
           "leaks).");
    fprintf(out, "threadleak_threads_exited_unjoined %zu\n", p->exited_unjoined);
    family(out, "threadleak_process_threads", "gauge",
           "Threads the kernel lists for this process (/proc/self/task), threadleak's own "
           "included.");
    fprintf(out, "threadleak_process_threads %zu\n", p->process_threads);
    if (write_start_routines(out, p) != 0)
        return -1;
    return ferror(out) ? -1 : 0;
}
