/* The library's tl_version() against the headers' THREADLEAK_VERSION_MAJOR/MINOR/PATCH and
 * THREADLEAK_VERSION, and against `THREADLEAK --version` when argv[1] names the command. */
#define _POSIX_C_SOURCE 200809L /* popen */

#include <threadleak.h>

#include <stdio.h>
#include <string.h>

#define STR(x)  #x
#define XSTR(x) STR(x)
#define FROM_PARTS                                                                                 \
    XSTR(THREADLEAK_VERSION_MAJOR)                                                                 \
    "." XSTR(THREADLEAK_VERSION_MINOR) "." XSTR(THREADLEAK_VERSION_PATCH)

int main(int argc, char **argv)
{
    printf("tl_version() %s, THREADLEAK_VERSION %s, from the parts %s\n", tl_version(),
           THREADLEAK_VERSION, FROM_PARTS);
    if (strcmp(tl_version(), THREADLEAK_VERSION) != 0 || strcmp(tl_version(), FROM_PARTS) != 0)
        return 1;
    if (argc < 2)
        return 0;
    char command[4096], line[256] = "", expected[256];
    snprintf(command, sizeof command, "'%s' --version", argv[1]);
    FILE *p = popen(command, "r");
    if (!p || !fgets(line, sizeof line, p) || pclose(p) != 0)
        return 1;
    snprintf(expected, sizeof expected, "threadleak %s\n", tl_version());
    printf("%s --version: %s", argv[1], line);
    return strcmp(line, expected) == 0 ? 0 : 1;
}
