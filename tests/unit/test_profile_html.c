/* profile_html.c: the page's structure (one row per thread, totals, links to every format) and
 * the escaping of everything the program controls. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_fixture.h"
#include "profile_html.h"

static char *render(void)
{
    struct thread_profile p;
    fixture_profile(&p);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(profile_write_html(out, &p), 0);
    assert_int_equal(fclose(out), 0);
    thread_profile_free(&p);
    return text;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
        n++;
    return n;
}

static void test_structure(void **state)
{
    (void)state;
    char *html = render();
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(html, "</html>\n"));
    /* a header row plus one row per thread in the threads table, one per state in totals */
    const char *threads = strstr(html, "<table class=\"threads\">");
    assert_non_null(threads);
    assert_int_equal(count(threads, "<tr"), FIXTURE_THREADS + 1);
    assert_int_equal(count(html, "<table"), count(html, "</table>"));
    assert_int_equal(count(html, "<tr"), count(html, "</tr>"));
    static const char *const links[] = {"/debug/threads?debug=1",
                                        "/debug/threads?debug=2",
                                        "/debug/threads?format=json",
                                        "/debug/pprof/threads",
                                        "/metrics",
                                        "/debug/threads/growth"};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char href[64];
        snprintf(href, sizeof href, "href=\"%s\"", links[i]);
        assert_non_null(strstr(html, href));
    }
    assert_non_null(strstr(html, "<td>" FIXTURE_WAIT "</td>"));
    assert_non_null(strstr(html, "<td>5 seconds</td>"));
    assert_non_null(strstr(html, FIXTURE_WORKER_FN " /src/worker.c:42\nstart_thread</td>"));
    assert_non_null(strstr(html, "(not tracked)"));
    assert_non_null(strstr(html, "no current stack: signals blocked"));
    free(html);
}

static void test_escaping(void **state)
{
    (void)state;
    char *html = render();
    assert_null(strstr(html, FIXTURE_NASTY_NAME));
    assert_non_null(strstr(html, "a&quot;b\\c\nd&lt;&amp;&gt;"));
    assert_non_null(strstr(html, "operator&quot;&quot; _q&lt;T&gt;"));
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    profile_html_escape(out, "<script>'&\"</script>");
    fclose(out);
    assert_string_equal(text, "&lt;script&gt;&#39;&amp;&quot;&lt;/script&gt;");
    free(text);
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
