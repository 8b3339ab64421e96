#ifndef SRETOOLS_TM_H
#define SRETOOLS_TM_H
/*
 * Time for sretools: RFC 3339 timestamps, epoch seconds, durations, clocks, and
 * calendar periods in an IANA time zone.
 *
 * A timestamp is an int64_t count of milliseconds since 1970-01-01T00:00:00Z (UTC,
 * no leap seconds, negative before 1970).  A duration is an int64_t count of
 * milliseconds.  Valid timestamps are those whose UTC date lies in years 0000-9999
 * (TM_MIN_MS..TM_MAX_MS), the range the 24-character format can show.
 *
 * All civil-date arithmetic is done here in C (proleptic Gregorian calendar, floor
 * division for times before 1970); nothing depends on timegm, mktime, the TZ
 * variable or the C library's time zone state, and nothing here keeps global state.
 * A loaded zone is never modified, so threads may share one.
 *
 * Errors: functions that can fail return -1 (or NULL) and fill e (which may be NULL)
 * with one of these codes:
 *   "parse"  the text is not a valid timestamp, duration or period name
 *   "range"  the value is well-formed but outside what can be represented
 *   "zone"   unknown, invalid or malformed time zone
 *   "io"     a time zone file exists but could not be read
 * Messages quote the offending input, shortened to 64 bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

#define TM_MIN_MS INT64_C(-62167219200000)  /* 0000-01-01T00:00:00.000Z */
#define TM_MAX_MS INT64_C(253402300799999)   /* 9999-12-31T23:59:59.999Z */
/* The longest duration accepted: the whole representable span (10000 years less 1 ms),
 * so that a valid timestamp plus or minus a valid duration never overflows. */
#define TM_DURATION_MAX_MS (TM_MAX_MS - TM_MIN_MS)

#define TM_RFC3339_SIZE 25   /* "YYYY-MM-DDTHH:MM:SS.mmmZ" and its NUL */
#define TM_DURATION_SIZE 40  /* the longest int64 duration, a sign and a NUL */

/* ---- RFC 3339 timestamps ------------------------------------------------------ */

/*
 * Parse an RFC 3339 date-time (the "date-time" production of RFC 3339 section 5.6)
 * into *ms.  Accepted: "2026-11-28T14:02:18Z", a fraction of 1 to 9 digits
 * ("...18.123456Z"), an offset "+05:30" / "-08:00" (hours 00-23, minutes 00-59;
 * "-00:00" means UTC), lowercase "t" and "z", and a space instead of "T" (the NOTE in
 * section 5.6).  Everything must be there: the seconds and the zone are required.
 *
 * Rounding: fractions finer than a millisecond are truncated toward the earlier
 * millisecond ("...18.1239Z" is .123; before 1970 too, since the fraction is always
 * added to the whole second: "1969-12-31T23:59:59.9995Z" is -1 ms).
 *
 * Leap seconds: ":60" is accepted only where a leap second can be, at 23:59:60 UTC
 * (after applying the offset), and is clamped to 23:59:59.999 of that day, so that
 * ordering with the neighbouring seconds is kept; any fraction on it is ignored.
 * Elsewhere second 60 is an error.
 *
 * Rejected ("parse"): empty input, other syntax, impossible dates (2026-02-30,
 * 2025-02-29, month 13), hour 24, minute 60, a missing zone, trailing characters.
 * Rejected ("range"): an instant whose UTC year falls outside 0000-9999
 * ("0000-01-01T00:00:00+01:00").  On error *ms is left untouched.
 */
int tm_parse_rfc3339(const char *s, int64_t *ms, struct srerr *e);
/* The same for len bytes at s, which need not be NUL-terminated (a NUL inside is an
 * error, so a JSON string with an embedded \u0000 cannot smuggle garbage). */
int tm_parse_rfc3339_mem(const char *s, size_t len, int64_t *ms, struct srerr *e);

/*
 * Convert epoch seconds (a JSON number, possibly fractional or negative) to *ms,
 * truncating toward the earlier millisecond.  A double cannot hold most decimal
 * fractions exactly (1700000000.123 is stored as 1700000000.12299990654), so a value
 * within the double's own precision of a millisecond boundary is taken as that
 * boundary first: 1700000000.123 gives 1700000000123, not ...122.
 * Returns -1 ("range") for NaN, infinities, and instants outside years 0000-9999.
 */
int tm_from_epoch_seconds(double secs, int64_t *ms, struct srerr *e);

/*
 * Format ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (always UTC, always milliseconds, always
 * 24 characters) into out.  Returns 0, or -1 ("range") if ms is outside
 * TM_MIN_MS..TM_MAX_MS, in which case out holds "".
 */
int tm_format_rfc3339(int64_t ms, char out[TM_RFC3339_SIZE], struct srerr *e);

/* ---- clocks ------------------------------------------------------------------- */

/* Wall-clock time (CLOCK_REALTIME) in milliseconds since the epoch, for timestamps. */
int64_t tm_now_ms(void);
/* CLOCK_MONOTONIC in nanoseconds from an arbitrary origin: only differences mean
 * anything.  Use it to measure durations; it does not jump when the clock is set. */
int64_t tm_monotonic_ns(void);

/* ---- durations ---------------------------------------------------------------- */

/*
 * Parse a duration into *ms.  Units: ms, s, m, h, d (24 h), w (7 d).  One number and
 * unit ("250ms", "10s", "5m", "2w"), or several with the units strictly decreasing
 * and each used once ("1h30m", "1d12h", "1m30s500ms"; a number may exceed its unit's
 * natural range: "90m", "1h90m").  A plain "0" is accepted.
 *
 * Decimal fractions are accepted on every unit but ms ("1.5h" is 5400000, "0.25s"
 * is 250), at most 9 digits after the point, truncated toward zero to whole
 * milliseconds ("1.0001s" is 1000).
 *
 * Rejected ("parse"): empty input, a sign ("-5m" says durations cannot be negative),
 * a number without a unit, an unknown unit ("invalid duration '3x': expected a number
 * and a unit like 30d"), repeated or increasing units ("30m1h", "1h1h"), whitespace.
 * Rejected ("range"): more than TM_DURATION_MAX_MS (10000 years).
 */
int tm_parse_duration(const char *s, int64_t *ms, struct srerr *e);
/* The same for len bytes at s, which need not be NUL-terminated. */
int tm_parse_duration_mem(const char *s, size_t len, int64_t *ms, struct srerr *e);

/*
 * Format a duration in the canonical form the parser reads back: the largest units
 * first, zero components left out ("1h30m" for 5400000, "250ms" for 250, "2w" for
 * 1209600000, "1d1h1m1s1ms"), "0s" for 0.  A negative duration (a difference of two
 * timestamps, say) is shown with a leading "-", which tm_parse_duration rejects.
 * Returns out.
 */
char *tm_format_duration(int64_t ms, char out[TM_DURATION_SIZE]);

/* ---- calendar periods in a time zone ------------------------------------------ */

/*
 * Time zones are read from the TZif files of Debian's tzdata package
 * (/usr/share/zoneinfo, RFC 8536, versions 1 to 4).  The file is parsed here rather
 * than through setenv("TZ") + tzset + mktime: glibc silently falls back to UTC for an
 * unknown name, keeps process-wide state, and mktime's handling of skipped and
 * repeated local times is the hard part anyway.  Instants after the last transition
 * in the file follow its footer POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3").
 * Zones with leap-second tables ("right/...") are rejected.
 */
struct tm_zone;

enum tm_period {
	TM_PERIOD_DAY,
	TM_PERIOD_WEEK,     /* ISO 8601: Monday to Sunday */
	TM_PERIOD_MONTH,
	TM_PERIOD_QUARTER,  /* January, April, July, October */
	TM_PERIOD_YEAR,
};

/*
 * Load zone name ("Europe/Berlin", "UTC", "Etc/UTC") from /usr/share/zoneinfo.
 * The name must be relative, contain no "..", only the characters A-Z a-z 0-9 / _ + -
 * and ".", and name a regular file that starts with the TZif magic: anything else is
 * an error ("zone"), e.g. "unknown time zone 'Europe/Berln'".  "UTC" and "Etc/UTC"
 * work even when tzdata is not installed.  Returns a zone the caller frees with
 * tm_zone_free(), or NULL.
 */
struct tm_zone *tm_zone_load(const char *name, struct srerr *e);
/* The same, looking in directory dir instead of /usr/share/zoneinfo (for tests). */
struct tm_zone *tm_zone_load_from(const char *dir, const char *name, struct srerr *e);
/*
 * Build a zone from the len bytes of a TZif file at buf (copied; buf stays the
 * caller's).  name is only used in messages and by tm_zone_name().  Malformed data is
 * an error ("zone"), never a crash: this is what the fuzzer feeds.
 */
struct tm_zone *tm_zone_from_tzif(const void *buf, size_t len, const char *name,
				  struct srerr *e);
void tm_zone_free(struct tm_zone *z);
/* The name the zone was loaded under; owned by z. */
const char *tm_zone_name(const struct tm_zone *z);
/* The zone's offset from UTC at instant ms, in seconds east of Greenwich
 * (Europe/Berlin: 3600 in winter, 7200 in summer). */
int32_t tm_zone_offset(const struct tm_zone *z, int64_t ms);

/* Parse "day", "week", "month", "quarter" or "year" into *p; else -1 ("parse"). */
int tm_period_parse(const char *s, enum tm_period *p, struct srerr *e);
/* The name tm_period_parse accepts for p ("month"), or "?" for an invalid value. */
const char *tm_period_name(enum tm_period p);

/*
 * The calendar period of kind p, in zone z, that contains instant t: *start and *end
 * (exclusive) are the instants of the local midnights that begin it and the next one,
 * so start <= t < end.  Across DST changes the length varies: March 2026 in
 * Europe/Berlin is 743 hours, its 29th 23 hours.  Where a zone skips midnight (DST
 * starting at 00:00, as in America/Santiago) a day begins at the first local time
 * after the gap; where midnight happens twice, at the earlier of the two.
 * t must be in TM_MIN_MS..TM_MAX_MS and the period's local start year in 0000-9999,
 * else -1 ("range"); start and end themselves may then lie up to a day outside that
 * range (9999-12-31 in America/New_York ends at 10000-01-01T05:00Z).
 */
int tm_period_bounds(const struct tm_zone *z, enum tm_period p, int64_t t,
		     int64_t *start, int64_t *end, struct srerr *e);

/*
 * The start of the period n periods after the one containing t (n = 1: the next
 * period's start, which is the end tm_period_bounds gives; n = 0: its start; n < 0:
 * earlier ones) into *out.  Months keep day 1, so adding months never overflows into
 * the next month.  -1 ("range") when t or the result's local year is outside
 * 0000-9999.
 */
int tm_period_add(const struct tm_zone *z, enum tm_period p, int64_t t, int64_t n,
		  int64_t *out, struct srerr *e);

#endif
