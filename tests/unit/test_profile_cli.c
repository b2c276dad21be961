/* The CLI pieces of the endpoint work that need no process: --timeout durations and the
 * THREADLEAK_OPTIONS that `threadleak run --http` composes (it must still parse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../cli/duration.h"
#include "../../cli/run_endpoint.h"
#include "options.h"

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double seconds;
    } good[] = {{"30s", 30},   {"2m", 120}, {"500ms", 0.5}, {"1h", 3600},
                {"1.5s", 1.5}, {"30", 30},  {"0.25m", 15},  {"86400s", 86400}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double s = -1;
        if (!duration_parse(good[i].text, &s))
            fail_msg("'%s' refused", good[i].text);
        assert_true(s > good[i].seconds - 1e-9 && s < good[i].seconds + 1e-9);
    }
    static const char *const bad[] = {"",   "s",   "0s",     "-1s", "+1s", " 1s",    "1 s",  "1sec",
                                      "1d", "2mm", "86401s", "inf", "nan", "1e400s", "0x10s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double s = 0;
        if (duration_parse(bad[i], &s))
            fail_msg("'%s' accepted as %g s", bad[i], s);
    }
}

static void test_http_option_composes_and_parses(void **state)
{
    (void)state;
    static const char *const addresses[] = {"127.0.0.1:0", "[::1]:6060", "localhost:80"};
    for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
        char err[256];
        char *options = run_endpoint_options(strdup("report_dir='/tmp/a:b':quiet=1"), addresses[i],
                                             err, sizeof err);
        assert_non_null(options);
        static struct tl__config cfg;
        options_defaults(&cfg);
        if (options_parse(options, &cfg, err, sizeof err) != 0)
            fail_msg("'%s': %s", options, err);
        assert_string_equal(cfg.http, addresses[i]);
        assert_string_equal(cfg.report_dir, "/tmp/a:b");
        free(options);
    }
    char err[64];
    char *unchanged = strdup("quiet=1");
    assert_ptr_equal(run_endpoint_options(unchanged, NULL, err, sizeof err), unchanged);
    free(unchanged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_http_option_composes_and_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
