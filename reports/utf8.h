/* UTF-8 validation shared by the JSON writer (which repairs) and the reader (which rejects).
 *
 * Follows the Unicode Standard's table 3-7 of well-formed byte sequences, so overlong forms,
 * surrogates (U+D800..U+DFFF) and code points above U+10FFFF are all ill-formed. */
#ifndef THREADLEAK_UTF8_H
#define THREADLEAK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Classifies the sequence at the start of s[0..n), n >= 1.
 * Returns its length (1..4) when well-formed. Otherwise returns minus the length of its maximal
 * ill-formed subpart (-1..-3), the bytes that one U+FFFD should replace. */
int tl__utf8_sequence(const unsigned char *s, size_t n);

/* Encodes code point cp (<= 0x10FFFF, not a surrogate) into out; returns the byte count (1..4). */
size_t tl__utf8_encode(uint32_t cp, char out[4]);

#endif
