/* Status codes and the error value: one message, built where the context is known. */
#include "util.h"

#include <stdio.h>

int i2i_error_set(i2i_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        i2i_redact_in_place(err->msg);
    }
    return code;
}

int i2i_error_wrap(i2i_error *err, const char *fmt, ...)
{
    char prefix[512];
    char old[I2I_ERROR_MSG_MAX];
    va_list ap;

    if (!err) return I2I_ERR_INTERNAL;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    {
        /* Truncation is acceptable: context first, then as much of the cause as fits. */
        size_t pl = strnlen(prefix, sizeof prefix - 1);
        size_t room = sizeof err->msg;
        memcpy(err->msg, prefix, pl);
        if (pl + 2 < room) {
            err->msg[pl] = ':';
            err->msg[pl + 1] = ' ';
            memcpy(err->msg + pl + 2, old, room - pl - 2);
        }
        err->msg[room - 1] = '\0';
    }
    i2i_redact_in_place(err->msg);
    return err->code;
}

void i2i_error_clear(i2i_error *err)
{
    if (err) {
        err->code = I2I_OK;
        err->msg[0] = '\0';
    }
}

int i2i_error_nomem(i2i_error *err, const char *what)
{
    return i2i_error_set(err, I2I_ERR_NOMEM, "out of memory while %s", what ? what : "allocating");
}

const char *i2i_status_name(int code)
{
    switch (code) {
    case I2I_OK: return "ok";
    case I2I_ERR_NOMEM: return "out of memory";
    case I2I_ERR_INVALID: return "invalid";
    case I2I_ERR_IO: return "i/o error";
    case I2I_ERR_FORMAT: return "bad format";
    case I2I_ERR_NOT_FOUND: return "not found";
    case I2I_ERR_CONFLICT: return "conflict";
    case I2I_ERR_HTTP: return "http error";
    case I2I_ERR_UNSUPPORTED: return "unsupported";
    case I2I_ERR_RANGE: return "out of range";
    case I2I_ERR_UNKNOWN: return "outcome unknown";
    case I2I_ERR_AUTH: return "authentication failed";
    case I2I_ERR_EXISTS: return "already exists";
    case I2I_ERR_INTERNAL: return "internal error";
    case I2I_ERR_CANCELLED: return "cancelled";
    case I2I_ERR_TRANSIENT: return "temporary failure";
    default: return "unknown status";
    }
}

int i2i_status_retryable(int code)
{
    return code == I2I_ERR_TRANSIENT || code == I2I_ERR_CONFLICT || code == I2I_ERR_UNKNOWN;
}
