/* The endpoint under hostile input: random bytes, an enormous header, slow clients, 300
 * connections at once, requests cut off half-way and responses never read. After each, the
 * program is still running, the endpoint still answers, and at the end the program exits cleanly
 * (its own work went on: it counts heartbeats). RSS is printed after each round and checked
 * against a generous bound. Every wait is bounded.
 *
 * Arguments: the shim, test_endpoint_prog, the artifacts directory (unused), the CLI (unused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_endpoint_http.h"
#include "test_endpoint_target.h"

#define RSS_GROWTH_MAX_KIB (64 * 1024) /* generous: the point is "bounded", not a budget */
#define MANY_CONNECTIONS   300

static const char *shim_path, *prog_path;
static struct target target;
static long rss_start;

static void set_send_timeout(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Sends what it can, ignoring failures: the server may close on us, and that is fine. */
static void send_some(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* The endpoint answers a normal request again (connection slots may take a moment to free). */
static void assert_still_serving(const char *round)
{
    assert_true(process_alive(target.pid));
    struct http_reply r = {0};
    for (int attempt = 0; attempt < 100; attempt++) {
        r = http_get(target.where, "/debug/threads?debug=2");
        if (r.status == 200)
            break;
        http_reply_free(&r);
        usleep(100000);
    }
    if (r.status != 200)
        fail_msg("after %s: the endpoint no longer answers", round);
    assert_non_null(strstr(r.body, "blocked_in_cond_wait(...)"));
    http_reply_free(&r);
    long rss = process_rss_kib(target.pid);
    print_message("# after %s: RSS %ld KiB (%+ld KiB since start)\n", round, rss, rss - rss_start);
    assert_true(rss - rss_start < RSS_GROWTH_MAX_KIB);
}

static int setup(void **state)
{
    (void)state;
    target = target_start(shim_path, prog_path, "blocked", "600", "127.0.0.1:0", true);
    struct http_reply r = http_get(target.where, "/debug/threads?debug=2"); /* warm-up */
    http_reply_free(&r);
    rss_start = process_rss_kib(target.pid);
    print_message("# start: RSS %ld KiB\n", rss_start);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    target_stop(&target);
    return 0;
}

static void test_random_bytes(void **state)
{
    (void)state;
    srand(12345);
    unsigned char junk[4096];
    for (int c = 0; c < 100; c++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)rand();
        int fd = http_connect(target.where);
        if (fd < 0)
            continue;
        set_send_timeout(fd, 1000);
        send_some(fd, junk, (size_t)(rand() % (int)sizeof junk) + 1);
        close(fd);
    }
    assert_still_serving("random bytes");
}

static void test_enormous_header(void **state)
{
    (void)state;
    size_t size = 1 << 20;
    char *header = malloc(size);
    memset(header, 'a', size);
    for (int c = 0; c < 5; c++) {
        int fd = http_connect(target.where);
        assert_true(fd >= 0);
        set_send_timeout(fd, 2000);
        const char start[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ";
        send_some(fd, start, sizeof start - 1);
        send_some(fd, header, size);
        send_some(fd, "\r\n\r\n", 4);
        char buf[64] = "";
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        /* refused with an error status, or the connection closed: never a page */
        if (n > 0)
            assert_true(strncmp(buf, "HTTP/1.1 200", 12) != 0);
        close(fd);
    }
    free(header);
    /* a long URL too */
    char path[70000] = "/debug/threads?x=";
    memset(path + strlen(path), 'b', sizeof path - strlen(path) - 1);
    path[sizeof path - 1] = '\0';
    struct http_reply r = http_get(target.where, path);
    assert_true(r.status != 200);
    http_reply_free(&r);
    assert_still_serving("enormous headers");
}

static void test_slow_clients(void **state)
{
    (void)state;
    enum { SLOW = 20 };
    int fds[SLOW];
    const char request[] = "GET /debug/threads?debug=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < SLOW; i++)
        fds[i] = http_connect(target.where);
    /* a byte each, every 50 ms, for a second: they never finish their request */
    for (size_t k = 0; k < 20 && k < sizeof request - 1; k++) {
        for (int i = 0; i < SLOW; i++) {
            if (fds[i] >= 0)
                send_some(fds[i], request + k, 1);
        }
        usleep(50000);
    }
    /* meanwhile, a normal client is served */
    struct http_reply r = http_get(target.where, "/metrics");
    assert_int_equal(r.status, 200);
    http_reply_free(&r);
    for (int i = 0; i < SLOW; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    assert_still_serving("slow clients");
}

static void test_many_connections(void **state)
{
    (void)state;
    int fds[MANY_CONNECTIONS];
    int opened = 0;
    for (int i = 0; i < MANY_CONNECTIONS; i++) {
        fds[i] = http_connect(target.where);
        opened += fds[i] >= 0;
    }
    /* half of them ask for something; the rest just sit there */
    const char request[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < MANY_CONNECTIONS; i += 2) {
        if (fds[i] >= 0) {
            set_send_timeout(fds[i], 500);
            send_some(fds[i], request, sizeof request - 1);
        }
    }
    usleep(500000);
    assert_true(process_alive(target.pid));
    int answered = 0;
    for (int i = 0; i < MANY_CONNECTIONS; i += 2) {
        char buf[32];
        struct pollfd p = {.fd = fds[i], .events = POLLIN};
        if (fds[i] >= 0 && poll(&p, 1, 0) == 1 && recv(fds[i], buf, sizeof buf, MSG_DONTWAIT) > 0 &&
            strncmp(buf, "HTTP/1.1 200", 12) == 0)
            answered++;
    }
    print_message("# %d of %d connections opened, %d of the %d requests answered at once\n", opened,
                  MANY_CONNECTIONS, answered, MANY_CONNECTIONS / 2);
    for (int i = 0; i < MANY_CONNECTIONS; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    assert_still_serving("300 connections");
}

static void test_cut_off_requests_and_unread_responses(void **state)
{
    (void)state;
    const char full[] = "GET /debug/threads?debug=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int c = 0; c < 50; c++) {
        int fd = http_connect(target.where);
        if (fd < 0)
            continue;
        /* a request cut at every length, or sent whole and the answer never read */
        size_t len = (size_t)c % sizeof full;
        send_some(fd, full, c % 5 == 4 ? sizeof full - 1 : len);
        if (c % 5 == 4) {
            struct linger hard = {1, 0}; /* close with a reset while the server writes */
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        }
        close(fd);
    }
    assert_still_serving("cut-off requests");
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
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_enormous_header),
        cmocka_unit_test(test_slow_clients),
        cmocka_unit_test(test_many_connections),
        cmocka_unit_test(test_cut_off_requests_and_unread_responses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
