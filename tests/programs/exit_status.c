/* Exits with the status in argv[1] and leaks one finished thread when argv[2] is "leak". */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *done(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[2], "leak") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, done, NULL);
    }
    return argc > 1 ? atoi(argv[1]) : 0;
}
