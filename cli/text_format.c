/* printf into a new string (text_format.h). */
#include "text_format.h"

#include <stdarg.h>
#include <stdio.h>

char *text_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}
