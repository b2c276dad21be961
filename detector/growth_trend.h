/* Whether a series of live-thread counts grows: the trend test behind /debug/threads/growth.
 *
 * A server's leak is a count that keeps rising; a pool rises to its bound and stays there, or
 * scales up and down with load. The test must tell them apart from counts alone, whatever their
 * noise, and give the same answer for the same samples (no clock, no randomness):
 *
 * - Mann-Kendall: S sums the sign of every later-minus-earlier pair; under "no trend" it is
 *   near 0 with a known variance (corrected for ties, which integer counts have many of). Only
 *   the order of values counts, so an oscillation's size or a single outlier moves it little.
 *   Growing needs Z >= GROWTH_TREND_Z: one-sided p < 0.001, strict because up to seven stretches
 *   are tried (below).
 * - A minimum slope: Sen's slope (the median of every pair's slope, robust to outliers) times
 *   the series' span must reach one thread, and twice the spread of the samples around that line
 *   (their interquartile range). A trend that does not add up to one whole thread, or that noise
 *   of the same size would make, is not a leak.
 * - A new high in the latest third, above every earlier sample of the window: a leak keeps making
 *   them; a pool that has reached its bound, or scales up again to where it was before, makes
 *   none. Mann-Kendall alone calls a ramp-then-plateau "growing" for as long as the ramp is in
 *   the window, and a pool's every scale-up a leak. A pool that ramps up is growing until its
 *   plateau is a third of the samples (then steady), as nothing tells it from a leak before.
 *
 * Shrinking is the mirror image. A leak that starts after a long quiet spell is diluted in a
 * long window, so the test runs on the latest n, n/2, n/4, ... samples down to
 * GROWTH_TREND_MIN_SAMPLES, and on the latest GROWTH_TREND_MIN_SAMPLES; the shortest one that is
 * not steady decides (what happens now matters most). A leak of one thread per request is thus
 * growing after GROWTH_TREND_MIN_SAMPLES samples of it. */
#ifndef THREADLEAK_GROWTH_TREND_H
#define THREADLEAK_GROWTH_TREND_H

#include <stddef.h>
#include <stdint.h>

#define GROWTH_TREND_MIN_SAMPLES 8
#define GROWTH_TREND_Z           3.09 /* one-sided p < 0.001: several stretches are tried */

enum growth_trend {
    GROWTH_STEADY,
    GROWTH_GROWING,
    GROWTH_SHRINKING,
};

struct growth_trend_result {
    enum growth_trend trend;
    double per_hour; /* Sen's slope of the deciding samples (all of them when steady), per hour */
    size_t samples;  /* how many of the latest samples decided */
};

/* The trend of n samples, live[i] at t_ms[i] (strictly increasing). Deterministic; allocates
 * scratch memory (O(n^2) doubles: callers bound n) and says steady when it cannot. */
struct growth_trend_result growth_trend_of(const int64_t *t_ms, const uint32_t *live, size_t n);

/* "growing", "steady", "shrinking". */
const char *growth_trend_name(enum growth_trend trend);

#endif
