/*
 * parse.c - numbers and sizes from command lines and definition files.
 */
#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_u64(const char *s, uint64_t *out, char **end)
{
	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	/* decimal, or hex with 0x; never octal: "010" is ten */
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	errno = 0;
	unsigned long long v = strtoull(s, end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end == s)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	char *end;
	int r = parse_u64(s, &v, &end);

	if (r)
		return r;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	static const struct { char c; uint64_t mul; } units[] = {
		{ 'K', 1ULL << 10 }, { 'M', 1ULL << 20 },
		{ 'G', 1ULL << 30 }, { 'T', 1ULL << 40 },
	};
	uint64_t v, mul = default_unit;
	char *end;
	int r = parse_u64(s, &v, &end);

	if (r)
		return r;
	if (*end) {
		char c = (char)toupper((unsigned char)*end);
		const char *rest = end + 1;
		mul = 0;
		if (c == 'B' && *rest == '\0')
			mul = 1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (units[i].c == c)
				mul = units[i].mul;
		if (!mul)
			return -EINVAL;
		if (c != 'B' && *rest && strcasecmp(rest, "iB") != 0 &&
		    strcasecmp(rest, "B") != 0)
			return -EINVAL;
	}
	if (mul && v > UINT64_MAX / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}
