/* The growth sampler: every growth_sample_ms, the live-thread count of each group (start routine
 * + creation site) into the bounded history of growth_history.h.
 *
 * It runs only in a thread threadleak owns (the endpoint's services thread), and only when the
 * endpoint is on. A sample is a lock-free copy of the registry: no signal, no /proc read, no
 * descriptor, nothing in pthread_create's path. Threads are grouped by start routine and first
 * creation pcs; each such group is symbolised once, by the first request for a view (in the
 * thread serving it, which symbolises for every other page too), never by a sample: the
 * symboliser opens the program's files, and the endpoint holds no descriptor until asked.
 * Threadleak's own threads, sanitizers' threads and the main thread are left out.
 *
 * created_total counts the threads of a group the sampler has seen: a thread that starts and is
 * released between two samples is not counted (nor is it a leak). */
#ifndef THREADLEAK_GROWTH_SAMPLER_H
#define THREADLEAK_GROWTH_SAMPLER_H

#include "growth_model.h"

#include <stdint.h>

/* Starts sampling with the options' values. 0, or -1 when memory is short (then views fail). Call
 * once, before the first growth_sampler_tick. */
int growth_sampler_start(unsigned sample_ms, unsigned window_s);

/* Takes a sample when one is due at now_ms (CLOCK_MONOTONIC); returns the milliseconds until the
 * next one is. The caller's loop sleeps no longer than that. */
unsigned growth_sampler_tick(uint64_t now_ms);

/* A view of the history with trends, for the endpoint's routes (any thread). 0, or -1 when the
 * sampler is not running or memory is short. Free it with growth_view_free. */
int growth_sampler_view(struct growth_view *out);

#endif
