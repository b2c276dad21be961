/* symbolize.c: functions, files and exact lines of known code; libc; C++ demangling; unknown
 * addresses; close and reuse; the dladdr fallback. Also prints the costs it measures (no timing
 * asserts). Built with -g, so libdw has line info for this file. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "symbolize.h"
#include "symbolize_cxx_probe.h"

static const char *basename_of(const char *path)
{
    if (!path)
        return NULL;
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* libc's own atoi, the test's function in libc. Not `atoi`: in an AddressSanitizer build that
   name binds to the runtime's interceptor, which lives in libasan, not in libc. */
static const void *libc_atoi(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(libc);
    void *fn = dlsym(libc, "atoi");
    assert_non_null(fn);
    dlclose(libc);
    return fn;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- known code ---- */

enum { known_static_function_line = __LINE__ + 2 }; /* the opening brace: the entry's line */
static __attribute__((noinline)) int known_static_function(int x)
{
    return x * 5 + rand();
}

static __attribute__((noinline)) void *return_address_of_this_call(void)
{
    return __builtin_return_address(0);
}

/* Stores the line of the call whose return address it returns. */
static __attribute__((noinline)) void *known_caller(int *call_line)
{
    *call_line = __LINE__ + 1;
    void *return_address = return_address_of_this_call();
    __asm__ volatile("" : : "r"(return_address) : "memory"); /* no tail call: keep the frame */
    return return_address;
}

/* An inlined helper whose call sits inside the body of its caller after inlining. */
static inline __attribute__((always_inline)) void *inlined_helper(int *call_line)
{
    *call_line = __LINE__ + 1;
    void *return_address = return_address_of_this_call();
    __asm__ volatile("" : : "r"(return_address) : "memory");
    return return_address;
}

static __attribute__((noinline)) void *caller_of_inlined_helper(int *helper_line, int *call_line)
{
    *call_line = __LINE__ + 1;
    void *return_address = inlined_helper(helper_line);
    __asm__ volatile("" : : "r"(return_address) : "memory");
    return return_address;
}

static struct tl__frame symbolize_one(const void *pc, bool return_address)
{
    void *pcs[1] = {(void *)pc};
    struct tl__frame frame;
    symbolize_frames(pcs, 1, return_address, &frame);
    return frame;
}

static void assert_known_static_function(const struct tl__frame *frame)
{
    assert_int_equal(frame->pc, (uintptr_t)known_static_function);
    assert_string_equal(frame->function, "known_static_function");
    assert_non_null(frame->file);
    assert_string_equal(basename_of(frame->file), "test_symbolize.c");
    assert_int_equal(frame->line, known_static_function_line);
    assert_non_null(frame->module);
    assert_non_null(strstr(frame->module, "test_symbolize"));
}

/* ---- costs: run first, so that the first call includes loading libdw ---- */

static void print_cold_costs(void)
{
    uint64_t start = now_ns();
    struct tl__frame frame = symbolize_one(known_static_function, false);
    uint64_t first_call = now_ns() - start;
    assert_known_static_function(&frame);

    start = now_ns();
    frame = symbolize_one(libc_atoi(), false);
    uint64_t first_in_libc = now_ns() - start;
    assert_non_null(strstr(frame.module, "libc.so"));

    printf("[ symbolize ] first call (dlopen libdw, /proc/self/maps, this exe's DWARF): %.2f ms\n",
           (double)first_call / 1e6);
    printf("[ symbolize ] first frame in libc (its separate debug info): %.2f ms\n",
           (double)first_in_libc / 1e6);
}

/* Distinct addresses in libc's text, each resolved once: libdw's lookup plus interning. */
static double warm_miss_ns_per_frame(void **pcs, size_t n)
{
    struct tl__frame *frames = calloc(n, sizeof *frames);
    assert_non_null(frames);
    uint64_t start = now_ns();
    symbolize_frames(pcs, n, true, frames);
    uint64_t elapsed = now_ns() - start;
    size_t named = 0;
    for (size_t i = 0; i < n; i++)
        named += strcmp(frames[i].function, "??") != 0;
    assert_true(named > n / 2);
    free(frames);
    return (double)elapsed / (double)n;
}

static double cached_ns_per_frame(void **pcs, size_t n, int rounds)
{
    struct tl__frame *frames = calloc(n, sizeof *frames);
    assert_non_null(frames);
    uint64_t start = now_ns();
    for (int r = 0; r < rounds; r++)
        symbolize_frames(pcs, n, true, frames);
    uint64_t elapsed = now_ns() - start;
    free(frames);
    return (double)elapsed / ((double)n * rounds);
}

static void test_costs(void **state)
{
    (void)state;
    print_cold_costs();
    enum { frames = 2000 };
    void **pcs = calloc(frames, sizeof *pcs);
    assert_non_null(pcs);
    for (size_t i = 0; i < frames; i++)
        pcs[i] = (char *)fclose + 1 + 37 * i; /* spread over ~74 KiB of libc's code */
    double miss = warm_miss_ns_per_frame(pcs, frames);
    double hit = cached_ns_per_frame(pcs, frames, 50);
    printf("[ symbolize ] per frame, warm module, not cached: %.0f ns\n", miss);
    printf("[ symbolize ] per frame, cached: %.0f ns\n", hit);
    free(pcs);
}

/* ---- what a frame says ---- */

static void test_static_function(void **state)
{
    (void)state;
    struct tl__frame frame = symbolize_one(known_static_function, false);
    assert_known_static_function(&frame);
}

static void test_return_address_reports_the_call_line(void **state)
{
    (void)state;
    int call_line = 0;
    void *return_address = known_caller(&call_line);
    struct tl__frame frame = symbolize_one(return_address, true);
    assert_int_equal(frame.pc, (uintptr_t)return_address); /* the original, not pc - 1 */
    assert_string_equal(frame.function, "known_caller");
    assert_string_equal(basename_of(frame.file), "test_symbolize.c");
    assert_int_equal(frame.line, call_line);
}

static void test_inlined_call_becomes_its_own_frame(void **state)
{
    (void)state;
    int helper_line = 0, call_line = 0;
    void *pcs[1] = {caller_of_inlined_helper(&helper_line, &call_line)};
    struct tl__frame frames[8];
    size_t depth = symbolize_frames_inlined(pcs, 1, true, frames, 8);
    assert_int_equal(depth, 2);
    assert_string_equal(frames[0].function, "inlined_helper");
    assert_true(frames[0].inlined);
    assert_int_equal(frames[0].line, helper_line);
    assert_string_equal(frames[1].function, "caller_of_inlined_helper");
    assert_false(frames[1].inlined);
    assert_int_equal(frames[1].line, call_line);
    assert_ptr_equal(frames[0].pc, frames[1].pc);
    assert_non_null(strstr(frames[1].file, "test_symbolize.c"));

    /* Without room for the chain, the innermost frame comes first. */
    assert_int_equal(symbolize_frames_inlined(pcs, 1, true, frames, 1), 1);
    assert_string_equal(frames[0].function, "inlined_helper");

    /* A frame with nothing inlined is one frame, as symbolize_frames gives it. */
    int plain_line = 0;
    void *plain[1] = {known_caller(&plain_line)};
    assert_int_equal(symbolize_frames_inlined(plain, 1, true, frames, 8), 1);
    assert_string_equal(frames[0].function, "known_caller");
    assert_false(frames[0].inlined);
    assert_int_equal(frames[0].line, plain_line);
}

static void test_libc_function(void **state)
{
    (void)state;
    struct tl__frame frame = symbolize_one(libc_atoi(), false);
    assert_string_equal(frame.function, "atoi");
    assert_non_null(frame.module);
    assert_non_null(strstr(frame.module, "libc.so"));
}

static void test_versioned_symbol_is_plain(void **state)
{
    (void)state;
    /* libc's debug symbol table says "fclose@@GLIBC_2.2.5" */
    struct tl__frame frame = symbolize_one(fclose, false);
    assert_string_equal(frame.function, "fclose");
}

static void test_cxx_name_is_demangled(void **state)
{
    (void)state;
    assert_int_equal(symbolize_cxx_probe_call(2), 7);
    assert_non_null(dlsym(RTLD_DEFAULT, "__cxa_demangle")); /* precondition: libstdc++ is here */
    struct tl__frame frame = symbolize_one(symbolize_cxx_probe_address(), false);
    assert_string_equal(frame.function, "tlprobe::mangled_probe(int)");
    assert_string_equal(basename_of(frame.file), "symbolize_cxx_probe.cpp");
    assert_in_range(frame.line, symbolize_cxx_probe_first_line(), symbolize_cxx_probe_last_line());
}

static void assert_unknown(const struct tl__frame *frame, uintptr_t pc)
{
    assert_int_equal(frame->pc, pc);
    assert_string_equal(frame->function, "??");
    assert_null(frame->file);
    assert_int_equal(frame->line, 0);
    assert_null(frame->module);
}

static void test_unmapped_address_is_unknown(void **state)
{
    (void)state;
    void *pcs[3] = {(void *)0x1000, NULL, (void *)(uintptr_t)0xfffffffffff00000u};
    struct tl__frame frames[3];
    symbolize_frames(pcs, 3, true, frames);
    for (int i = 0; i < 3; i++)
        assert_unknown(&frames[i], (uintptr_t)pcs[i]);
    symbolize_frames(pcs, 3, false, frames);
    for (int i = 0; i < 3; i++)
        assert_unknown(&frames[i], (uintptr_t)pcs[i]);
    assert_string_equal(symbolize_function((void *)0x1000), "??");
}

static void test_function_lookup_is_exact(void **state)
{
    (void)state;
    assert_string_equal(symbolize_function(known_static_function), "known_static_function");
    assert_string_equal(symbolize_function(symbolize_cxx_probe_address()),
                        "tlprobe::mangled_probe(int)");
    assert_string_equal(symbolize_function(libc_atoi()), "atoi");
}

static void test_many_frames_in_one_call(void **state)
{
    (void)state;
    int call_line = 0;
    void *pcs[3] = {known_caller(&call_line), (void *)0x1000, known_caller(&call_line)};
    struct tl__frame frames[3];
    symbolize_frames(pcs, 3, true, frames);
    assert_string_equal(frames[0].function, "known_caller");
    assert_int_equal(frames[0].line, call_line);
    assert_unknown(&frames[1], 0x1000);
    assert_ptr_equal(frames[0].function, frames[2].function); /* interned and cached */
}

static void test_close_then_reuse(void **state)
{
    (void)state;
    struct tl__frame before = symbolize_one(known_static_function, false);
    int line_before = before.line;
    symbolizer_close();
    symbolizer_close(); /* twice is harmless */
    struct tl__frame after = symbolize_one(known_static_function, false);
    assert_known_static_function(&after);
    assert_int_equal(after.line, line_before);
}

/* A library loaded after the symbolizer read /proc/self/maps is found by reading it again. */
static void test_library_dlopened_later(void **state)
{
    (void)state;
    struct tl__frame before = symbolize_one(known_static_function, false); /* modules read */
    assert_known_static_function(&before);
    void *lib = dlopen(SYMBOLIZE_DLOPEN_PROBE, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(lib);
    void *probe = dlsym(lib, "symbolize_dlopen_probe");
    int (*first_line)(void) = (int (*)(void))dlsym(lib, "symbolize_dlopen_probe_first_line");
    int (*last_line)(void) = (int (*)(void))dlsym(lib, "symbolize_dlopen_probe_last_line");
    assert_non_null(probe);
    assert_non_null(first_line);
    assert_non_null(last_line);

    struct tl__frame frame = symbolize_one(probe, false);
    assert_string_equal(frame.function, "symbolize_dlopen_probe");
    assert_string_equal(basename_of(frame.file),
                        "symbolize_dlopen_probe.c"); /* libdw, not dladdr */
    assert_in_range(frame.line, first_line(), last_line());
    assert_non_null(strstr(frame.module, "symbolize_dlopen_probe"));

    symbolizer_close(); /* forget the library's addresses before they go away */
    dlclose(lib);
}

/* A static function in a stripped library: no name, but module and offset, as TSan prints. */
static void test_stripped_function_gets_module_offset(void **state)
{
    (void)state;
    void *lib = dlopen(SYMBOLIZE_STRIPPED_PROBE, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(lib);
    void *(*worker_of)(void) = (void *(*)(void))dlsym(lib, "symbolize_stripped_probe_worker");
    assert_non_null(worker_of);
    void *worker = worker_of();
    struct link_map *map = NULL;
    assert_int_equal(dlinfo(lib, RTLD_DI_LINKMAP, &map), 0);

    assert_string_equal(symbolize_function(worker), "??");
    char expected[128];
    snprintf(expected, sizeof expected, "libsymbolize_stripped_probe.so+0x%lx",
             (unsigned long)((uintptr_t)worker - map->l_addr));
    assert_string_equal(symbolize_function_or_offset(worker), expected);
    assert_string_equal(symbolize_function_or_offset(libc_atoi()), "atoi");
    assert_string_equal(symbolize_function_or_offset((void *)0x1000), "??");

    symbolizer_close();
    dlclose(lib);
}

/* ---- without libdw: dladdr's exported names only ---- */

static void test_dladdr_fallback(void **state)
{
    (void)state;
    symbolizer_use_libdw(false);
    struct tl__frame libc_frame = symbolize_one(libc_atoi(), false);
    struct tl__frame static_frame = symbolize_one(known_static_function, false);
    const char *start_routine = symbolize_function(libc_atoi());
    /* copy out before symbolizer_use_libdw releases the strings */
    char libc_function[64], libc_module[256];
    snprintf(libc_function, sizeof libc_function, "%s", libc_frame.function);
    snprintf(libc_module, sizeof libc_module, "%s", libc_frame.module ? libc_frame.module : "");
    bool static_has_module = static_frame.module && strstr(static_frame.module, "test_symbolize");
    bool start_routine_named = strcmp(start_routine, "atoi") == 0;
    const char *static_file = static_frame.file;
    int lines = libc_frame.line + static_frame.line;
    symbolizer_use_libdw(true);

    assert_string_equal(libc_function, "atoi");
    assert_non_null(strstr(libc_module, "libc.so"));
    assert_true(start_routine_named);
    assert_null(libc_frame.file);
    assert_null(static_file);
    assert_int_equal(lines, 0);
    /* a static function is not exported, so only its module is known */
    assert_true(static_has_module);

    struct tl__frame with_libdw = symbolize_one(known_static_function, false);
    assert_known_static_function(&with_libdw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_static_function),
        cmocka_unit_test(test_return_address_reports_the_call_line),
        cmocka_unit_test(test_inlined_call_becomes_its_own_frame),
        cmocka_unit_test(test_libc_function),
        cmocka_unit_test(test_versioned_symbol_is_plain),
        cmocka_unit_test(test_cxx_name_is_demangled),
        cmocka_unit_test(test_unmapped_address_is_unknown),
        cmocka_unit_test(test_function_lookup_is_exact),
        cmocka_unit_test(test_many_frames_in_one_call),
        cmocka_unit_test(test_close_then_reuse),
        cmocka_unit_test(test_library_dlopened_later),
        cmocka_unit_test(test_stripped_function_gets_module_offset),
        cmocka_unit_test(test_dladdr_fallback),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    symbolizer_close();
    return failed;
}
