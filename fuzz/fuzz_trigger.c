/* Trigger specs (every:, cron:) from configs: parse, then the next fire times must be strictly
 * increasing and after the given time. */
#include <stdio.h>
#include <stdlib.h>

#include "service/trigger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[256];
    trigger t;
    i2i_error err;
    int64_t at = INT64_C(1765000000) * I2I_NS_PER_S, next;
    int i;
    if (size >= sizeof spec) return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    if (trigger_parse(spec, &t, &err) != I2I_OK) return 0;
    for (i = 0; i < 4; i++) {
        next = trigger_next_fire(&t, at);
        if (next == INT64_MAX) break;
        if (next <= at) {
            fprintf(stderr, "'%s': next fire %lld not after %lld\n", spec, (long long)next, (long long)at);
            abort();
        }
        at = next;
    }
    return 0;
}
