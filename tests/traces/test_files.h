/* Whole-file reads and writes for the traces tests, which damage files on disk. */
#ifndef TESTS_TRACES_TEST_FILES_H
#define TESTS_TRACES_TEST_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file (the test fails if it cannot); caller frees. */
uint8_t *slurp(const char *path, size_t *len);
/* Write len bytes to path, replacing it (the test fails if it cannot). */
void spill(const char *path, const uint8_t *p, size_t len);

#endif
