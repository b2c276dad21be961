/* The toolbox: FNV-1a against published vectors, growth, whole-file reads, clocks. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "toolbox.h"

static void test_hash_matches_fnv1a_vectors(void **state)
{
    (void)state;
    /* The FNV authors' 64-bit FNV-1a test vectors. */
    assert_true(tl__hash_string(TL__HASH_SEED, "") == 0xcbf29ce484222325ull);
    assert_true(tl__hash_string(TL__HASH_SEED, "a") == 0xaf63dc4c8601ec8cull);
    assert_true(tl__hash_string(TL__HASH_SEED, "foobar") == 0x85944171f73967e8ull);
    assert_true(tl__hash_bytes(TL__HASH_SEED, "foobar", 6) == 0x85944171f73967e8ull);
    /* Parts fed in turn hash like the whole. */
    assert_true(tl__hash_string(tl__hash_string(TL__HASH_SEED, "foo"), "bar") ==
                0x85944171f73967e8ull);
    assert_true(tl__hash_word(TL__HASH_SEED, 1) != tl__hash_word(TL__HASH_SEED, 2));
}

static void test_grow_doubles_and_keeps_items(void **state)
{
    (void)state;
    int *items = NULL;
    size_t capacity = 0;
    for (size_t i = 0; i < 100; i++) {
        assert_true(tl__grow((void **)&items, i, &capacity, sizeof *items, 4));
        assert_true(capacity > i);
        items[i] = (int)i;
    }
    assert_int_equal(capacity, 128); /* 4, 8, ..., 128 */
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(items[i], (int)i);
    size_t before = capacity;
    assert_true(tl__grow((void **)&items, 10, &capacity, sizeof *items, 4));
    assert_int_equal(capacity, before); /* room already */
    free(items);
}

static void test_grow_refuses_an_overflowing_size(void **state)
{
    (void)state;
    void *items = NULL;
    size_t capacity = SIZE_MAX / 2 + 1;
    errno = 0;
    assert_false(tl__grow(&items, capacity, &capacity, 2, 4));
    assert_int_equal(errno, ENOMEM);
    assert_null(items);
}

static void test_read_file_reads_proc_files_whole(void **state)
{
    (void)state;
    size_t len = 0;
    /* stat says 0 bytes for /proc files: the read must not trust it. */
    char *text = tl__read_file_at(AT_FDCWD, "/proc/self/status", 1 << 20, &len);
    assert_non_null(text);
    assert_true(len > 100);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "\nSigBlk:"));
    free(text);
}

static void test_read_file_relative_to_dirfd_and_large(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl_toolbox_XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dirfd >= 0);
    int fd = openat(dirfd, "big", O_WRONLY | O_CREAT, 0600);
    static char block[10000];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 3; i++)
        assert_int_equal(write(fd, block, sizeof block), (ssize_t)sizeof block);
    close(fd);
    size_t len = 0;
    char *text = tl__read_file_at(dirfd, "big", 30000, &len);
    assert_non_null(text);
    assert_int_equal(len, 30000);
    assert_int_equal(text[29999], 'x');
    assert_int_equal(text[30000], '\0');
    free(text);
    errno = 0;
    assert_null(tl__read_file_at(dirfd, "big", 29999, NULL));
    assert_int_equal(errno, EFBIG);
    errno = 0;
    assert_null(tl__read_file_at(dirfd, "missing", 100, NULL));
    assert_int_equal(errno, ENOENT);
    unlinkat(dirfd, "big", 0);
    close(dirfd);
    rmdir(dir);
}

static void test_clocks_move_forward(void **state)
{
    (void)state;
    uint64_t a = tl__monotonic_ns();
    double s = tl__monotonic_seconds();
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
    uint64_t b = tl__monotonic_ns();
    assert_true(b - a >= 2000000u);
    assert_true(tl__monotonic_seconds() - s >= 0.002);
    assert_true(tl__realtime_ns() > 1600000000ull * 1000000000ull); /* after 2020 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_matches_fnv1a_vectors),
        cmocka_unit_test(test_grow_doubles_and_keeps_items),
        cmocka_unit_test(test_grow_refuses_an_overflowing_size),
        cmocka_unit_test(test_read_file_reads_proc_files_whole),
        cmocka_unit_test(test_read_file_relative_to_dirfd_and_large),
        cmocka_unit_test(test_clocks_move_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
