/* tl_version(): the version the library was built with (threadleak_version.h, generated from
 * project(VERSION)). */
#include "threadleak.h"

THREADLEAK_API const char *tl_version(void)
{
    return THREADLEAK_VERSION;
}
