#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optval.h"
#include "tm.h"
#include "banned.h"

int optval_duration(const char *what, const char *s, int64_t *ms, struct srerr *e)
{
	struct srerr why;

	if (tm_parse_duration(s, ms, &why) == -1) {
		srerr_set(e, "usage", "invalid %s '%s': expected a duration like 500ms, 5s or 1m30s",
			  what, s);
		return -1;
	}
	if (*ms <= 0) {
		srerr_set(e, "usage", "invalid %s '%s': must be more than 0", what, s);
		return -1;
	}
	return 0;
}

int optval_duration_jv(const char *what, jv v, int64_t *ms, struct srerr *e)
{
	double secs;

	if (jv_get_kind(v) == JV_KIND_STRING)
		return optval_duration(what, jv_string_value(v), ms, e);
	if (jv_get_kind(v) != JV_KIND_NUMBER) {
		srerr_set(e, "usage", "invalid %s: expected a duration string like \"5s\" or "
			  "a number of seconds", what);
		return -1;
	}
	secs = jv_number_value(v);
	if (!(secs > 0) || secs * 1000 > (double)TM_DURATION_MAX_MS || secs * 1000 < 1) {
		srerr_set(e, "usage", "invalid %s %g: expected seconds, at least 0.001", what, secs);
		return -1;
	}
	*ms = (int64_t)(secs * 1000);
	return 0;
}

int optval_long(const char *what, const char *s, long min, long max, long *out,
		struct srerr *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max) {
		srerr_set(e, "usage", "invalid %s '%s': expected a whole number from %ld to %ld",
			  what, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int size_shift(const char *suffix, unsigned *shift)
{
	static const struct { const char *name; unsigned shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 }, { "g", 30 }, { "gb", 30 }, { "gib", 30 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(suffix, units[i].name) == 0) {
			*shift = units[i].shift;
			return 0;
		}
	return -1;
}

int optval_size(const char *what, const char *s, size_t *out, struct srerr *e)
{
	char *end;
	unsigned long long v;
	unsigned shift;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || size_shift(end, &shift) == -1 ||
	    v == 0 || v > (1ull << 30) >> shift) {
		srerr_set(e, "usage", "invalid %s '%s': expected a size like 65536, 512k or 1M "
			  "(at most 1G)", what, s);
		return -1;
	}
	*out = (size_t)(v << shift);
	return 0;
}

int optval_days(const char *what, const char *s, double *out, struct srerr *e)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !isfinite(v) || v < 0 || v > 1e6) {
		srerr_set(e, "usage", "invalid %s '%s': expected a number of days", what, s);
		return -1;
	}
	*out = v;
	return 0;
}
