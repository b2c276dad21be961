/* Mann-Kendall with Sen's slope and a new-high rule, over the latest samples: growth_trend.h. */
#include "growth_trend.h"

#include <stdbool.h>
#include <stdlib.h>

#define MS_PER_HOUR 3600000.0

static int sign_of(long long d)
{
    return (d > 0) - (d < 0);
}

static int compare_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

static void swap_double(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* The k-th smallest of v[0..n) (Hoare's selection, the middle element as pivot: deterministic),
 * leaving the k smaller ones in v[0..k). O(n) on average, where sorting was too slow for the
 * 130,000 pairs of 512 samples. */
static double kth_smallest(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap_double(&v[i], &v[j]);
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* The variance of S under "no trend", less what tied values take away. */
static double kendall_variance(const uint32_t *live, size_t n, uint32_t *scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = live[i];
    qsort(scratch, n, sizeof *scratch, compare_u32);
    double dn = (double)n;
    double var = dn * (dn - 1) * (2 * dn + 5);
    for (size_t i = 0; i < n;) {
        size_t end = i + 1;
        while (end < n && scratch[end] == scratch[i])
            end++;
        double t = (double)(end - i);
        var -= t * (t - 1) * (2 * t + 5);
        i = end;
    }
    return var / 18.0;
}

/* Mann-Kendall's test at GROWTH_TREND_Z: 1 for a rising trend, -1 for a falling one, else 0.
 * Z = (S - sign(S)) / sqrt(var) is compared squared, so that the shim needs no libm. */
static int kendall_direction(const uint32_t *live, size_t n, uint32_t *scratch)
{
    long long s = 0;
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n; j++)
            s += sign_of((long long)live[j] - (long long)live[i]);
    double var = kendall_variance(live, n, scratch);
    if (var <= 0 || s == 0)
        return 0;
    double excess = (double)s - sign_of(s);
    if (excess * excess < GROWTH_TREND_Z * GROWTH_TREND_Z * var)
        return 0;
    return sign_of(s);
}

/* Sen's slope in threads per millisecond: the median of every pair's slope. */
static double sen_slope(const int64_t *t_ms, const uint32_t *live, size_t n, double *pairs)
{
    size_t m = 0;
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (t_ms[j] > t_ms[i])
                pairs[m++] = ((double)live[j] - (double)live[i]) / (double)(t_ms[j] - t_ms[i]);
    if (m == 0)
        return 0;
    double upper = kth_smallest(pairs, m, m / 2);
    if (m % 2)
        return upper;
    double lower = pairs[0]; /* kth_smallest left everything below m/2 in pairs[0..m/2) */
    for (size_t i = 1; i < m / 2; i++)
        lower = pairs[i] > lower ? pairs[i] : lower;
    return (lower + upper) / 2;
}

/* The latest third of the stretch (the last len of n samples) has a value above (direction 1)
 * or below (-1) every earlier sample of the window: a leak keeps making new highs, a pool at its
 * bound or one that scales up and down again makes none once it has been there before. */
static bool new_extreme_late(const uint32_t *live, size_t n, size_t len, int direction)
{
    size_t late = n - (len + 2) / 3;
    uint32_t before = live[0], after = live[late];
    for (size_t i = 0; i < late; i++)
        before = direction > 0 ? (live[i] > before ? live[i] : before)
                               : (live[i] < before ? live[i] : before);
    for (size_t i = late; i < n; i++)
        after = direction > 0 ? (live[i] > after ? live[i] : after)
                              : (live[i] < after ? live[i] : after);
    return direction > 0 ? after > before : after < before;
}

struct scratch {
    uint32_t *values;
    double *pairs;
};

/* How far the trend line must rise across n samples to count: one whole thread, and no less
 * than twice the spread of the samples around the line (the interquartile range of the
 * residuals), so that a run of noise that happens to climb is not taken for a leak. */
static double minimum_rise(const int64_t *t_ms, const uint32_t *live, size_t n, double slope,
                           double *scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = (double)live[i] - slope * (double)(t_ms[i] - t_ms[0]);
    double q3 = kth_smallest(scratch, n, 3 * n / 4);
    double q1 = kth_smallest(scratch, 3 * n / 4, n / 4);
    double spread = 2 * (q3 - q1);
    return spread > 1.0 ? spread : 1.0;
}

/* The trend of the latest len of the n samples. */
static struct growth_trend_result trend_of_latest(const int64_t *t_all, const uint32_t *all,
                                                  size_t total, size_t n, struct scratch *s)
{
    const int64_t *t_ms = t_all + (total - n);
    const uint32_t *live = all + (total - n);
    struct growth_trend_result r = {.trend = GROWTH_STEADY, .samples = n};
    int direction = 0;
    if (n >= GROWTH_TREND_MIN_SAMPLES) {
        direction = kendall_direction(live, n, s->values);
        if (direction != 0 && !new_extreme_late(all, total, n, direction))
            direction = 0;
    }
    if (direction == 0 && n != total)
        return r; /* steady; only the whole series' slope is shown */
    double slope = sen_slope(t_ms, live, n, s->pairs);
    r.per_hour = slope * MS_PER_HOUR;
    double rise = slope * (double)(t_ms[n - 1] - t_ms[0]);
    if (direction != 0 && rise * direction >= minimum_rise(t_ms, live, n, slope, s->pairs))
        r.trend = direction > 0 ? GROWTH_GROWING : GROWTH_SHRINKING;
    return r;
}

struct growth_trend_result growth_trend_of(const int64_t *t_ms, const uint32_t *live, size_t n)
{
    struct growth_trend_result steady = {.trend = GROWTH_STEADY, .samples = n};
    if (n < 2)
        return steady;
    struct scratch s = {malloc(n * sizeof *s.values), malloc(n * (n - 1) / 2 * sizeof *s.pairs)};
    if (!s.values || !s.pairs) {
        free(s.values);
        free(s.pairs);
        return steady;
    }
    /* Stretches of the latest n, n/2, n/4, ... samples, then the latest MIN_SAMPLES; the
     * shortest is tried first. Below MIN_SAMPLES, only the slope of all of them is given. */
    size_t lengths[8 * sizeof(size_t) + 1];
    size_t count = 0;
    for (size_t len = n; len >= GROWTH_TREND_MIN_SAMPLES; len /= 2)
        lengths[count++] = len;
    if (count == 0 || lengths[count - 1] != GROWTH_TREND_MIN_SAMPLES)
        lengths[count++] = n < GROWTH_TREND_MIN_SAMPLES ? n : GROWTH_TREND_MIN_SAMPLES;
    struct growth_trend_result r = steady;
    for (size_t i = count; i-- > 0;) {
        r = trend_of_latest(t_ms, live, n, lengths[i], &s);
        if (r.trend != GROWTH_STEADY)
            break;
    }
    free(s.values);
    free(s.pairs);
    return r;
}

const char *growth_trend_name(enum growth_trend trend)
{
    switch (trend) {
    case GROWTH_GROWING:
        return "growing";
    case GROWTH_SHRINKING:
        return "shrinking";
    case GROWTH_STEADY:
        break;
    }
    return "steady";
}
