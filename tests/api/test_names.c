/* How ignore-list patterns match function names (shim/test_api_ignore.c, compiled in here with
 * stubs for what it calls): exact, '*' prefixes, compiler clone suffixes, C++ parameter lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_api_internal.h"

/* Stubs: the matching itself needs neither stacks nor symbols. */
size_t findings_creation_stack(const struct tl__thread_info *t, struct tl__frame *out)
{
    (void)t;
    (void)out;
    return 0;
}

size_t test_api_current_functions(struct test_api_stack_cache *cache,
                                  const struct tl__thread_info *t, const char **out, size_t max,
                                  size_t *top)
{
    (void)cache;
    (void)t;
    (void)out;
    (void)max;
    *top = 0;
    return 0;
}

struct name_case {
    const char *pattern;
    const char *function;
    bool matches;
};

static void check(const struct name_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool got = test_api_name_matches(cases[i].pattern, cases[i].function);
        if (got != cases[i].matches)
            fail_msg("pattern \"%s\" vs \"%s\": %s", cases[i].pattern, cases[i].function,
                     got ? "matched" : "did not match");
    }
}

static void test_exact_and_prefix(void **state)
{
    (void)state;
    static const struct name_case cases[] = {
        {"worker", "worker", true}, {"worker", "worker2", false}, {"worker", "work", false},
        {"work*", "worker", true},  {"*", "anything", true},      {"worker*", "work", false},
        {"?", "??", false},         {"worker", NULL, false},      {NULL, "worker", false},
        {"", "worker", false},
    };
    check(cases, sizeof cases / sizeof *cases);
}

static void test_compiler_clones(void **state)
{
    (void)state;
    static const struct name_case cases[] = {
        {"spawn", "spawn.constprop.0", true},
        {"spawn", "spawn.isra.0", true},
        {"spawn", "spawn.part.0", true},
        {"spawn", "spawn.cold", true},
        {"spawn", "spawner.cold", false},
        {"ns::f(int)", "ns::f(int) [clone .isra.0]", true},
        {"ns::f", "ns::f(int) [clone .isra.0]", true},
    };
    check(cases, sizeof cases / sizeof *cases);
}

static void test_cxx_parameter_lists(void **state)
{
    (void)state;
    static const struct name_case cases[] = {
        {"ns::f", "ns::f(int) const", true},
        {"ns::f(int) const", "ns::f(int) const", true},
        {"ns::f", "ns::fg(int)", false},
        {"ns::*", "ns::fg(int)", true},
        {"(anonymous namespace)::g", "(anonymous namespace)::g()", true},
        {"Foo::operator()", "Foo::operator()() const", true},
        {"std::vector<int>::push_back", "std::vector<int>::push_back(int const&)", true},
        {"service::start", "service::start_listener()", false},
    };
    check(cases, sizeof cases / sizeof *cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_prefix),
        cmocka_unit_test(test_compiler_clones),
        cmocka_unit_test(test_cxx_parameter_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
