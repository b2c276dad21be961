/* One library, one registry: this binary links libthreadleak.so, and ctest also runs it with the
 * same library preloaded, with a copy from another directory preloaded, and under `threadleak
 * run`. In every case the dynamic linker must map a single libthreadleak (a preloaded object
 * whose soname is libthreadleak.so satisfies the DT_NEEDED entry), the interposed pthread_create
 * must live in that object, and the threads it records must be the ones tl_find sees. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_support.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATHS 8

static struct gate release = GATE_INIT;

static void *registry_probe(void *arg)
{
    (void)arg;
    gate_wait(&release);
    return NULL;
}

/* The distinct files named libthreadleak* mapped into this process. */
static size_t mapped_threadleak_copies(char paths[MAX_PATHS][4096])
{
    FILE *maps = fopen("/proc/self/maps", "re");
    assert_non_null(maps);
    size_t n = 0;
    char line[4096 + 256];
    while (fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (!path || !strstr(path, "/libthreadleak"))
            continue;
        path[strcspn(path, "\n")] = '\0';
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(paths[i], path) == 0;
        if (!seen && n < MAX_PATHS)
            snprintf(paths[n++], 4096, "%s", path);
    }
    fclose(maps);
    return n;
}

static void test_one_copy_is_mapped(void **state)
{
    (void)state;
    char paths[MAX_PATHS][4096];
    size_t n = mapped_threadleak_copies(paths);
    const char *preload = getenv("LD_PRELOAD");
    printf("LD_PRELOAD=%s\n", preload ? preload : "(unset)");
    for (size_t i = 0; i < n; i++)
        printf("mapped: %s\n", paths[i]);
    assert_int_equal(n, 1);
}

static void test_pthread_create_and_api_share_an_object(void **state)
{
    (void)state;
    Dl_info api, create;
    assert_true(dladdr((void *)tl_find, &api) != 0);
    void *resolved = dlsym(RTLD_DEFAULT, "pthread_create");
    assert_true(dladdr(resolved, &create) != 0);
    printf("tl_find in %s, pthread_create in %s\n", api.dli_fname, create.dli_fname);
    assert_ptr_equal(api.dli_fbase, create.dli_fbase);
}

static void test_threads_created_here_are_seen(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, registry_probe, NULL), 0);
    tl_report *r = tl_find(&(tl_options){.linger_ms = TL_LINGER_NONE});
    assert_int_equal(tl_report_count(r), 1);
    char *text = tl_report_string(r, TL_FORMAT_TEXT);
    assert_non_null(strstr(text, "registry_probe"));
    free(text);
    tl_report_free(r);
    gate_open(&release);
    pthread_join(t, NULL);
    assert_int_equal(tl_verify_none(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_copy_is_mapped),
        cmocka_unit_test(test_pthread_create_and_api_share_an_object),
        cmocka_unit_test(test_threads_created_here_are_seen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
