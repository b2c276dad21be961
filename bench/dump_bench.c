/* P4: how long a full debug=2 thread dump takes, fetched from the endpoint the way a user gets it.
 *
 * usage: LD_PRELOAD=libthreadleak.so dump_bench [THREADS...]      (default: 1000 10000)
 *
 * Run under the shim. Unless THREADLEAK_OPTIONS already has http=, it re-executes itself with
 * http=127.0.0.1:0 and dump_timeout_ms=30000 (the shim then prints the address on stderr); the
 * port is the TCP socket the process listens on. For each
 * thread count it starts that many threads blocked on a condition variable, fetches
 * /debug/threads?debug=2 over loopback (2 warm-up fetches, then DUMPS timed ones), and prints one
 * JSON line:
 *
 *   {"case":"P4","threads":1000,"dumps":15,"median_ms":..,"min_ms":..,"max_ms":..,"bytes":..,
 *    "collect_ms":..,"cpu_ms":..}
 *
 * collect_ms is the server's own time to take the profile (JSON's collection.elapsed_us), the
 * rest being rendering and the loopback transfer. cpu_ms is the process's CPU time per timed
 * fetch (every thread's: the collector's, the answering threads', the client's), steadier than
 * wall time on a shared machine. Then 1,000 dumps of 100 threads, for memory:
 *
 *   {"case":"P4-memory","threads":100,"dumps":1000,"rss_before_kib":..,"rss_after_kib":..}
 *
 * (skipped with DUMP_BENCH_NO_MEMORY=1) and finally `dump_ms=MEDIAN` of the first thread count,
 * for bench_harness. Exits 0 when every fetch succeeded. Timings are printed, never judged
 * here. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DUMPS          15
#define MEMORY_THREADS 100
#define MEMORY_DUMPS   1000
#define THREAD_STACK   (64 * 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool released;
static int blocked;
static char where[64];

/* CPU time of the whole process (collector, answering threads and client), in ms. */
static double cpu_ms(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *block(void *arg)
{
    pthread_mutex_lock(&lock);
    blocked++;
    pthread_cond_broadcast(&cond);
    while (!released)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

static pthread_t *start_blocked(int n)
{
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    released = false;
    blocked = 0;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&threads[i], &attr, block, NULL) != 0) {
            fprintf(stderr, "dump_bench: pthread_create %d: %s\n", i, strerror(errno));
            exit(1);
        }
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&lock);
    while (blocked < n)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return threads;
}

static void stop_blocked(pthread_t *threads, int n)
{
    pthread_mutex_lock(&lock);
    released = true;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    free(threads);
}

/* GET path; returns the body (malloc'd) and its length, or NULL. */
static char *fetch(const char *path, size_t *len)
{
    char host[64];
    const char *colon = strrchr(where, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - where), where);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, host, &addr.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char request[256];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, where);
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    if (send(fd, request, (size_t)n, MSG_NOSIGNAL) == n) {
        char chunk[65536];
        ssize_t got;
        while ((got = recv(fd, chunk, sizeof chunk, 0)) > 0)
            fwrite(chunk, 1, (size_t)got, out);
    }
    close(fd);
    fclose(out);
    char *body = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0 || !body) {
        free(buf);
        return NULL;
    }
    *len = size - (size_t)(body + 4 - buf);
    memmove(buf, body + 4, *len + 1);
    return buf;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double collect_ms(void)
{
    size_t len;
    char *json = fetch("/debug/threads?format=json", &len);
    const char *at = json ? strstr(json, "\"elapsed_us\": ") : NULL;
    double ms = at ? strtod(at + 14, NULL) / 1e3 : -1;
    free(json);
    return ms;
}

/* One thread count: returns the median, or -1 when a fetch failed. */
static double measure(int threads)
{
    pthread_t *handles = start_blocked(threads);
    size_t bytes = 0;
    double times[DUMPS];
    bool ok = true;
    double cpu_start = 0;
    for (int i = -2; i < DUMPS && ok; i++) {
        if (i == 0)
            cpu_start = cpu_ms();
        double start = now_ms();
        char *dump = fetch("/debug/threads?debug=2", &bytes);
        if (i >= 0)
            times[i] = now_ms() - start;
        ok = dump != NULL;
        free(dump);
    }
    double cpu = (cpu_ms() - cpu_start) / DUMPS;
    double collect = collect_ms();
    stop_blocked(handles, threads);
    if (!ok)
        return -1;
    qsort(times, DUMPS, sizeof times[0], compare_doubles);
    printf("{\"case\":\"P4\",\"threads\":%d,\"dumps\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f,"
           "\"max_ms\":%.3f,\"bytes\":%zu,\"collect_ms\":%.3f,\"cpu_ms\":%.3f}\n",
           threads, DUMPS, times[DUMPS / 2], times[0], times[DUMPS - 1], bytes, collect, cpu);
    fflush(stdout);
    return times[DUMPS / 2];
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static bool measure_memory(void)
{
    pthread_t *handles = start_blocked(MEMORY_THREADS);
    bool ok = true;
    size_t len;
    for (int i = 0; i < 20 && ok; i++) { /* warm-up: symbol caches */
        char *dump = fetch("/debug/threads?debug=2", &len);
        ok = dump != NULL;
        free(dump);
    }
    long before = rss_kib();
    for (int i = 0; i < MEMORY_DUMPS && ok; i++) {
        char *dump = fetch("/debug/threads?debug=2", &len);
        ok = dump != NULL;
        free(dump);
    }
    long after = rss_kib();
    stop_blocked(handles, MEMORY_THREADS);
    printf("{\"case\":\"P4-memory\",\"threads\":%d,\"dumps\":%d,\"rss_before_kib\":%ld,"
           "\"rss_after_kib\":%ld}\n",
           MEMORY_THREADS, MEMORY_DUMPS, before, after);
    return ok;
}

/* Whether inode is one of this process's sockets. */
static bool owns_socket(unsigned long inode)
{
    char wanted[64], link[300], target[64];
    snprintf(wanted, sizeof wanted, "socket:[%lu]", inode);
    bool found = false;
    for (int fd = 0; fd < 1024 && !found; fd++) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, wanted) == 0;
        }
    }
    return found;
}

/* The endpoint's port: the one TCP socket this process listens on (it opens no other). */
static bool find_endpoint(void)
{
    FILE *f = fopen("/proc/self/net/tcp", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        unsigned port, state;
        unsigned long inode;
        if (sscanf(line, " %*s %*8x:%x %*s %x %*s %*s %*s %*s %*s %lu", &port, &state, &inode) ==
                3 &&
            state == 0x0A && owns_socket(inode)) {
            snprintf(where, sizeof where, "127.0.0.1:%u", port);
            break;
        }
    }
    if (f)
        fclose(f);
    return where[0] != '\0';
}

/* Under the shim with the endpoint on, or re-executed so that it is. */
static void ensure_endpoint(char **argv)
{
    const char *options = getenv("THREADLEAK_OPTIONS");
    if (options && strstr(options, "http=")) {
        for (int i = 0; i < 500 && !find_endpoint(); i++)
            usleep(10000);
        if (!where[0]) {
            fprintf(stderr, "dump_bench: no endpoint; run it with LD_PRELOAD=libthreadleak.so\n");
            exit(1);
        }
        return;
    }
    setenv("THREADLEAK_OPTIONS", "http=127.0.0.1:0:dump_timeout_ms=30000", 1);
    execv("/proc/self/exe", argv);
    perror("dump_bench: exec");
    exit(1);
}

int main(int argc, char **argv)
{
    ensure_endpoint(argv);
    static const int defaults[] = {1000, 10000};
    double first = -1;
    bool ok = true;
    for (int i = 0; i < (argc > 1 ? argc - 1 : 2) && ok; i++) {
        int n = argc > 1 ? atoi(argv[i + 1]) : defaults[i];
        double median = measure(n > 0 ? n : 1000);
        ok = median >= 0;
        if (i == 0)
            first = median;
    }
    /* DUMP_BENCH_NO_MEMORY=1: only the timed dumps (profiling, quick comparisons) */
    const char *no_memory = getenv("DUMP_BENCH_NO_MEMORY");
    if (!no_memory || strcmp(no_memory, "1") != 0)
        ok = ok && measure_memory();
    printf("dump_ms=%.3f\n", first);
    return ok ? 0 : 1;
}
