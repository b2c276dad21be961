/* Go-style duration suffixes, one unit per value. */
#include "duration.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool duration_parse(const char *text, double *seconds)
{
    static const struct {
        const char *suffix;
        double scale;
    } units[] = {{"ms", 1e-3}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}, {"", 1.0}};
    /* plain decimal digits and one point: strtod alone would take hex, exponents, "inf" */
    size_t digits = text ? strspn(text, "0123456789.") : 0;
    if (digits == 0 || memchr(text, '.', digits) != strrchr(text, '.') ||
        strspn(text + digits, "mhs") != strlen(text + digits))
        return false;
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || !isfinite(value))
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) != 0)
            continue;
        double s = value * units[i].scale;
        if (s <= 0 || s > TL_DURATION_MAX_S)
            return false;
        *seconds = s;
        return true;
    }
    return false;
}
