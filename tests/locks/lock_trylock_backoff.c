/* The classic way out of an inversion: the second thread takes B, then only tries A and backs
 * off when it is busy. A trylock cannot wait, so it adds no edge: no inversion. */
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *a_then_b(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&a);
        pthread_mutex_lock(&b);
        pthread_mutex_unlock(&b);
        pthread_mutex_unlock(&a);
    }
    return arg;
}

static void *b_then_try_a(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&b);
        if (pthread_mutex_trylock(&a) == 0)
            pthread_mutex_unlock(&a);
        pthread_mutex_unlock(&b);
    }
    return arg;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, a_then_b, NULL);
    pthread_create(&t2, NULL, b_then_try_a, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
