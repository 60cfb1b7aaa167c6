/* Payload limits shared by the .hvrec writer and reader (docs/traces.md). */
#ifndef TRACES_RECLOG_PRIV_H
#define TRACES_RECLOG_PRIV_H

static const char reclog_magic[8] = { 'H', 'V', 'S', 'I', 'M', 'R', 'E', 'C' };

#define RECLOG_MAX_STR 65536u         /* a key, value, name or version string */
#define RECLOG_MAX_ITEMS 65536u       /* config pairs, binaries, hashes per chunk */
#define RECLOG_BATCH_INPUTS 256u      /* inputs per input chunk, at most */
#define RECLOG_BATCH_BYTES 65536u     /* payload bytes that close a batch early */
#define RECLOG_SNAPSHOT_FIXED 16u     /* time + icount before a snapshot's blob */

#endif
