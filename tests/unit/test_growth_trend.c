/* The growth trend test on synthetic series: a thread leaked per request, a leak that starts
 * after a quiet spell, a bounded pool, a pool that scales up and down, oscillation and noise.
 * Every series is judged at every length it passes through, as the sampler would see it grow. */
#define _GNU_SOURCE /* M_PI */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "growth_trend.h"

#define MAX_SAMPLES 360
#define SAMPLE_MS   10000

static int64_t times[MAX_SAMPLES];
static uint32_t series[MAX_SAMPLES];

static void set_times(void)
{
    for (size_t i = 0; i < MAX_SAMPLES; i++)
        times[i] = 1700000000000 + (int64_t)i * SAMPLE_MS;
}

static enum growth_trend trend_at(size_t n)
{
    return growth_trend_of(times, series, n).trend;
}

/* A deterministic noise source: the same series on every run. */
static uint32_t lcg_state;
static int noise(int amplitude)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (int)((lcg_state >> 16) % (unsigned)(2 * amplitude + 1)) - amplitude;
}

static void count_trends(size_t from, size_t to, size_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    for (size_t n = from; n <= to; n++)
        counts[trend_at(n)]++;
}

static void test_leak_per_request_grows_within_ten_samples(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_SAMPLES; i++)
        series[i] = 4 + (uint32_t)i;              /* a pool of 4, and one thread more per sample */
    assert_int_equal(trend_at(7), GROWTH_STEADY); /* too few samples to say */
    for (size_t n = GROWTH_TREND_MIN_SAMPLES; n <= MAX_SAMPLES; n++)
        assert_int_equal(trend_at(n), GROWTH_GROWING);
    struct growth_trend_result r = growth_trend_of(times, series, 10);
    assert_true(fabs(r.per_hour - 360.0) < 1e-6); /* one thread every 10 s */
}

static void test_leak_with_noise_and_bursts_grows(void **state)
{
    (void)state;
    lcg_state = 7;
    uint32_t leaked = 0;
    for (size_t i = 0; i < MAX_SAMPLES; i++) {
        if (i % 3 != 2) /* requests come in bursts: two samples with one, one without */
            leaked++;
        series[i] = (uint32_t)(20 + noise(3)) + leaked;
    }
    assert_int_equal(trend_at(MAX_SAMPLES), GROWTH_GROWING);
    size_t counts[3];
    count_trends(16, MAX_SAMPLES, counts);
    assert_int_equal(counts[GROWTH_SHRINKING], 0);
    assert_true(counts[GROWTH_GROWING] >= counts[GROWTH_STEADY] * 9); /* growing nearly always */
}

static void test_leak_after_a_quiet_spell_grows_within_ten_samples(void **state)
{
    (void)state;
    lcg_state = 11;
    for (size_t i = 0; i < 300; i++)
        series[i] = (uint32_t)(8 + noise(1)); /* a pool of 8, for 50 minutes */
    for (size_t i = 300; i < MAX_SAMPLES; i++)
        series[i] = 9 + (uint32_t)(i - 300); /* then one more per sample */
    assert_int_equal(trend_at(300), GROWTH_STEADY);
    for (size_t n = 310; n <= MAX_SAMPLES; n++)
        assert_int_equal(trend_at(n), GROWTH_GROWING);
}

static void test_bounded_pool_is_steady_once_at_its_bound(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_SAMPLES; i++)
        series[i] = i < 8 ? 2 * (uint32_t)i : 16; /* scales up to 16 in 8 samples, stays */
    for (size_t n = 3 * 8; n <= MAX_SAMPLES; n++)
        assert_int_equal(trend_at(n), GROWTH_STEADY);
    /* Near its bound, with a thread or two coming and going. */
    lcg_state = 3;
    for (size_t i = 8; i < MAX_SAMPLES; i++)
        series[i] = (uint32_t)(15 + noise(1));
    size_t counts[3];
    count_trends(3 * 8, MAX_SAMPLES, counts);
    assert_int_equal(counts[GROWTH_GROWING], 0);
}

static void test_pool_scaling_up_and_down_never_grows(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_SAMPLES; i++) /* 2..20 in ten samples, then back to 2 */
        series[i] = 2 + 2 * (uint32_t)(i % 10);
    size_t counts[3];
    count_trends(2 * 10, MAX_SAMPLES, counts);
    assert_int_equal(counts[GROWTH_GROWING], 0);
    assert_int_equal(counts[GROWTH_SHRINKING], 0);
}

static void test_oscillation_never_grows(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_SAMPLES; i++) /* load with a period of 37 samples */
        series[i] = (uint32_t)lround(30 + 20 * sin((double)i * 2 * M_PI / 37));
    size_t counts[3];
    count_trends(2 * 37, MAX_SAMPLES, counts);
    assert_int_equal(counts[GROWTH_GROWING], 0);
    assert_int_equal(counts[GROWTH_SHRINKING], 0);
}

/* Noise alone: a count of 50 +- 10, uniformly at random, every sample. A climb as steep and as
 * long as a leak's happens in noise too, rarely: the test allows one verdict in a thousand, in
 * episodes shorter than GROWTH_TREND_MIN_SAMPLES samples, which the shipped alert's `for:`
 * outlasts (docs/prometheus/threadleak-rules.yml). */
static void test_noise_grows_rarely_and_briefly(void **state)
{
    (void)state;
    size_t verdicts = 0, growing = 0, longest_episode = 0;
    for (unsigned seed = 1; seed <= 20; seed++) {
        lcg_state = seed;
        for (size_t i = 0; i < MAX_SAMPLES; i++)
            series[i] = (uint32_t)(50 + noise(10));
        size_t episode = 0;
        for (size_t n = 32; n <= MAX_SAMPLES; n++, verdicts++) {
            enum growth_trend t = trend_at(n);
            assert_int_not_equal(t, GROWTH_SHRINKING);
            episode = t == GROWTH_GROWING ? episode + 1 : 0;
            growing += t == GROWTH_GROWING;
            longest_episode = episode > longest_episode ? episode : longest_episode;
        }
    }
    printf("noise: %zu of %zu verdicts growing, longest run %zu\n", growing, verdicts,
           longest_episode);
    assert_true(growing * 1000 <= verdicts);
    assert_true(longest_episode < GROWTH_TREND_MIN_SAMPLES);
}

static void test_shrinking_and_constant(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_SAMPLES; i++)
        series[i] = 600 - (uint32_t)i;
    assert_int_equal(trend_at(MAX_SAMPLES), GROWTH_SHRINKING);
    assert_true(growth_trend_of(times, series, 20).per_hour < 0);
    for (size_t i = 0; i < MAX_SAMPLES; i++)
        series[i] = 5;
    assert_int_equal(trend_at(MAX_SAMPLES), GROWTH_STEADY);
    assert_true(growth_trend_of(times, series, MAX_SAMPLES).per_hour == 0);
    assert_int_equal(trend_at(0), GROWTH_STEADY);
    assert_int_equal(trend_at(1), GROWTH_STEADY);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(growth_trend_name(GROWTH_GROWING), "growing");
    assert_string_equal(growth_trend_name(GROWTH_STEADY), "steady");
    assert_string_equal(growth_trend_name(GROWTH_SHRINKING), "shrinking");
}

int main(void)
{
    set_times();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leak_per_request_grows_within_ten_samples),
        cmocka_unit_test(test_leak_with_noise_and_bursts_grows),
        cmocka_unit_test(test_leak_after_a_quiet_spell_grows_within_ten_samples),
        cmocka_unit_test(test_bounded_pool_is_steady_once_at_its_bound),
        cmocka_unit_test(test_pool_scaling_up_and_down_never_grows),
        cmocka_unit_test(test_oscillation_never_grows),
        cmocka_unit_test(test_noise_grows_rarely_and_briefly),
        cmocka_unit_test(test_shrinking_and_constant),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
