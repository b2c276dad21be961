/* c11_threads_leak: a C11 <threads.h> worker that is waited for but never thrd_join'ed.
 *
 * The bug: compute_checksum_async starts a thrd_t and returns it; the caller waits for the result
 * through a cnd_t and then drops the handle without thrd_join or thrd_detach.
 *
 * Expected: one finished, joinable leak of `checksum_worker`, created by main with thrd_create.
 * TSan: nothing. glibc's thrd_create calls its internal pthread_create directly and TSan has no
 * thrd_create interceptor, so TSan never learns the thread exists.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

struct checksum_job {
    mtx_t lock;
    cnd_t done_cond;
    bool done;
    const unsigned char *data;
    size_t len;
    unsigned sum;
};

static int checksum_worker(void *arg)
{
    struct checksum_job *job = arg;
    unsigned a = 1, b = 0;
    for (size_t i = 0; i < job->len; i++) {
        a = (a + job->data[i]) % 65521;
        b = (b + a) % 65521;
    }
    mtx_lock(&job->lock);
    job->sum = (b << 16) | a;
    job->done = true;
    cnd_signal(&job->done_cond);
    mtx_unlock(&job->lock);
    return thrd_success;
}

thrd_t compute_checksum_async(struct checksum_job *job)
{
    thrd_t worker;
    if (thrd_create(&worker, checksum_worker, job) != thrd_success) {
        fprintf(stderr, "thrd_create failed\n");
        exit(1);
    }
    return worker;
}

int main(void)
{
    static const unsigned char payload[] = "the quick brown fox jumps over the lazy dog";
    static struct checksum_job job = {.data = payload, .len = sizeof payload - 1};
    mtx_init(&job.lock, mtx_plain);
    cnd_init(&job.done_cond);

    compute_checksum_async(&job); /* handle ignored: never joined */
    mtx_lock(&job.lock);
    while (!job.done)
        cnd_wait(&job.done_cond, &job.lock);
    unsigned sum = job.sum;
    mtx_unlock(&job.lock);
    printf("c11_threads_leak: adler32 = %08x\n", sum);
    /* Let the worker finish returning, so "finished" is the state at exit. */
    thrd_sleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
    return 0;
}
