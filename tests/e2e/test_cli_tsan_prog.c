/* Built with gcc -fsanitize=thread, so that it has DT_NEEDED libtsan.so.N: the CLI must preload
 * that library before the shim. Prints the LD_PRELOAD it was started with. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const char *preload = getenv("LD_PRELOAD");
    printf("%s\n", preload ? preload : "");
    return 0;
}
