/* UTF-8 well-formedness per the Unicode Standard, table 3-7. */
#include "utf8.h"

/* The lead byte decides how many continuation bytes follow and the range the first of them must
 * fall in; that narrower first range is what rules out overlongs, surrogates and > U+10FFFF. */
static int lead_byte_rule(unsigned char b, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
        return 1;
    if (b == 0xE0) {
        *lo = 0xA0;
        return 2;
    }
    if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF)
        return 2;
    if (b == 0xED) {
        *hi = 0x9F;
        return 2;
    }
    if (b == 0xF0) {
        *lo = 0x90;
        return 3;
    }
    if (b >= 0xF1 && b <= 0xF3)
        return 3;
    if (b == 0xF4) {
        *hi = 0x8F;
        return 3;
    }
    return -1; /* 0x80..0xC1 or 0xF5..0xFF never start a sequence */
}

int tl__utf8_sequence(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    unsigned char lo, hi;
    int continuation = lead_byte_rule(s[0], &lo, &hi);
    if (continuation < 0)
        return -1;
    for (int i = 1; i <= continuation; i++) {
        if ((size_t)i >= n || s[i] < lo || s[i] > hi)
            return -i;
        lo = 0x80;
        hi = 0xBF;
    }
    return continuation + 1;
}

size_t tl__utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
