/* Error codes shared by every layer: functions return 0 or a negative HV_E* code. */
#ifndef BASE_ERR_H
#define BASE_ERR_H

enum {
    HV_OK = 0,
    HV_EINVAL = -1,   /* bad argument or malformed input */
    HV_ENOMEM = -2,   /* allocation failed */
    HV_EIO = -3,      /* host file or device error */
    HV_ERANGE = -4,   /* value or address out of range */
    HV_ENOENT = -5,   /* no such thing */
    HV_EEXIST = -6,   /* already there */
    HV_EFULL = -7,    /* queue or table full */
    HV_ECORRUPT = -8, /* checksum or format check failed */
    HV_EUNSUP = -9,   /* not modelled */
};

const char *hv_strerror(int err);

#endif
