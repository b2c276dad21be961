/* profile_pprof.c: the fixture encoded, gunzipped with zlib and decoded with protobuf-c, then
 * checked for what `go tool pprof` needs: sample type, one sample per (stack, name, state) with
 * the thread count, leaf-first location ids that exist, lines pointing at named functions, and a
 * string table whose entry 0 is "". */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "profile_fixture.h"
#include "profile_pprof.h"

typedef Perftools__Profiles__Profile Profile;

static unsigned char *gunzip(const unsigned char *in, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip only */
    size_t cap = 1 << 20;
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    return out;
}

static Profile *encode_and_decode(void)
{
    struct thread_profile p;
    fixture_profile(&p);
    unsigned char *gz;
    size_t gz_len;
    assert_int_equal(profile_pprof_encode(&p, &gz, &gz_len), 0);
    thread_profile_free(&p);
    assert_true(gz_len > 18);
    assert_int_equal(gz[0], 0x1f); /* gzip magic */
    assert_int_equal(gz[1], 0x8b);
    size_t raw_len;
    unsigned char *raw = gunzip(gz, gz_len, &raw_len);
    free(gz);
    Profile *msg = perftools__profiles__profile__unpack(NULL, raw_len, raw);
    free(raw);
    assert_non_null(msg);
    return msg;
}

static const char *str(const Profile *m, int64_t index)
{
    assert_true(index >= 0 && (size_t)index < m->n_string_table);
    return m->string_table[index];
}

static const Perftools__Profiles__Location *location(const Profile *m, uint64_t id)
{
    for (size_t i = 0; i < m->n_location; i++) {
        if (m->location[i]->id == id)
            return m->location[i];
    }
    fail_msg("no location %llu", (unsigned long long)id);
    return NULL;
}

static const Perftools__Profiles__Function *function(const Profile *m, uint64_t id)
{
    for (size_t i = 0; i < m->n_function; i++) {
        if (m->function[i]->id == id)
            return m->function[i];
    }
    fail_msg("no function %llu", (unsigned long long)id);
    return NULL;
}

static const char *label(const Profile *m, const Perftools__Profiles__Sample *s, const char *key)
{
    for (size_t i = 0; i < s->n_label; i++) {
        if (strcmp(str(m, s->label[i]->key), key) == 0)
            return str(m, s->label[i]->str);
    }
    return NULL;
}

/* The outermost function name at the sample's leaf. */
static const char *leaf_function(const Profile *m, const Perftools__Profiles__Sample *s)
{
    if (s->n_location_id == 0)
        return NULL;
    const Perftools__Profiles__Location *l = location(m, s->location_id[0]);
    return str(m, function(m, l->line[l->n_line - 1]->function_id)->name);
}

static void test_header_and_string_table(void **state)
{
    (void)state;
    Profile *m = encode_and_decode();
    assert_true(m->n_string_table > 1);
    assert_string_equal(m->string_table[0], "");
    for (size_t i = 1; i < m->n_string_table; i++) {
        assert_true(m->string_table[i][0] != '\0'); /* "" only at 0 */
        for (size_t k = 1; k < i; k++)
            assert_true(strcmp(m->string_table[i], m->string_table[k]) != 0);
    }
    assert_int_equal(m->n_sample_type, 1);
    assert_string_equal(str(m, m->sample_type[0]->type), "threads");
    assert_string_equal(str(m, m->sample_type[0]->unit), "count");
    assert_non_null(m->period_type);
    assert_int_equal(m->period, 1);
    assert_int_equal(m->time_nanos, 1700000000ll * 1000000000ll);
    perftools__profiles__profile__free_unpacked(m, NULL);
}

static void test_samples_count_every_thread(void **state)
{
    (void)state;
    Profile *m = encode_and_decode();
    int64_t total = 0;
    bool workers = false, exited = false, nasty = false;
    for (size_t i = 0; i < m->n_sample; i++) {
        const Perftools__Profiles__Sample *s = m->sample[i];
        assert_int_equal(s->n_value, 1);
        assert_true(s->value[0] > 0);
        total += s->value[0];
        for (size_t k = 0; k < s->n_location_id; k++)
            assert_true(s->location_id[k] != 0 && location(m, s->location_id[k]));
        const char *leaf = leaf_function(m, s);
        if (leaf && strcmp(leaf, "__futex_abstimed_wait_common") == 0) {
            workers = true;
            assert_int_equal(s->value[0], FIXTURE_WORKERS);
            assert_int_equal(s->n_location_id, 4);
            assert_string_equal(label(m, s, "thread_name"), "worker");
            assert_string_equal(label(m, s, "state"), "waiting");
            assert_string_equal(label(m, s, "stack"), "current");
        }
        if (leaf && strcmp(leaf, FIXTURE_EXITED_FN) == 0) {
            exited = true;
            assert_string_equal(label(m, s, "state"), "exited_unjoined");
            assert_string_equal(label(m, s, "stack"), "start routine");
        }
        if (leaf && strcmp(leaf, FIXTURE_NASTY_FN) == 0) {
            nasty = true;
            assert_string_equal(label(m, s, "thread_name"), FIXTURE_NASTY_NAME);
        }
    }
    assert_int_equal(total, FIXTURE_THREADS);
    assert_true(workers && exited && nasty);
    perftools__profiles__profile__free_unpacked(m, NULL);
}

static void test_locations_and_functions(void **state)
{
    (void)state;
    Profile *m = encode_and_decode();
    for (size_t i = 0; i < m->n_location; i++) {
        const Perftools__Profiles__Location *l = m->location[i];
        assert_int_equal(l->id, i + 1);
        assert_true(l->address != 0);
        assert_true(l->n_line >= 1);
        for (size_t k = 0; k < l->n_line; k++) {
            const Perftools__Profiles__Function *f = function(m, l->line[k]->function_id);
            assert_true(f->name != 0);
        }
    }
    for (size_t i = 0; i < m->n_function; i++) {
        const Perftools__Profiles__Function *f = m->function[i];
        assert_int_equal(f->id, i + 1);
        for (size_t k = 0; k < i; k++) /* deduplicated by (name, file) */
            assert_false(m->function[k]->name == f->name &&
                         m->function[k]->filename == f->filename);
    }
    /* the worker's function and file, and its inlined futex frame */
    bool worker = false, inlined = false;
    for (size_t i = 0; i < m->n_location; i++) {
        const Perftools__Profiles__Location *l = m->location[i];
        const Perftools__Profiles__Function *outer =
            function(m, l->line[l->n_line - 1]->function_id);
        if (strcmp(str(m, outer->name), FIXTURE_WORKER_FN) == 0 && l->address == 0x401000u) {
            worker = true;
            assert_string_equal(str(m, outer->filename), FIXTURE_WORKER_FILE);
            assert_int_equal(l->line[0]->line, FIXTURE_WORKER_LINE);
        }
        if (l->n_line == 2 && l->address == 0x7f0000001000u) {
            inlined = true;
            assert_string_equal(str(m, function(m, l->line[0]->function_id)->name),
                                "__futex_abstimed_wait_common64");
        }
    }
    assert_true(worker && inlined);
    perftools__profiles__profile__free_unpacked(m, NULL);
}

static void test_empty_profile(void **state)
{
    (void)state;
    struct thread_profile p;
    assert_int_equal(thread_profile_init_empty(&p), 0);
    unsigned char *raw;
    size_t len;
    assert_int_equal(profile_pprof_encode_raw(&p, &raw, &len), 0);
    Profile *m = perftools__profiles__profile__unpack(NULL, len, raw);
    assert_non_null(m);
    assert_int_equal(m->n_sample, 0);
    assert_string_equal(m->string_table[0], "");
    perftools__profiles__profile__free_unpacked(m, NULL);
    free(raw);
    thread_profile_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_string_table),
        cmocka_unit_test(test_samples_count_every_thread),
        cmocka_unit_test(test_locations_and_functions),
        cmocka_unit_test(test_empty_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
