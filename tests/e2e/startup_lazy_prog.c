/* Run under the shim by startup_lazy.sh. `startup_lazy_prog none` makes no thread and exits 0
 * when neither libunwind nor libdw nor the HTTP module is mapped; `startup_lazy_prog thread`
 * creates and joins one thread and exits 0 when libunwind is mapped, so the test can fail: the
 * shim is there (it checks that too) and loads libunwind once it is needed. Exit 1 otherwise,
 * naming what it found. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool mapped(const char *name_part)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, maps))
        found = strstr(line, name_part) != NULL;
    fclose(maps);
    return found;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    bool threaded = argc > 1 && strcmp(argv[1], "thread") == 0;
    if (!mapped("/libthreadleak.so")) {
        fprintf(stderr, "libthreadleak.so is not mapped: run me under the shim\n");
        return 1;
    }
    if (threaded) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
    }
    int status = 0;
    if (mapped("/libunwind.so") != threaded) {
        fprintf(stderr, "libunwind is %smapped\n", threaded ? "not " : "");
        status = 1;
    }
    if (mapped("/libdw.so")) {
        fprintf(stderr, "libdw is mapped\n");
        status = 1;
    }
    if (mapped("/libthreadleak_http.so")) {
        fprintf(stderr, "the HTTP module is mapped\n");
        status = 1;
    }
    return status;
}
