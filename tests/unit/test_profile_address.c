/* endpoint_address.c: what `http=` accepts (loopback only) and what it refuses, and the Host
 * header check that keeps web pages out through DNS rebinding. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../../shim/endpoint_address.h"

static void test_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int family;
        unsigned port;
        const char *formatted;
    } cases[] = {
        {"127.0.0.1:6060", AF_INET, 6060, "127.0.0.1:6060"},
        {"127.1.2.3:0", AF_INET, 0, "127.1.2.3:0"},
        {"localhost:80", AF_INET, 80, "127.0.0.1:80"},
        {"LOCALHOST:65535", AF_INET, 65535, "127.0.0.1:65535"},
        {"[::1]:6060", AF_INET6, 6060, "[::1]:6060"},
        {"::1:7", AF_INET6, 7, "[::1]:7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct endpoint_address a;
        char err[256] = "";
        if (endpoint_address_parse(cases[i].text, &a, err, sizeof err) != 0)
            fail_msg("%s refused: %s", cases[i].text, err);
        assert_int_equal(a.addr.ss_family, cases[i].family);
        assert_int_equal(a.port, cases[i].port);
        char text[80];
        endpoint_address_format(&a, a.port, text, sizeof text);
        assert_string_equal(text, cases[i].formatted);
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a.addr;
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a.addr;
        assert_int_equal(ntohs(cases[i].family == AF_INET ? v4->sin_port : v6->sin6_port),
                         cases[i].port);
        assert_int_equal(a.addr_len, cases[i].family == AF_INET ? sizeof *v4 : sizeof *v6);
    }
}

static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message; /* a piece of the one-line reason */
    } cases[] = {
        {"0.0.0.0:6060", "loopback only"},
        {"192.168.1.10:6060", "loopback only"},
        {"10.0.0.1:1", "loopback only"},
        {"[::]:6060", "loopback only"},
        {"[::ffff:10.0.0.1]:80", "loopback only"},
        {"example.com:6060", "loopback only"},
        {"128.0.0.1:6060", "loopback only"},
        {"127.0.0.1", "no port"},
        {"127.0.0.1:", "bad port"},
        {"127.0.0.1:65536", "bad port"},
        {"127.0.0.1:60a", "bad port"},
        {"127.0.0.1:-1", "bad port"},
        {"[::1:6060", "unbalanced"},
        {":6060", "bad host"},
        {"", "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct endpoint_address a;
        char err[256] = "";
        if (endpoint_address_parse(cases[i].text, &a, err, sizeof err) == 0)
            fail_msg("%s accepted", cases[i].text);
        if (!strstr(err, cases[i].message))
            fail_msg("%s: '%s' does not say '%s'", cases[i].text, err, cases[i].message);
        assert_null(strchr(err, '\n'));
        assert_true(strncmp(err, "http=", 5) == 0);
    }
}

static void test_host_header(void **state)
{
    (void)state;
    assert_true(endpoint_host_header_ok(NULL));
    assert_true(endpoint_host_header_ok("127.0.0.1:6060"));
    assert_true(endpoint_host_header_ok("127.0.0.1"));
    assert_true(endpoint_host_header_ok("localhost:6060"));
    assert_true(endpoint_host_header_ok("[::1]:6060"));
    assert_true(endpoint_host_header_ok("[::1]"));
    assert_false(endpoint_host_header_ok("evil.example:6060"));
    assert_false(endpoint_host_header_ok("10.0.0.1:6060"));
    assert_false(endpoint_host_header_ok(""));
    assert_false(endpoint_host_header_ok("[::1"));
    assert_false(endpoint_host_header_ok("[::1]x"));
    assert_false(endpoint_host_header_ok("127.0.0.1.evil.example"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_host_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
