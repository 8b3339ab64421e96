/*
 * libFuzzer target for src/lib/tm.  Every input goes to the RFC 3339 and duration
 * parsers, and its first bytes are read as a timestamp, a duration and a double for
 * the formatters and the epoch conversion.  Anything accepted must format and parse
 * back to the same value.  An input starting with "TZif" is also loaded as a zone
 * file and asked for calendar periods, which must contain the instant asked about;
 * one starting with "zone:" names a zone to load, which must never escape
 * /usr/share/zoneinfo.
 *
 *	make fuzz-build && build/fuzz/fuzz_tm -max_total_time=300 corpus_dir tests/fuzz/corpus/fuzz_tm
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm.h"
#include "banned.h"

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz_tm: check failed at line %d: %s\n", \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_code(const struct srerr *e, const char *a, const char *b)
{
	return !strcmp(e->code, a) || (b && !strcmp(e->code, b));
}

/* Canonical input ("YYYY-MM-DDTHH:MM:SS.mmmZ", not a leap second) formats back to
 * exactly itself. */
static int is_canonical_timestamp(const char *s, size_t len)
{
	return len == 24 && s[10] == 'T' && s[19] == '.' && s[23] == 'Z' &&
	       memcmp(s + 17, "60", 2) != 0;
}

static void fuzz_timestamp(const char *s, size_t len, const char *cstr)
{
	char out[TM_RFC3339_SIZE];
	struct srerr e;
	int64_t ms = 0, back = 0;
	int rc = tm_parse_rfc3339_mem(s, len, &ms, &e);

	/* the NUL-terminated entry point agrees when the input holds no NUL */
	if (strlen(cstr) == len)
		CHECK(tm_parse_rfc3339(cstr, &back, NULL) == rc && (rc || back == ms));
	if (rc != 0) {
		CHECK(rc == -1 && is_code(&e, "parse", "range") && e.msg[0]);
		return;
	}
	CHECK(ms >= TM_MIN_MS && ms <= TM_MAX_MS);
	CHECK(tm_format_rfc3339(ms, out, &e) == 0);
	CHECK(strlen(out) == 24);
	CHECK(tm_parse_rfc3339(out, &back, &e) == 0 && back == ms);
	if (is_canonical_timestamp(s, len))
		CHECK(memcmp(out, s, 24) == 0);
}

static void fuzz_duration(const char *s, size_t len, const char *cstr)
{
	char out[TM_DURATION_SIZE];
	struct srerr e;
	int64_t ms = 0, back = 0;
	int rc = tm_parse_duration_mem(s, len, &ms, &e);

	if (strlen(cstr) == len)
		CHECK(tm_parse_duration(cstr, &back, NULL) == rc && (rc || back == ms));
	if (rc != 0) {
		CHECK(rc == -1 && is_code(&e, "parse", "range") && e.msg[0]);
		return;
	}
	CHECK(ms >= 0 && ms <= TM_DURATION_MAX_MS);
	tm_format_duration(ms, out);
	CHECK(tm_parse_duration(out, &back, &e) == 0 && back == ms);
	/* the canonical form is a fixed point */
	CHECK(!strcmp(tm_format_duration(back, out), out));
}

/* The first bytes as an int64 and a double, for the formatters. */
static void fuzz_numbers(const uint8_t *data, size_t size)
{
	char out[TM_RFC3339_SIZE], dout[TM_DURATION_SIZE];
	struct srerr e;
	int64_t v, back;
	double d;

	if (size < 8)
		return;
	memcpy(&v, data, 8);
	memcpy(&d, data, 8);
	if (tm_format_rfc3339(v, out, &e) == 0) {
		CHECK(v >= TM_MIN_MS && v <= TM_MAX_MS);
		CHECK(tm_parse_rfc3339(out, &back, &e) == 0 && back == v);
	} else {
		CHECK(out[0] == '\0' && is_code(&e, "range", NULL));
	}
	tm_format_duration(v, dout);
	CHECK(strlen(dout) > 0 && strlen(dout) < TM_DURATION_SIZE);
	if (v >= 0 && v <= TM_DURATION_MAX_MS)
		CHECK(tm_parse_duration(dout, &back, &e) == 0 && back == v);
	else
		CHECK(tm_parse_duration(dout, &back, &e) == -1);
	if (tm_from_epoch_seconds(d, &v, &e) == 0) {
		CHECK(v >= TM_MIN_MS && v <= TM_MAX_MS);
		/* within a millisecond of the double, never after it */
		CHECK((double)v <= d * 1000.0 + 1e-3 * (d < 0 ? -d : d) + 1);
		CHECK((double)v > d * 1000.0 - 1001);
	}
}

/* Every period kind at a few instants, in an arbitrary (crafted) zone. */
static void fuzz_periods(const struct tm_zone *z, const uint8_t *data, size_t size)
{
	int64_t when[] = { 0, INT64_C(1795874538123), -INT64_C(2208988800000),
			   INT64_C(4102444800000), TM_MIN_MS, TM_MAX_MS, 0 };
	int64_t start, end, out;
	size_t i;
	int p;

	if (size >= 8) {   /* the last 8 bytes as one more instant */
		memcpy(&when[6], data + size - 8, 8);
		when[6] = TM_MIN_MS + (int64_t)((uint64_t)when[6] %
						(uint64_t)(TM_MAX_MS - TM_MIN_MS + 1));
	}
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		(void)tm_zone_offset(z, when[i]);
		for (p = TM_PERIOD_DAY; p <= TM_PERIOD_YEAR; p++) {
			if (tm_period_bounds(z, (enum tm_period)p, when[i], &start, &end,
					     NULL) != 0)
				continue;
			CHECK(start <= when[i] && when[i] < end);
			CHECK(tm_period_add(z, (enum tm_period)p, when[i], 1, &out, NULL) != 0 ||
			      out == end);
			CHECK(tm_period_add(z, (enum tm_period)p, when[i], 0, &out, NULL) == 0 &&
			      out == start);
		}
	}
}

static void fuzz_zone_file(const uint8_t *data, size_t size)
{
	struct srerr e;
	struct tm_zone *z;

	if (size < 4 || memcmp(data, "TZif", 4) != 0)
		return;
	z = tm_zone_from_tzif(data, size, "fuzz", &e);
	if (!z) {
		CHECK(is_code(&e, "zone", NULL) && e.msg[0]);
		return;
	}
	CHECK(!strcmp(tm_zone_name(z), "fuzz"));
	fuzz_periods(z, data, size);
	tm_zone_free(z);
}

static void fuzz_zone_name(const char *cstr, size_t len)
{
	struct srerr e;
	struct tm_zone *z;
	const char *name = cstr + 5;

	if (len < 5 || len > 128 || memcmp(cstr, "zone:", 5) != 0)
		return;
	z = tm_zone_load(name, &e);
	if (!z) {
		CHECK(is_code(&e, "zone", "io") && e.msg[0]);
		return;
	}
	CHECK(name[0] != '/' && !strstr(name, ".."));
	tm_zone_free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cstr = malloc(size + 1);

	if (!cstr)
		return 0;
	memcpy(cstr, data, size);
	cstr[size] = '\0';
	fuzz_timestamp((const char *)data, size, cstr);
	fuzz_duration((const char *)data, size, cstr);
	fuzz_numbers(data, size);
	fuzz_zone_file(data, size);
	fuzz_zone_name(cstr, size);
	free(cstr);
	return 0;
}
