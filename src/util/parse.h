/*
 * parse.h - strict parsing of numbers and sizes given by users.
 *
 * No trailing junk, no silent wrap-around, no negative numbers where
 * unsigned ones are wanted: each returns 0 or -EINVAL/-ERANGE and leaves
 * the output untouched on error.
 */
#ifndef TTYVM_PARSE_H
#define TTYVM_PARSE_H

#include <stdint.h>

/* Decimal (or 0x hex) unsigned integer in [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A size: a number with an optional suffix K, M, G, T (powers of 1024,
 * optionally followed by "iB" or "B"), or B for bytes.  A bare number
 * means default_unit bytes each (1 for bytes, 1 MiB for --memory as in
 * QEMU).  Returns -ERANGE on overflow.
 */
int parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
