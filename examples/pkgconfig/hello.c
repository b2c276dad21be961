/* One file, built with pkg-config alone:
 *   cc hello.c $(pkg-config --cflags --libs threadleak) -o hello
 * Prints "clean" and exits 0 when no thread is left behind. */
#include <threadleak.h>

#include <pthread.h>
#include <stdio.h>

static void *say_hello(void *arg)
{
    puts(arg);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, say_hello, "hello from a thread");
    pthread_join(t, NULL);
    int leaked = tl_verify_none(NULL);
    puts(leaked == 0 ? "clean" : "leaked");
    return leaked != 0;
}
