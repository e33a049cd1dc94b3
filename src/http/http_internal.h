/* http internals shared by http.c and http_text.c. Not a public header. */
#ifndef I2I_HTTP_INTERNAL_H
#define I2I_HTTP_INTERNAL_H

#include "http.h"

#define HTTP_SERVER_MSG_MAX 400 /* bytes of the server's message quoted in errors */

/* The server's message from a non-2xx body (total = the body's whole length, of which `body`
 * holds a prefix): see http_reply.message. out gets at most outsz bytes, NUL-terminated. */
void http_server_message(const i2i_buf *body, size_t total, char *out, size_t outsz);

#endif
