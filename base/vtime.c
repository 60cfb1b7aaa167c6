/* Parsing of virtual-time durations given on the command line and in scenarios. */
#include "base/vtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int vtime_parse(const char *s, vtime_t *out)
{
    static const struct { const char *suffix; uint64_t mul; } units[] = {
        { "ns", VTIME_NS }, { "us", VTIME_US }, { "ms", VTIME_MS }, { "s", VTIME_S }, { "", VTIME_S },
    };
    char *end;
    double v;

    if (!s || !*s)
        return HV_EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return HV_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            double ns = v * (double)units[i].mul;
            if (ns >= 1.8e19)
                return HV_ERANGE;
            *out = (vtime_t)(ns + 0.5);
            return HV_OK;
        }
    }
    return HV_EINVAL;
}
