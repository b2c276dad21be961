/* The `http=HOST:PORT` value, parsed and checked to be loopback before anything listens.
 *
 * Accepted: an IPv4 address in 127.0.0.0/8, `localhost` (127.0.0.1), `[::1]` (or `::1` without
 * brackets when a port follows the last colon), each followed by `:PORT` with PORT 0..65535 (0 =
 * any free port). Everything else, other hosts and names included, is refused: the endpoint shows
 * every thread's stack and must not be reachable from another machine. No name lookups. */
#ifndef THREADLEAK_ENDPOINT_ADDRESS_H
#define THREADLEAK_ENDPOINT_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct endpoint_address {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    unsigned port; /* as asked for; 0 = pick one */
};

/* Parses text. Returns 0, or -1 with a one-line reason in err, starting with "http=TEXT" and
 * without a "threadleak:" prefix. */
int endpoint_address_parse(const char *text, struct endpoint_address *out, char *err,
                           size_t errlen);

/* Whether a Host header names a loopback host (any port): the endpoint refuses other names, so
 * that a web page cannot reach it through DNS rebinding. NULL (no header, HTTP/1.0) is accepted. */
bool endpoint_host_header_ok(const char *host);

/* "127.0.0.1:6060" or "[::1]:6060" for addr with the given port. */
void endpoint_address_format(const struct endpoint_address *addr, unsigned port, char *buf,
                             size_t len);

#endif
