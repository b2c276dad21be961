/* The one stack model that crosses from detector/ to reports/: a symbolised frame, and a location,
 * the frames of one code address.
 *
 * Findings carry stacks as frames laid end to end; a thread profile interns locations, so that an
 * address seen in many stacks is symbolised and stored once. Either way a writer that prints a
 * frame takes a struct tl__frame, whichever report it came from. */
#ifndef THREADLEAK_STACK_MODEL_H
#define THREADLEAK_STACK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One function at a code address. A function inlined at an address is a frame of its own, before
 * the frame of the function it was inlined into, both with the same pc. */
struct tl__frame {
    uintptr_t pc;
    const char *function; /* demangled where possible; "??" when unknown */
    const char *file;     /* NULL when there is no line info */
    int line;             /* 0 when unknown */
    const char *module;   /* path of the ELF object; NULL when unknown */
    bool inlined;         /* a function inlined into the next frame (same pc) */
};

/* One distinct code address, symbolised: the functions inlined at pc, innermost first, then the
 * function that contains pc (the last frame, the only one not inlined). */
struct tl__location {
    uintptr_t pc;
    bool return_address; /* a return address (looked up at pc - 1), not an interrupted pc */
    bool offset_known;   /* offset is pc minus the start of the last frame's function */
    uintptr_t offset;
    const struct tl__frame *frames; /* at least one, all with this pc and module */
    uint32_t nframes;
};

/* How many of frames[0..n) make the first location: a run of inlined frames that share a pc and
 * the frame they were inlined into. 0 only when n is 0. */
static inline size_t tl__location_length(const struct tl__frame *frames, size_t n)
{
    size_t end = 0;
    while (end + 1 < n && frames[end].inlined && frames[end + 1].pc == frames[0].pc)
        end++;
    return n ? end + 1 : 0;
}

#endif
