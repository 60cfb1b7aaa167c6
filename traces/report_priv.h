/* Helpers shared by the report writers: formatted appends, JSON strings and
 * exact fixed-point numbers, so every output is the same bytes on every host. */
#ifndef TRACES_REPORT_PRIV_H
#define TRACES_REPORT_PRIV_H

#include <stdint.h>

#include "base/buf.h"

void report_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal, quotes included, with control characters escaped. */
void report_put_json_str(struct buf *b, const char *s);
#define REPORT_NUM_LEN 48
/* num / den rounded to `decimals` digits (at most 9), e.g. 1/3 with 2 -> "0.33";
 * 0 when den is 0. Returns out. */
const char *report_fmt_ratio(char out[REPORT_NUM_LEN], uint64_t num, uint64_t den, unsigned decimals);
/* Nanoseconds as seconds with 9 digits: 1250000000 -> "1.250000000". Returns out. */
const char *report_fmt_seconds(char out[REPORT_NUM_LEN], uint64_t ns);

#endif
