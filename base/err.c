/* Human-readable names for the HV_E* error codes. */
#include "base/err.h"

const char *hv_strerror(int err)
{
    switch (err) {
    case HV_OK: return "success";
    case HV_EINVAL: return "invalid argument or input";
    case HV_ENOMEM: return "out of memory";
    case HV_EIO: return "I/O error";
    case HV_ERANGE: return "out of range";
    case HV_ENOENT: return "not found";
    case HV_EEXIST: return "already exists";
    case HV_EFULL: return "full";
    case HV_ECORRUPT: return "corrupt data";
    case HV_EUNSUP: return "not supported";
    default: return "unknown error";
    }
}
