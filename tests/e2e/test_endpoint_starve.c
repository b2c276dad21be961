/* An endpoint no client can starve (issue 16, item 6): while 64 slow clients trickle a request
 * head one byte a second (48 from 127.0.0.1, the per-address limit, and 16 from 127.0.0.2) and
 * reconnect whenever the server closes them, a normal client's requests are timed and must each
 * be served within 1 s; a request with 500 query arguments gets 414 at once instead of silence;
 * two Host headers, and HTTP/1.1 without one, get 400. And when the endpoint cannot start, its
 * line says why (item 7): a port in use, or no thread to be had under RLIMIT_NPROC.
 *
 * All traffic goes to the program's loopback port; connections are bounded (64 slow ones at a
 * time) and so is every wait. The bound of 1 s is generous (served times here are a few ms) so
 * that a loaded machine does not fail it; before the fix no request was served at all.
 *
 * Arguments: the shim, test_endpoint_prog, the artifacts directory (unused), the CLI (unused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_endpoint_http.h"
#include "test_endpoint_target.h"

#define SLOW_FROM_FIRST  48 /* 127.0.0.1: the per-address limit before the fix */
#define SLOW_FROM_SECOND 16 /* 127.0.0.2: together, the global limit of 64 */
#define SLOW_TOTAL       (SLOW_FROM_FIRST + SLOW_FROM_SECOND)
#define TRICKLE_S        8    /* how long the slow clients trickle */
#define SERVED_WITHIN_MS 1000 /* the bound */
#define GIVE_UP_MS       3000 /* a request not answered by then counts as starved */

static const char *shim_path, *prog_path;
static struct target target;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint16_t target_port(void)
{
    return (uint16_t)atoi(strrchr(target.where, ':') + 1);
}

/* A non-blocking connection from source (a loopback address) to the program's port, or -1. */
static int connect_from(const char *source)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in from = {.sin_family = AF_INET};
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(target_port())};
    inet_pton(AF_INET, source, &from.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0 ||
        (connect(fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Closed by the server (or reset): readable with nothing to read, or hung up. */
static bool closed_by_server(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) != 1)
        return false;
    char c;
    return (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) || recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* --- the slow clients: one thread, every second a byte on each connection --- */

struct slowloris {
    pthread_t thread;
    atomic_bool stop;
    int fds[SLOW_TOTAL];
    unsigned connects, closed_by_server;
};

static const char slow_head[] = "GET /debug/threads?debug=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ";

static void slow_open(struct slowloris *s, int i)
{
    s->fds[i] = connect_from(i < SLOW_FROM_FIRST ? "127.0.0.1" : "127.0.0.2");
    s->connects++;
}

static void *slowloris_main(void *arg)
{
    struct slowloris *s = arg;
    size_t sent = 0; /* bytes of the head every connection has had, roughly */
    while (!atomic_load(&s->stop)) {
        for (int i = 0; i < SLOW_TOTAL; i++) {
            if (s->fds[i] >= 0 && closed_by_server(s->fds[i])) {
                close(s->fds[i]);
                s->fds[i] = -1;
                s->closed_by_server++;
            }
            if (s->fds[i] < 0) /* a real slowloris comes straight back */
                slow_open(s, i);
            if (s->fds[i] >= 0) {
                /* the start of the head at once, then one byte a second, never its end */
                bool fresh = sent == 0;
                const char *bytes = sent < sizeof slow_head - 1 ? slow_head : "b";
                send(s->fds[i], bytes, fresh ? sizeof slow_head - 1 : 1,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
            }
        }
        sent = sizeof slow_head;
        for (int t = 0; t < 10 && !atomic_load(&s->stop); t++)
            usleep(100000);
    }
    return NULL;
}

static void slowloris_start(struct slowloris *s)
{
    for (int i = 0; i < SLOW_TOTAL; i++)
        slow_open(s, i);
    assert_int_equal(pthread_create(&s->thread, NULL, slowloris_main, s), 0);
    usleep(500000); /* the server has taken them all in */
}

static void slowloris_stop(struct slowloris *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < SLOW_TOTAL; i++) {
        if (s->fds[i] >= 0)
            close(s->fds[i]);
    }
}

/* --- a normal client --- */

/* Sends request whole, then reads until the server closes or give_up_ms passed. Returns the
 * status (0 when none came) and the time it took in *took_ms. */
static int timed_exchange(const char *request, unsigned give_up_ms, uint64_t *took_ms)
{
    uint64_t start = now_ms(), deadline = start + give_up_ms;
    int status = 0;
    int fd = connect_from("127.0.0.1");
    if (fd < 0)
        goto out;
    size_t len = strlen(request), done = 0;
    char buf[4096];
    size_t have = 0;
    for (;;) {
        uint64_t now = now_ms();
        if (now >= deadline)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN | (done < len ? POLLOUT : 0)};
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            break;
        if (done < len && (p.revents & POLLOUT)) {
            ssize_t n = send(fd, request + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                done += (size_t)n;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, MSG_DONTWAIT);
            if (n <= 0 && !(n < 0 && errno == EAGAIN))
                break;
            if (n > 0)
                have += (size_t)n;
            buf[have] = '\0';
            /* the status line is what "served" means; the body may take its time */
            if (strstr(buf, "\r\n") && sscanf(buf, "HTTP/1.%*d %d", &status) == 1)
                break;
            if (have == sizeof buf - 1)
                break;
        }
    }
    close(fd);
out:
    *took_ms = now_ms() - start;
    return status;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int setup(void **state)
{
    (void)state;
    target = target_start(shim_path, prog_path, "blocked", "600", "127.0.0.1:0", true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    target_stop(&target);
    return 0;
}

static void test_slowloris_does_not_starve_a_normal_client(void **state)
{
    (void)state;
    enum { MAX_REQUESTS = 64 };
    struct slowloris slow = {0};
    slowloris_start(&slow);
    char request[256];
    snprintf(request, sizeof request,
             "GET /metrics HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target.where);
    uint64_t took[MAX_REQUESTS];
    int served = 0, count = 0;
    uint64_t end = now_ms() + TRICKLE_S * 1000u;
    while (count < MAX_REQUESTS && now_ms() < end) {
        int status = timed_exchange(request, GIVE_UP_MS, &took[count]);
        served += status == 200 && took[count] <= SERVED_WITHIN_MS;
        if (status != 200)
            print_message("# request %d: status %d after %llu ms\n", count, status,
                          (unsigned long long)took[count]);
        count++;
        usleep(250000);
    }
    slowloris_stop(&slow);
    qsort(took, (size_t)count, sizeof took[0], compare_u64);
    print_message("# %d requests during the trickle, %d served within %d ms; median %llu ms, "
                  "max %llu ms; the slow clients connected %u times, closed by the server %u\n",
                  count, served, SERVED_WITHIN_MS, (unsigned long long)took[count / 2],
                  (unsigned long long)took[count - 1], slow.connects, slow.closed_by_server);
    assert_true(count >= 5);
    assert_int_equal(served, count);
    assert_true(process_alive(target.pid));
}

static void test_many_query_arguments_get_414(void **state)
{
    (void)state;
    /* 500 arguments, about 2 KB: well within the header memory, yet more than the server can
     * index; and one long argument of 8 KB */
    char *many = malloc(8192), *longer = malloc(10240);
    size_t at = (size_t)sprintf(many, "GET /debug/threads?debug=1");
    for (int i = 0; i < 500; i++)
        at += (size_t)sprintf(many + at, "&a=%d", i % 10);
    at += (size_t)sprintf(many + at, " HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                          target.where);
    at = (size_t)sprintf(longer, "GET /metrics?x=");
    memset(longer + at, 'y', 8192);
    sprintf(longer + at + 8192, " HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target.where);
    const char *const requests[] = {many, longer};
    for (size_t i = 0; i < 2; i++) {
        uint64_t took;
        int status = timed_exchange(requests[i], GIVE_UP_MS, &took);
        print_message("# %s query: status %d after %llu ms\n", i == 0 ? "500-argument" : "8 KB",
                      status, (unsigned long long)took);
        assert_int_equal(status, 414);
        assert_true(took <= SERVED_WITHIN_MS);
    }
    free(many);
    free(longer);
    /* a query the endpoint knows is still answered */
    struct http_reply r = http_get(target.where, "/debug/threads?debug=1&format=json");
    assert_int_equal(r.status, 200);
    http_reply_free(&r);
}

static void test_host_header_must_be_one(void **state)
{
    (void)state;
    char two[256];
    snprintf(two, sizeof two,
             "GET /metrics HTTP/1.1\r\nHost: %s\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
             target.where);
    const struct {
        const char *request;
        int status;
    } cases[] = {
        {two, 400},
        {"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
        {"GET /metrics HTTP/1.0\r\n\r\n", 200}, /* HTTP/1.0 has no Host requirement */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t took;
        int status = timed_exchange(cases[i].request, GIVE_UP_MS, &took);
        if (status != cases[i].status)
            fail_msg("case %zu: status %d, expected %d", i, status, cases[i].status);
    }
}

/* The shim's stderr of `sleep 0.3` run with http=address (loopback), as nobody with at most
 * nproc tasks when nproc is not 0. */
static char *endpoint_start_line(const char *address, unsigned nproc)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDERR_FILENO);
        dup2(out[1], STDOUT_FILENO);
        static char options[128], preload[600];
        snprintf(options, sizeof options, "THREADLEAK_OPTIONS=http=%s", address);
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim_path);
        putenv(options);
        putenv(preload);
        if (nproc) {
            struct rlimit limit = {nproc, nproc};
            if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                setresuid(65534, 65534, 65534) != 0 || setrlimit(RLIMIT_NPROC, &limit) != 0)
                _exit(126);
        }
        execl("/bin/sleep", "sleep", "0.3", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char *text = calloc(1, 4096);
    size_t have = 0;
    struct pollfd p = {.fd = out[0], .events = POLLIN};
    while (have < 4095 && poll(&p, 1, 10000) == 1) {
        ssize_t n = read(out[0], text + have, 4095 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    close(out[0]);
    assert_true(wait_exit(pid, 10000) >= 0);
    return text;
}

static void test_start_failures_say_why(void **state)
{
    (void)state;
    int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof addr;
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal(bind(busy, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(busy, 1), 0);
    assert_int_equal(getsockname(busy, (struct sockaddr *)&addr, &len), 0);
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%u", ntohs(addr.sin_port));
    char *text = endpoint_start_line(address, 0);
    close(busy);
    print_message("# port in use: %s", text);
    assert_non_null(strstr(text, " not started: cannot listen: Address already in use\n"));
    free(text);

    /* RLIMIT_NPROC binds only other users than root: as nobody, 2 tasks are the program and
     * the services thread, so libmicrohttpd's thread is refused (EAGAIN) */
    if (geteuid() != 0)
        skip();
    text = endpoint_start_line("127.0.0.1:0", 2);
    print_message("# under RLIMIT_NPROC: %s", text);
    if (strstr(text, "cannot be preloaded")) { /* nobody cannot read this build tree */
        free(text);
        skip();
    }
    if (strstr(text, "cannot start the services thread")) {
        /* another process of nobody's took the one task left: nothing to judge */
        free(text);
        skip();
    }
    assert_non_null(strstr(text, " not started: cannot create the server's thread: Resource "
                                 "temporarily unavailable"));
    assert_null(strstr(text, "listen"));
    free(text);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SHIM PROGRAM\n", argv[0]);
        return 2;
    }
    shim_path = argv[1];
    prog_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slowloris_does_not_starve_a_normal_client),
        cmocka_unit_test(test_many_query_arguments_get_414),
        cmocka_unit_test(test_host_header_must_be_one),
        cmocka_unit_test(test_start_failures_say_why),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
