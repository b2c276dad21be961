/* The live endpoint (`http=HOST:PORT`) and the dump listener, started once from the shim's
 * constructor.
 *
 * Both run in one "threadleak" services thread, created only when one of them is wanted and
 * marked as threadleak's own, as is everything it creates (libmicrohttpd's server thread): none
 * of them is ever reported or counted. The services thread blocks every signal, so the program's
 * handlers never run on it. It starts the endpoint, then serves dump requests for the life of the
 * process. A refused or failed endpoint prints one line on stderr; the program runs on. */
#ifndef THREADLEAK_ENDPOINT_H
#define THREADLEAK_ENDPOINT_H

/* Reads the configuration and starts what it asks for. Call once, after shim_init, outside of
 * it (it creates a thread). */
void endpoint_services_start(void);

/* Limits the endpoint's server runs with (docs/endpoint.md). */
#define ENDPOINT_MAX_CONNECTIONS 64
#define ENDPOINT_MAX_PER_ADDRESS 48
#define ENDPOINT_TIMEOUT_S       10
#define ENDPOINT_MEMORY_PER_CONN (32u * 1024u)
#define ENDPOINT_LISTEN_BACKLOG  32

#endif
