/* Helpers for the test-API suite (api_support.h). */
#define _GNU_SOURCE
#include "api_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void gate_wait(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->opened, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->opened);
    pthread_mutex_unlock(&g->lock);
}

void gate_close(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = false;
    pthread_mutex_unlock(&g->lock);
}

char *verify_to_text(const tl_options *base, int *leaked)
{
    tl_options o = {0};
    if (base)
        o = *base;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    o.out = out;
    o.color = TL_COLOR_NEVER;
    *leaked = tl_verify_none(&o);
    fclose(out);
    return text;
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

bool mentions_site(const char *text, const char *file, int line)
{
    char site[256];
    snprintf(site, sizeof site, "%s:%d", file, line);
    return strstr(text, site) != NULL;
}
