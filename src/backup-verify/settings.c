#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings.h"
#include "tm.h"
#include "banned.h"

#define COUNT_MAX ((uint64_t)1 << 53)   /* exact in a JSON number */
#define TOLERANCE_MAX 1000.0            /* percent */

void bv_settings_init(struct bv_settings *s, enum bv_verb verb)
{
	memset(s, 0, sizeof(*s));
	s->verb = verb;
	s->validate_timeout_ms = BV_DEFAULT_VALIDATE_TIMEOUT_MS;
	s->age_from = BV_AGE_BOTH;
	s->history_count = BV_DEFAULT_HISTORY_COUNT;
	s->tolerance = BV_DEFAULT_TOLERANCE;
	s->progress = BV_PROGRESS_AUTO;
	s->listing = BV_LIST_NDJSON;
}

void bv_settings_release(struct bv_settings *s)
{
	rx_free(s->ignore);
	free(s->ignores);
	memset(s, 0, sizeof(*s));
}

static int size_shift(const char *suffix, unsigned *shift)
{
	static const struct { const char *name; unsigned shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 }, { "g", 30 }, { "gb", 30 },
		{ "gib", 30 }, { "t", 40 }, { "tb", 40 }, { "tib", 40 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(suffix, units[i].name) == 0) {
			*shift = units[i].shift;
			return 0;
		}
	return -1;
}

int bv_parse_size(const char *what, const char *s, uint64_t *out, struct srerr *e)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || size_shift(end, &shift) == -1 || v == 0 ||
	    v > (COUNT_MAX >> shift)) {
		srerr_set(e, "usage", "invalid %s '%s': expected a size like 1000000, 512k, "
			  "100M or 2G", what, s);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

int bv_parse_count(const char *what, const char *s, uint64_t *out, struct srerr *e)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v == 0 || v > COUNT_MAX) {
		srerr_set(e, "usage", "invalid %s '%s': expected a whole number, at least 1",
			  what, s);
		return -1;
	}
	*out = v;
	return 0;
}

int bv_parse_tolerance(const char *s, double *out, struct srerr *e)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && *end == '%')
		end++;
	if (*s < '0' || *s > '9' || *end || errno || !isfinite(v) || v < 0 ||
	    v > TOLERANCE_MAX) {
		srerr_set(e, "usage", "invalid --tolerance '%s': expected a percentage like 50%% "
			  "(0 to 1000)", s);
		return -1;
	}
	*out = v / 100.0;
	return 0;
}

int bv_parse_ratio(const char *s, double *out, struct srerr *e)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s < '0' || *s > '9' || *end || errno || !isfinite(v) || !(v > 1)) {
		srerr_set(e, "usage", "invalid --max-ratio '%s': expected a number above 1, "
			  "like 100", s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_duration(const char *what, const char *s, int64_t *ms, struct srerr *e)
{
	if (tm_parse_duration(s, ms, NULL) == -1 || *ms <= 0) {
		srerr_set(e, "usage", "invalid %s '%s': expected a duration like 30m, 26h or 7d",
			  what, s);
		return -1;
	}
	return 0;
}

static int parse_age_from(const char *s, enum bv_age_from *out, struct srerr *e)
{
	if (strcmp(s, "archive") == 0)
		*out = BV_AGE_ARCHIVE;
	else if (strcmp(s, "entries") == 0)
		*out = BV_AGE_ENTRIES;
	else {
		srerr_set(e, "usage", "invalid --age-from '%s': expected archive or entries", s);
		return -1;
	}
	return 0;
}

static int parse_listing(const char *s, enum bv_listing *out, struct srerr *e)
{
	if (strcmp(s, "ndjson") == 0)
		*out = BV_LIST_NDJSON;
	else if (strcmp(s, "json") == 0)
		*out = BV_LIST_JSON;
	else if (strcmp(s, "sha256sum") == 0)
		*out = BV_LIST_SHA256SUM;
	else {
		srerr_set(e, "usage", "invalid --format '%s': expected one of ndjson, json, "
			  "sha256sum", s);
		return -1;
	}
	return 0;
}

static int add_ignore(struct bv_settings *s, const char *arg, struct srerr *e)
{
	const char **grown = realloc(s->ignores, (s->nignores + 1) * sizeof(*grown));

	if (!grown) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	grown[s->nignores++] = arg;
	s->ignores = grown;
	return 0;
}

static int history_count(struct bv_settings *s, const char *arg, struct srerr *e)
{
	uint64_t n;

	if (bv_parse_count("--history-count", arg, &n, e) == -1)
		return -1;
	if (n > BV_MAX_HISTORY_COUNT) {
		srerr_set(e, "usage", "invalid --history-count '%s': at most %d", arg,
			  BV_MAX_HISTORY_COUNT);
		return -1;
	}
	s->history_count = (long)n;
	s->history_count_given = 1;
	return 0;
}

/* Options about what is checked and how the result is judged. */
static int judge_option(struct bv_settings *s, int opt, const char *arg, struct srerr *e)
{
	switch (opt) {
	case OPT_NAME: s->name = arg; return 0;
	case OPT_MANIFEST: s->manifest = arg; return 0;
	case OPT_IGNORE: return add_ignore(s, arg, e);
	case OPT_MAX_AGE: return parse_duration("--max-age", arg, &s->max_age_ms, e);
	case OPT_AGE_FROM: return parse_age_from(arg, &s->age_from, e);
	case OPT_MIN_SIZE: return bv_parse_size("--min-size", arg, &s->min_size, e);
	case OPT_HISTORY: s->history = arg; return 0;
	case OPT_HISTORY_COUNT: return history_count(s, arg, e);
	case OPT_TOLERANCE:
		s->tolerance_given = 1;
		return bv_parse_tolerance(arg, &s->tolerance, e);
	default: return 1;
	}
}

/* Options about reading, restoring and the output. */
static int run_option(struct bv_settings *s, int opt, const char *arg, struct srerr *e)
{
	switch (opt) {
	case OPT_RESTORE_TEST: s->restore_test = 1; return 0;
	case OPT_RESTORE_DIR: s->restore_dir = arg; return 0;
	case OPT_KEEP: s->keep = 1; return 0;
	case OPT_VALIDATE: s->validate = arg; return 0;
	case OPT_VALIDATE_TIMEOUT:
		return parse_duration("--validate-timeout", arg, &s->validate_timeout_ms, e);
	case OPT_MAX_BYTES: return bv_parse_size("--max-bytes", arg, &s->max_bytes, e);
	case OPT_MAX_ENTRIES: return bv_parse_count("--max-entries", arg, &s->max_entries, e);
	case OPT_MAX_RATIO: return bv_parse_ratio(arg, &s->max_ratio, e);
	case OPT_PROGRESS: s->progress = BV_PROGRESS_ON; return 0;
	case OPT_MANIFEST_FORMAT:
		s->listing_given = 1;
		return parse_listing(arg, &s->listing, e);
	default: return 1;
	}
}

int bv_settings_option(struct bv_settings *s, int opt, const char *arg, struct srerr *e)
{
	int rc = judge_option(s, opt, arg, e);

	if (rc == 1)
		rc = run_option(s, opt, arg, e);
	if (rc == 1) {
		srerr_set(e, "usage", "unknown option");
		return -1;
	}
	return rc;
}

/* The --ignore patterns as one regex: each one an alternative of its own. */
static int compile_ignores(struct bv_settings *s, struct srerr *e)
{
	size_t len = 1;
	char *joined, *p;

	if (s->nignores == 1) {
		s->ignore = rx_compile(s->ignores[0], 0, e);
		goto done;
	}
	for (size_t i = 0; i < s->nignores; i++)
		len += strlen(s->ignores[i]) + 6;
	if (!(joined = malloc(len))) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	p = joined;
	for (size_t i = 0; i < s->nignores; i++) {
		size_t n = strlen(s->ignores[i]);

		memcpy(p, i ? "|(?:" : "(?:", i ? 4 : 3);
		p += i ? 4 : 3;
		memcpy(p, s->ignores[i], n);
		p += n;
		*p++ = ')';
	}
	*p = '\0';
	s->ignore = rx_compile(joined, 0, e);
	free(joined);
done:
	if (!s->ignore) {
		srerr_prefix(e, "--ignore");
		return -1;
	}
	return 0;
}

static int finish_restore(struct bv_settings *s, struct srerr *e)
{
	if (s->restore_dir || s->validate)
		s->restore_test = 1;
	if (s->keep && !s->restore_test) {
		srerr_set(e, "usage", "--keep needs --restore-test");
		return -1;
	}
	if (s->restore_dir && !*s->restore_dir) {
		srerr_set(e, "usage", "invalid --restore-dir '': expected a directory");
		return -1;
	}
	return 0;
}

int bv_settings_finish(struct bv_settings *s, const struct cli *c, struct srerr *e)
{
	if (c->quiet)
		s->progress = BV_PROGRESS_OFF;
	if (!s->listing_given && c->format == CLI_FMT_JSON)
		s->listing = BV_LIST_JSON;
	if (finish_restore(s, e) == -1)
		return -1;
	if ((s->tolerance_given || s->history_count_given) && !s->history) {
		srerr_set(e, "usage", "--%s needs --history",
			  s->tolerance_given ? "tolerance" : "history-count");
		return -1;
	}
	if (s->manifest && !*s->manifest) {
		srerr_set(e, "usage", "invalid --manifest '': expected a file");
		return -1;
	}
	if (s->nignores && compile_ignores(s, e) == -1)
		return -1;
	return 0;
}
