/*
 * Timestamps, durations, clocks and calendar periods; see tm.h.
 *
 * The civil-date conversions are Howard Hinnant's days_from_civil / civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html), which are exact for the
 * proleptic Gregorian calendar and any int64 day count we can meet here.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tm.h"
#include "banned.h"

#define SECS_PER_DAY INT64_C(86400)
#define MS_PER_DAY INT64_C(86400000)
#define SUBJECT_MAX 64             /* bytes of a bad input quoted in a message */
#define TS_SYNTAX "expected a date-time like 2026-11-28T14:02:18Z"
#define DUR_SYNTAX "expected a number and a unit like 30d"
#define ZONEINFO_DIR "/usr/share/zoneinfo"
#define ZONE_FILE_MAX (1024 * 1024) /* the largest tzdata file is under 4 KiB */
#define MAX_UTOFF (26 * 3600 - 1)  /* bound on any offset we accept, in seconds */
#define MAX_WINDOW_OFFSETS 16      /* offsets looked at around one local time */

/* ---- civil calendar ----------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of the date y-m-d (m 1-12, d 1-31). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t year_of_days(int64_t days)
{
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	return y;
}

/* Fill e with "invalid WHAT 'SUBJECT': REASON", the subject cut to SUBJECT_MAX bytes. */
__attribute__((format(printf, 6, 7)))
static void fail_subject(struct srerr *e, const char *code, const char *what,
			 const char *s, size_t len, const char *fmt, ...)
{
	char reason[SRERR_MSG_MAX];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	srerr_set(e, code, "invalid %s '%.*s%s': %s", what,
		  (int)(len > SUBJECT_MAX ? SUBJECT_MAX : len), s,
		  len > SUBJECT_MAX ? "..." : "", reason);
}

/* ---- RFC 3339 ----------------------------------------------------------------- */

struct ts_parse {
	const char *s;
	size_t len, pos;
	struct srerr *e;
	int year, month, day, hour, minute, second, frac_ms, offset_s;
};

#define ts_fail(p, code, ...) \
	(fail_subject((p)->e, code, "timestamp", (p)->s, (p)->len, __VA_ARGS__), -1)

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read exactly n digits as a number; 0 if they are there, else -1 (pos unchanged). */
static int take_digits(struct ts_parse *p, int n, int *out)
{
	int v = 0, i;

	if (p->len - p->pos < (size_t)n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(p->s[p->pos + i]))
			return -1;
		v = v * 10 + (p->s[p->pos + i] - '0');
	}
	p->pos += n;
	*out = v;
	return 0;
}

static int take_char(struct ts_parse *p, char c)
{
	if (p->pos >= p->len || p->s[p->pos] != c)
		return -1;
	p->pos++;
	return 0;
}

/* A year needs exactly four digits; say "out of range" rather than "syntax" when the
 * input plainly tried a longer or signed one. */
static int ts_year(struct ts_parse *p)
{
	size_t n = 0;

	if (take_digits(p, 4, &p->year) == 0 && (p->pos == p->len || p->s[p->pos] == '-'))
		return 0;
	p->pos = 0;
	if (p->len && (p->s[0] == '-' || p->s[0] == '+'))
		n = 1;
	while (n < p->len && is_digit(p->s[n]))
		n++;
	if (n < p->len && p->s[n] == '-' && n >= 4)
		return ts_fail(p, "range", "year outside 0000-9999");
	return ts_fail(p, "parse", TS_SYNTAX);
}

static int ts_date(struct ts_parse *p)
{
	if (p->len == 0)
		return ts_fail(p, "parse", "empty, %s", TS_SYNTAX);
	if (ts_year(p) < 0)
		return -1;
	if (take_char(p, '-') < 0 || take_digits(p, 2, &p->month) < 0 ||
	    take_char(p, '-') < 0 || take_digits(p, 2, &p->day) < 0)
		return ts_fail(p, "parse", TS_SYNTAX);
	if (p->month < 1 || p->month > 12)
		return ts_fail(p, "parse", "month %02d out of range", p->month);
	if (p->day < 1 || p->day > days_in_month(p->year, p->month))
		return ts_fail(p, "parse", "day %02d out of range for %04d-%02d",
			       p->day, p->year, p->month);
	return 0;
}

static int ts_time(struct ts_parse *p)
{
	char sep = p->pos < p->len ? p->s[p->pos] : '\0';

	if (p->pos == p->len)
		return ts_fail(p, "parse", "missing time, expected 'T' and a time like 14:02:18");
	if (sep != 'T' && sep != 't' && sep != ' ')
		return ts_fail(p, "parse", "expected 'T' between the date and the time");
	p->pos++;
	if (take_digits(p, 2, &p->hour) < 0 || take_char(p, ':') < 0 ||
	    take_digits(p, 2, &p->minute) < 0 || take_char(p, ':') < 0 ||
	    take_digits(p, 2, &p->second) < 0)
		return ts_fail(p, "parse", "expected a time like 14:02:18 after the date");
	if (p->hour > 23)
		return ts_fail(p, "parse", "hour %02d out of range", p->hour);
	if (p->minute > 59)
		return ts_fail(p, "parse", "minute %02d out of range", p->minute);
	if (p->second > 60)
		return ts_fail(p, "parse", "second %02d out of range", p->second);
	return 0;
}

/* Keep the first three digits (truncation toward the earlier millisecond). */
static int ts_fraction(struct ts_parse *p)
{
	int ndigits = 0;

	p->frac_ms = 0;
	if (take_char(p, '.') < 0)
		return 0;
	while (p->pos < p->len && is_digit(p->s[p->pos])) {
		if (ndigits < 3)
			p->frac_ms = p->frac_ms * 10 + (p->s[p->pos] - '0');
		ndigits++;
		p->pos++;
	}
	if (ndigits == 0)
		return ts_fail(p, "parse", "expected digits after '.'");
	if (ndigits > 9)
		return ts_fail(p, "parse", "fraction of a second longer than 9 digits");
	for (; ndigits < 3; ndigits++)
		p->frac_ms *= 10;
	return 0;
}

static int ts_zone(struct ts_parse *p)
{
	int hh, mm;
	char c;

	if (p->pos == p->len)
		return ts_fail(p, "parse", "missing time zone, add Z or an offset like +01:00");
	c = p->s[p->pos++];
	if (c == 'Z' || c == 'z') {
		p->offset_s = 0;
	} else if (c == '+' || c == '-') {
		if (take_digits(p, 2, &hh) < 0 || take_char(p, ':') < 0 ||
		    take_digits(p, 2, &mm) < 0)
			return ts_fail(p, "parse", "expected Z or an offset like +01:00");
		if (hh > 23)
			return ts_fail(p, "parse", "offset hour %02d out of range", hh);
		if (mm > 59)
			return ts_fail(p, "parse", "offset minute %02d out of range", mm);
		p->offset_s = (c == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	} else {
		return ts_fail(p, "parse", "expected Z or an offset like +01:00");
	}
	if (p->pos != p->len)
		return ts_fail(p, "parse", "unexpected characters after the time zone");
	return 0;
}

/* The parsed fields as milliseconds, with the leap-second rule of tm.h. */
static int ts_combine(struct ts_parse *p, int64_t *ms)
{
	int leap = p->second == 60;
	int64_t secs, v;

	secs = days_from_civil(p->year, p->month, p->day) * SECS_PER_DAY +
	       p->hour * 3600 + p->minute * 60 + (leap ? 59 : p->second) - p->offset_s;
	if (leap && floor_mod(secs, SECS_PER_DAY) != SECS_PER_DAY - 1)
		return ts_fail(p, "parse",
			       "second 60 is only valid as a leap second at 23:59:60 UTC");
	v = secs * 1000 + (leap ? 999 : p->frac_ms);
	if (v < TM_MIN_MS || v > TM_MAX_MS)
		return ts_fail(p, "range", "outside years 0000-9999 in UTC");
	*ms = v;
	return 0;
}

int tm_parse_rfc3339_mem(const char *s, size_t len, int64_t *ms, struct srerr *e)
{
	struct ts_parse p;

	memset(&p, 0, sizeof(p));
	p.s = s;
	p.len = len;
	p.e = e;
	if (ts_date(&p) < 0 || ts_time(&p) < 0 || ts_fraction(&p) < 0 || ts_zone(&p) < 0)
		return -1;
	return ts_combine(&p, ms);
}

int tm_parse_rfc3339(const char *s, int64_t *ms, struct srerr *e)
{
	return tm_parse_rfc3339_mem(s, strlen(s), ms, e);
}

int tm_from_epoch_seconds(double secs, int64_t *ms, struct srerr *e)
{
	long double x, r, tol;
	int64_t v;

	if (!isfinite(secs)) {
		srerr_set(e, "range", "invalid epoch time %g: not a finite number", secs);
		return -1;
	}
	if (secs < TM_MIN_MS / 1000.0 - 1 || secs > TM_MAX_MS / 1000.0 + 1)
		goto out_of_range;
	/* Exact where long double has a 64-bit mantissa (x86-64): 53 bits times 1000. */
	x = (long double)secs * 1000.0L;
	r = roundl(x);
	tol = ((long double)nextafter(fabs(secs), INFINITY) - fabs(secs)) * 1000.0L;
	if (fabsl(x - r) <= tol)
		x = r;
	v = (int64_t)floorl(x);
	if (v < TM_MIN_MS || v > TM_MAX_MS)
		goto out_of_range;
	*ms = v;
	return 0;
out_of_range:
	srerr_set(e, "range", "invalid epoch time %.15g: outside years 0000-9999", secs);
	return -1;
}

/* Write v as exactly n digits at p (v < 10^n). */
static void put_digits(char *p, int64_t v, int n)
{
	while (n--) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int tm_format_rfc3339(int64_t ms, char out[TM_RFC3339_SIZE], struct srerr *e)
{
	int64_t days, rem, y;
	int m, d;

	out[0] = '\0';
	if (ms < TM_MIN_MS || ms > TM_MAX_MS) {
		srerr_set(e, "range", "cannot format time %lld ms: outside years 0000-9999",
			  (long long)ms);
		return -1;
	}
	days = floor_div(ms, MS_PER_DAY);
	rem = ms - days * MS_PER_DAY;
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", TM_RFC3339_SIZE);
	put_digits(out, y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, rem / 3600000, 2);
	put_digits(out + 14, rem / 60000 % 60, 2);
	put_digits(out + 17, rem / 1000 % 60, 2);
	put_digits(out + 20, rem % 1000, 3);
	return 0;
}

/* ---- clocks ------------------------------------------------------------------- */

int64_t tm_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_REALTIME cannot fail with a valid pointer. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tm_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- durations ---------------------------------------------------------------- */

static const struct {
	const char *name;
	int64_t ms;
} units[] = {
	{ "w", INT64_C(604800000) }, { "d", INT64_C(86400000) }, { "h", INT64_C(3600000) },
	{ "m", INT64_C(60000) }, { "s", INT64_C(1000) }, { "ms", 1 },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

struct dur_parse {
	const char *s;
	size_t len, pos;
	struct srerr *e;
	size_t next_unit;     /* index of the largest unit still allowed */
};

#define dur_fail(p, code, ...) \
	(fail_subject((p)->e, code, "duration", (p)->s, (p)->len, __VA_ARGS__), -1)

/* Digits as a number, saturating above TM_DURATION_MAX_MS (which is then too large
 * whatever the unit); the count of digits read into *n. */
static int64_t dur_number(struct dur_parse *p, int *n)
{
	int64_t v = 0;

	for (*n = 0; p->pos < p->len && is_digit(p->s[p->pos]); p->pos++, (*n)++)
		if (v <= TM_DURATION_MAX_MS)
			v = v * 10 + (p->s[p->pos] - '0');
	return v;
}

/* The unit at pos (a run of letters) as an index into units[], or -1. */
static int dur_unit(struct dur_parse *p)
{
	size_t start = p->pos, n, i;

	while (p->pos < p->len && ((p->s[p->pos] >= 'a' && p->s[p->pos] <= 'z') ||
				   (p->s[p->pos] >= 'A' && p->s[p->pos] <= 'Z')))
		p->pos++;
	n = p->pos - start;
	for (i = 0; i < NUNITS; i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, p->s + start, n) == 0)
			return (int)i;
	return -1;
}

/* One "1.5h" component, added to *total. */
static int dur_component(struct dur_parse *p, int64_t *total)
{
	int64_t whole, frac = 0, scale = 1, v;
	int ndigits, nfrac = 0, u;

	whole = dur_number(p, &ndigits);
	if (ndigits == 0)
		return dur_fail(p, "parse", DUR_SYNTAX);
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		frac = dur_number(p, &nfrac);
		if (nfrac == 0)
			return dur_fail(p, "parse", DUR_SYNTAX);
		if (nfrac > 9)
			return dur_fail(p, "parse", "more than 9 digits after the decimal point");
		while (nfrac--)
			scale *= 10;
	}
	if ((u = dur_unit(p)) < 0)
		return dur_fail(p, "parse", DUR_SYNTAX);
	if ((size_t)u < p->next_unit)
		return dur_fail(p, "parse", "units must decrease and appear once, as in 1h30m");
	if (scale > 1 && units[u].ms == 1)
		return dur_fail(p, "parse", "milliseconds cannot have a fraction");
	p->next_unit = (size_t)u + 1;
	if (__builtin_mul_overflow(whole, units[u].ms, &v) ||
	    __builtin_add_overflow(v, frac * units[u].ms / scale, &v) ||
	    __builtin_add_overflow(*total, v, total) || *total > TM_DURATION_MAX_MS)
		return dur_fail(p, "range", "longer than 10000 years");
	return 0;
}

int tm_parse_duration_mem(const char *s, size_t len, int64_t *ms, struct srerr *e)
{
	struct dur_parse p = { s, len, 0, e, 0 };
	int64_t total = 0;

	if (len == 1 && s[0] == '0') {
		*ms = 0;
		return 0;
	}
	if (len && s[0] == '-')
		return dur_fail(&p, "parse", "durations cannot be negative");
	if (len == 0)
		return dur_fail(&p, "parse", "empty, %s", DUR_SYNTAX);
	while (p.pos < len)
		if (dur_component(&p, &total) < 0)
			return -1;
	*ms = total;
	return 0;
}

int tm_parse_duration(const char *s, int64_t *ms, struct srerr *e)
{
	return tm_parse_duration_mem(s, strlen(s), ms, e);
}

char *tm_format_duration(int64_t ms, char out[TM_DURATION_SIZE])
{
	/* Unsigned, so that INT64_MIN has a magnitude. */
	uint64_t mag = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
	size_t pos = 0, i;

	if (ms < 0)
		out[pos++] = '-';
	out[pos] = '\0';
	if (mag == 0) {
		snprintf(out, TM_DURATION_SIZE, "0s");
		return out;
	}
	for (i = 0; i < NUNITS; i++) {
		uint64_t q = mag / (uint64_t)units[i].ms;

		if (q == 0)
			continue;
		mag -= q * (uint64_t)units[i].ms;
		pos += (size_t)snprintf(out + pos, TM_DURATION_SIZE - pos, "%llu%s",
					(unsigned long long)q, units[i].name);
	}
	return out;
}

/* ---- time zones: data --------------------------------------------------------- */

/* A POSIX TZ rule date: Jn (1-365, no Feb 29), n (0-365), or Mm.w.d. */
struct rule_date {
	char kind;           /* 'J', 'N' or 'M' */
	int n, month, week, wday;
	int32_t time;        /* seconds after local midnight, -167h to 167h */
};

struct tz_rule {
	int32_t std_off, dst_off;  /* seconds east of UTC */
	int has_dst;
	struct rule_date start, end;
};

struct tm_zone {
	char *name;
	size_t ntrans, ntypes;
	int64_t *trans;     /* transition instants, seconds, ascending */
	uint8_t *trans_type;
	int32_t *utoff;     /* per local time type */
	int has_rule;       /* footer rule for instants after the last transition */
	struct tz_rule rule;
};

static int64_t rule_date_days(const struct rule_date *rd, int64_t y)
{
	int64_t first, day;

	if (rd->kind == 'J')
		return days_from_civil(y, 1, 1) + rd->n - 1 + (is_leap(y) && rd->n >= 60);
	if (rd->kind == 'N')
		return days_from_civil(y, 1, 1) + rd->n;
	first = days_from_civil(y, rd->month, 1);
	/* 1970-01-01 was a Thursday; 0 is Sunday as in POSIX. */
	day = first + floor_mod(rd->wday - floor_mod(first + 4, 7), 7) + (rd->week - 1) * 7;
	if (day >= first + days_in_month(y, rd->month))
		day -= 7;
	return day;
}

/* The instant (seconds) at which rule date rd of year y happens, given the offset in
 * effect just before it. */
static int64_t rule_instant(const struct rule_date *rd, int64_t y, int32_t off_before)
{
	return rule_date_days(rd, y) * SECS_PER_DAY + rd->time - off_before;
}

/* The year whose rule dates decide the offset around instant t. */
static int64_t rule_year(const struct tz_rule *r, int64_t t)
{
	return year_of_days(floor_div(t + r->std_off, SECS_PER_DAY));
}

/*
 * The offset the footer rule gives at instant t (seconds).  The DST starts and ends
 * of the years around t are compared as instants, which copes with southern-hemisphere
 * rules (DST across New Year) and rule times outside 0-24h alike.
 */
static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t y = rule_year(r, t), yy, at, best = INT64_MIN;
	int dst = 0, is_start;

	if (!r->has_dst)
		return r->std_off;
	for (yy = y - 1; yy <= y + 1; yy++) {
		for (is_start = 0; is_start <= 1; is_start++) {
			at = is_start ? rule_instant(&r->start, yy, r->std_off)
				      : rule_instant(&r->end, yy, r->dst_off);
			/* on a tie (DST all year) the start wins */
			if (at <= t && (at > best || (at == best && is_start))) {
				best = at;
				dst = is_start;
			}
		}
	}
	return dst ? r->dst_off : r->std_off;
}

/* The first DST start or end of the rule after instant t, or INT64_MAX. */
static int64_t rule_next(const struct tz_rule *r, int64_t t)
{
	int64_t y = rule_year(r, t), yy, at, best = INT64_MAX;

	if (!r->has_dst)
		return INT64_MAX;
	for (yy = y - 1; yy <= y + 2; yy++) {
		at = rule_instant(&r->start, yy, r->std_off);
		if (at > t && at < best)
			best = at;
		at = rule_instant(&r->end, yy, r->dst_off);
		if (at > t && at < best)
			best = at;
	}
	return best;
}

/* Index of the last transition at or before t; t >= trans[0]. */
static size_t transition_index(const struct tm_zone *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans, mid;

	while (hi - lo > 1) {          /* trans[lo] <= t < trans[hi] */
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Offset at instant t in seconds (RFC 8536 section 3.2: type 0 before the first
 * transition, the footer after the last). */
static int32_t offset_at(const struct tm_zone *z, int64_t t)
{
	size_t i;

	if (z->ntrans == 0)
		return z->has_rule ? rule_offset(&z->rule, t) : z->utoff[0];
	if (t < z->trans[0])
		return z->utoff[0];
	i = transition_index(z, t);
	if (i == z->ntrans - 1 && t > z->trans[i] && z->has_rule)
		return rule_offset(&z->rule, t);
	return z->utoff[z->trans_type[i]];
}

/* The first instant after t at which the offset may change, or INT64_MAX. */
static int64_t next_change(const struct tm_zone *z, int64_t t)
{
	if (z->ntrans && t < z->trans[0])
		return z->trans[0];
	if (z->ntrans && t < z->trans[z->ntrans - 1])
		return z->trans[transition_index(z, t) + 1];
	return z->has_rule ? rule_next(&z->rule, t) : INT64_MAX;
}

int32_t tm_zone_offset(const struct tm_zone *z, int64_t ms)
{
	return offset_at(z, floor_div(ms, 1000));
}

const char *tm_zone_name(const struct tm_zone *z)
{
	return z->name;
}

void tm_zone_free(struct tm_zone *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->trans);
	free(z->trans_type);
	free(z->utoff);
	free(z);
}

/* ---- time zones: POSIX TZ strings (the TZif footer) --------------------------- */

struct tzs {
	const char *s;
	size_t len, pos;
};

static int tzs_peek(const struct tzs *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "CET" (three or more letters) or "<+0530>" (letters, digits, + and -). */
static int tzs_name(struct tzs *p)
{
	size_t start = p->pos;
	int c;

	if (tzs_peek(p) == '<') {
		p->pos++;
		start = p->pos;
		while ((c = tzs_peek(p)) != -1 && (is_alpha(c) || is_digit((char)c) ||
						   c == '+' || c == '-'))
			p->pos++;
		if (tzs_peek(p) != '>' || p->pos - start < 3)
			return -1;
		p->pos++;
		return 0;
	}
	while (is_alpha(tzs_peek(p)))
		p->pos++;
	return p->pos - start >= 3 ? 0 : -1;
}

static int tzs_number(struct tzs *p, int maxdigits, int *v)
{
	int n = 0;

	*v = 0;
	while (n < maxdigits && tzs_peek(p) != -1 && is_digit(p->s[p->pos])) {
		*v = *v * 10 + (p->s[p->pos++] - '0');
		n++;
	}
	return n ? 0 : -1;
}

/* [+-]hh[:mm[:ss]] as seconds, hours at most maxh. */
static int tzs_hms(struct tzs *p, int maxh, int32_t *secs)
{
	int sign = 1, h, m = 0, s = 0;

	if (tzs_peek(p) == '+' || tzs_peek(p) == '-')
		sign = p->s[p->pos++] == '-' ? -1 : 1;
	if (tzs_number(p, 3, &h) < 0 || h > maxh)
		return -1;
	if (tzs_peek(p) == ':' && (p->pos++, tzs_number(p, 2, &m) < 0 || m > 59))
		return -1;
	if (tzs_peek(p) == ':' && (p->pos++, tzs_number(p, 2, &s) < 0 || s > 59))
		return -1;
	*secs = sign * (h * 3600 + m * 60 + s);
	return 0;
}

static int tzs_rule_date(struct tzs *p, struct rule_date *rd)
{
	rd->time = 2 * 3600;
	if (tzs_peek(p) == 'M') {
		p->pos++;
		rd->kind = 'M';
		if (tzs_number(p, 2, &rd->month) < 0 || rd->month < 1 || rd->month > 12 ||
		    tzs_peek(p) != '.' || (p->pos++, tzs_number(p, 1, &rd->week) < 0) ||
		    rd->week < 1 || rd->week > 5 || tzs_peek(p) != '.' ||
		    (p->pos++, tzs_number(p, 1, &rd->wday) < 0) || rd->wday > 6)
			return -1;
	} else if (tzs_peek(p) == 'J') {
		p->pos++;
		rd->kind = 'J';
		if (tzs_number(p, 3, &rd->n) < 0 || rd->n < 1 || rd->n > 365)
			return -1;
	} else {
		rd->kind = 'N';
		if (tzs_number(p, 3, &rd->n) < 0 || rd->n > 365)
			return -1;
	}
	if (tzs_peek(p) == '/' && (p->pos++, tzs_hms(p, 167, &rd->time) < 0))
		return -1;
	return 0;
}

/* "std offset [dst [offset] [,start[/time],end[/time]]]"; POSIX offsets are west of
 * Greenwich, hence the minus signs. */
static int parse_tz_string(const char *s, size_t len, struct tz_rule *r)
{
	struct tzs p = { s, len, 0 };
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (tzs_name(&p) < 0 || tzs_hms(&p, 24, &off) < 0)
		return -1;
	r->std_off = r->dst_off = -off;
	if (p.pos == len)
		return 0;
	if (tzs_name(&p) < 0)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (tzs_peek(&p) != ',' && tzs_peek(&p) != -1) {
		if (tzs_hms(&p, 24, &off) < 0)
			return -1;
		r->dst_off = -off;
	}
	if (tzs_peek(&p) == -1) {   /* no rule: glibc's default, the US one */
		r->start = (struct rule_date){ 'M', 0, 3, 2, 0, 2 * 3600 };
		r->end = (struct rule_date){ 'M', 0, 11, 1, 0, 2 * 3600 };
		return 0;
	}
	if (tzs_peek(&p) != ',' || (p.pos++, tzs_rule_date(&p, &r->start) < 0) ||
	    tzs_peek(&p) != ',' || (p.pos++, tzs_rule_date(&p, &r->end) < 0))
		return -1;
	return p.pos == len ? 0 : -1;
}

/* ---- time zones: TZif files (RFC 8536) ---------------------------------------- */

struct tzif_header {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

#define TZIF_HEADER_SIZE 44

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const unsigned char *b)
{
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

static int read_header(const unsigned char *b, size_t len, struct tzif_header *h)
{
	if (len < TZIF_HEADER_SIZE || memcmp(b, "TZif", 4) != 0)
		return -1;
	h->version = (char)b[4];
	h->isutcnt = be32(b + 20);
	h->isstdcnt = be32(b + 24);
	h->leapcnt = be32(b + 28);
	h->timecnt = be32(b + 32);
	h->typecnt = be32(b + 36);
	h->charcnt = be32(b + 40);
	return 0;
}

/* Size of the data block after a header, with timesize-byte transition times. */
static uint64_t block_size(const struct tzif_header *h, int timesize)
{
	return (uint64_t)h->timecnt * (timesize + 1) + (uint64_t)h->typecnt * 6 +
	       h->charcnt + (uint64_t)h->leapcnt * (timesize + 4) + h->isstdcnt +
	       h->isutcnt;
}

static const char *check_header(const struct tzif_header *h)
{
	if (h->typecnt == 0 || h->typecnt > 256)
		return "bad number of local time types";
	if ((h->isutcnt && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt && h->isstdcnt != h->typecnt))
		return "bad indicator counts";
	if (h->leapcnt)
		return "leap-second tables are not supported";
	return NULL;
}

static int alloc_zone_arrays(struct tm_zone *z, size_t ntrans, size_t ntypes)
{
	z->ntrans = ntrans;
	z->ntypes = ntypes;
	z->trans = calloc(ntrans ? ntrans : 1, sizeof(*z->trans));
	z->trans_type = calloc(ntrans ? ntrans : 1, 1);
	z->utoff = calloc(ntypes, sizeof(*z->utoff));
	return z->trans && z->trans_type && z->utoff ? 0 : -1;
}

/* Fill z's transitions and types from the data block at b; NULL or what is wrong. */
static const char *load_block(struct tm_zone *z, const unsigned char *b,
			      const struct tzif_header *h, int timesize)
{
	const unsigned char *types = b + (size_t)h->timecnt * (timesize + 1);
	size_t i;

	if (alloc_zone_arrays(z, h->timecnt, h->typecnt) < 0)
		return "out of memory";
	for (i = 0; i < h->timecnt; i++) {
		z->trans[i] = timesize == 8 ? (int64_t)be64(b + i * 8)
					    : (int32_t)be32(b + i * 4);
		if (i && z->trans[i] <= z->trans[i - 1])
			return "transition times not ascending";
		z->trans_type[i] = b[(size_t)h->timecnt * timesize + i];
		if (z->trans_type[i] >= h->typecnt)
			return "bad local time type index";
	}
	for (i = 0; i < h->typecnt; i++) {
		z->utoff[i] = (int32_t)be32(types + i * 6);
		if (z->utoff[i] > MAX_UTOFF || z->utoff[i] < -MAX_UTOFF)
			return "UTC offset out of range";
	}
	return NULL;
}

/* The footer "\nTZ-string\n" at b; an empty string means no rule. */
static const char *load_footer(struct tm_zone *z, const unsigned char *b, size_t len)
{
	const unsigned char *nl;

	if (len < 2 || b[0] != '\n' || !(nl = memchr(b + 1, '\n', len - 1)))
		return "missing footer";
	if (nl == b + 1)
		return NULL;
	if (parse_tz_string((const char *)b + 1, (size_t)(nl - b - 1), &z->rule) < 0)
		return "bad TZ string in footer";
	if (z->rule.std_off > MAX_UTOFF || z->rule.std_off < -MAX_UTOFF ||
	    z->rule.dst_off > MAX_UTOFF || z->rule.dst_off < -MAX_UTOFF)
		return "UTC offset out of range";
	z->has_rule = 1;
	return NULL;
}

/* Parse the whole file into z; NULL or what is wrong. */
static const char *parse_tzif(struct tm_zone *z, const unsigned char *b, size_t len)
{
	struct tzif_header h;
	const char *why;
	uint64_t size;

	if (read_header(b, len, &h) < 0)
		return "not a TZif file";
	if ((why = check_header(&h)))
		return why;
	size = TZIF_HEADER_SIZE + block_size(&h, 4);
	if (size > len)
		return "truncated";
	if (h.version == '\0')
		return load_block(z, b + TZIF_HEADER_SIZE, &h, 4);
	b += size;
	len -= size;
	if (read_header(b, len, &h) < 0)
		return "missing version 2 header";
	if ((why = check_header(&h)))
		return why;
	size = TZIF_HEADER_SIZE + block_size(&h, 8);
	if (size > len)
		return "truncated";
	if ((why = load_block(z, b + TZIF_HEADER_SIZE, &h, 8)))
		return why;
	return load_footer(z, b + size, len - size);
}

static struct tm_zone *zone_new(const char *name)
{
	struct tm_zone *z = calloc(1, sizeof(*z));

	if (z && !(z->name = strdup(name))) {
		free(z);
		z = NULL;
	}
	return z;
}

struct tm_zone *tm_zone_from_tzif(const void *buf, size_t len, const char *name,
				  struct srerr *e)
{
	struct tm_zone *z = zone_new(name);
	const char *why;

	if (!z) {
		srerr_set(e, "zone", "cannot load time zone '%s': out of memory", name);
		return NULL;
	}
	if ((why = parse_tzif(z, buf, len))) {
		srerr_set(e, "zone", "invalid time zone file for '%s': %s", name, why);
		tm_zone_free(z);
		return NULL;
	}
	return z;
}

/* ---- time zones: loading by name ---------------------------------------------- */

static int valid_zone_name(const char *name)
{
	const char *c;

	if (!*name || *name == '/' || strlen(name) > 255 || strstr(name, ".."))
		return 0;
	for (c = name; *c; c++)
		if (!is_alpha(*c) && !is_digit(*c) && !strchr("/_+-.", *c))
			return 0;
	return 1;
}

/* A UTC zone that needs no file, for minimal systems without tzdata. */
static struct tm_zone *builtin_utc(const char *name, struct srerr *e)
{
	struct tm_zone *z = zone_new(name);

	if (!z || alloc_zone_arrays(z, 0, 1) < 0) {
		tm_zone_free(z);
		srerr_set(e, "zone", "cannot load time zone '%s': out of memory", name);
		return NULL;
	}
	return z;
}

/* Read the whole regular file at path into *buf; -1 with errno on failure
 * (ENOENT for anything that is not a regular file, EFBIG when too large). */
static int read_small_file(const char *path, unsigned char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), err;
	struct stat st;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	*buf = NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	errno = !S_ISREG(st.st_mode) ? ENOENT : st.st_size > ZONE_FILE_MAX ? EFBIG : 0;
	if (errno || !(*buf = malloc((size_t)st.st_size + 1)))
		goto fail;
	for (*len = 0; *len <= (size_t)st.st_size; *len += (size_t)n) {
		n = read(fd, *buf + *len, (size_t)st.st_size + 1 - *len);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			break;
	}
	if (n < 0 || *len > (size_t)st.st_size)
		goto fail;
	close(fd);
	return 0;
fail:
	err = errno ? errno : EIO;
	free(*buf);
	close(fd);
	errno = err;
	return -1;
}

struct tm_zone *tm_zone_load_from(const char *dir, const char *name, struct srerr *e)
{
	char path[4096];
	unsigned char *buf;
	struct tm_zone *z;
	size_t len;

	if (!valid_zone_name(name)) {
		srerr_set(e, "zone", "invalid time zone name '%.64s': expected a name "
			  "like Europe/Berlin", name);
		return NULL;
	}
	errno = ENAMETOOLONG;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    read_small_file(path, &buf, &len) < 0) {
		if (errno == ENOENT && (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC")))
			return builtin_utc(name, e);
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EISDIR)
			srerr_set(e, "zone", "unknown time zone '%s'", name);
		else
			srerr_set(e, "io", "cannot read time zone '%s': %s", name, strerror(errno));
		return NULL;
	}
	if (len < 4 || memcmp(buf, "TZif", 4) != 0) {
		free(buf);
		srerr_set(e, "zone", "unknown time zone '%s'", name);
		return NULL;
	}
	z = tm_zone_from_tzif(buf, len, name, e);
	free(buf);
	return z;
}

struct tm_zone *tm_zone_load(const char *name, struct srerr *e)
{
	return tm_zone_load_from(ZONEINFO_DIR, name, e);
}

/* ---- calendar periods ----------------------------------------------------------- */

static const char *const period_names[] = { "day", "week", "month", "quarter", "year" };

int tm_period_parse(const char *s, enum tm_period *p, struct srerr *e)
{
	size_t i;

	for (i = 0; i < sizeof(period_names) / sizeof(period_names[0]); i++) {
		if (!strcmp(s, period_names[i])) {
			*p = (enum tm_period)i;
			return 0;
		}
	}
	srerr_set(e, "parse", "invalid calendar period '%.64s': expected day, week, "
		  "month, quarter or year", s);
	return -1;
}

const char *tm_period_name(enum tm_period p)
{
	return (unsigned)p < sizeof(period_names) / sizeof(period_names[0])
	       ? period_names[p] : "?";
}

/*
 * The instant (seconds) at which local wall time `local` (seconds since the local
 * epoch) happens: the earlier one if it happens twice, the end of the gap if the
 * clocks skip it.  The offsets in play are those of the +-27 h window that any
 * offset below MAX_UTOFF can reach.
 */
static int64_t local_to_utc(const struct tm_zone *z, int64_t local)
{
	int32_t offs[MAX_WINDOW_OFFSETS];
	int64_t best = INT64_MAX, lo = local - 27 * 3600, hi = local + 27 * 3600, u, mid;
	size_t n = 0, i;

	offs[n++] = offset_at(z, lo);
	/* Real zones change at most a few times a day; crafted ones may change every
	 * second, and then the bisection below still gives an answer. */
	for (u = next_change(z, lo); u <= hi && n < MAX_WINDOW_OFFSETS; u = next_change(z, u))
		offs[n++] = offset_at(z, u);
	for (i = 0; i < n; i++)
		if (offset_at(z, local - offs[i]) == offs[i] && local - offs[i] < best)
			best = local - offs[i];
	if (best != INT64_MAX)
		return best;
	/* A gap: the first instant whose wall time is at or after `local`. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (mid + offset_at(z, mid) >= local)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static int64_t midnight_ms(const struct tm_zone *z, int64_t days)
{
	return local_to_utc(z, days * SECS_PER_DAY) * 1000;
}

/* First day (days since the epoch) of the period of kind p containing day `days`. */
static int64_t period_first_day(enum tm_period p, int64_t days)
{
	int64_t y;
	int m, d;

	if (p == TM_PERIOD_DAY)
		return days;
	if (p == TM_PERIOD_WEEK)    /* 1970-01-01 was a Thursday: Monday is 0 */
		return days - floor_mod(days + 3, 7);
	civil_from_days(days, &y, &m, &d);
	if (p == TM_PERIOD_MONTH)
		return days_from_civil(y, m, 1);
	if (p == TM_PERIOD_QUARTER)
		return days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
	return days_from_civil(y, 1, 1);
}

/* The first day of the period n periods after the one starting on `first`;
 * |n| is small enough (see tm_period_add) for nothing to overflow. */
static int64_t period_shift(enum tm_period p, int64_t first, int64_t n)
{
	static const int months_per[] = { 0, 0, 1, 3, 12 };
	int64_t y, months;
	int m, d;

	if (p == TM_PERIOD_DAY)
		return first + n;
	if (p == TM_PERIOD_WEEK)
		return first + 7 * n;
	civil_from_days(first, &y, &m, &d);
	months = y * 12 + (m - 1) + n * months_per[p];
	return days_from_civil(floor_div(months, 12), (int)floor_mod(months, 12) + 1, 1);
}

static int period_range_error(int64_t t, struct srerr *e)
{
	srerr_set(e, "range", "calendar period of time %lld ms outside years 0000-9999",
		  (long long)t);
	return -1;
}

/*
 * The period containing t: its first local day in *first and its instants.  The
 * local date of t gives a first guess; where midnights are odd (DST at 00:00, a
 * repeated hour across midnight) t may fall just outside it, so step to the
 * neighbouring period until start <= t < end.
 */
static int period_find(const struct tm_zone *z, enum tm_period p, int64_t t,
		       int64_t *first, int64_t *start, int64_t *end, struct srerr *e)
{
	int64_t secs = floor_div(t, 1000), s, en, f;
	int i;

	if ((unsigned)p > TM_PERIOD_YEAR) {
		srerr_set(e, "parse", "invalid calendar period %d", (int)p);
		return -1;
	}
	if (t < TM_MIN_MS || t > TM_MAX_MS)
		return period_range_error(t, e);
	f = period_first_day(p, floor_div(secs + offset_at(z, secs), SECS_PER_DAY));
	for (i = 0; i < 4; i++) {
		if (year_of_days(f) < 0 || year_of_days(f) > 9999)
			return period_range_error(t, e);
		s = midnight_ms(z, f);
		en = midnight_ms(z, period_shift(p, f, 1));
		if (t >= s && t < en) {
			*first = f;
			*start = s;
			*end = en;
			return 0;
		}
		f = period_shift(p, f, t < s ? -1 : 1);
	}
	srerr_set(e, "zone", "cannot find the %s containing time %lld ms in time zone '%s'",
		  tm_period_name(p), (long long)t, z->name);
	return -1;
}

int tm_period_bounds(const struct tm_zone *z, enum tm_period p, int64_t t,
		     int64_t *start, int64_t *end, struct srerr *e)
{
	int64_t first;

	return period_find(z, p, t, &first, start, end, e);
}

int tm_period_add(const struct tm_zone *z, enum tm_period p, int64_t t, int64_t n,
		  int64_t *out, struct srerr *e)
{
	int64_t first, start, end, y;

	if (period_find(z, p, t, &first, &start, &end, e) < 0)
		return -1;
	/* No period is shorter than a day: more than 10000 years of days is out of
	 * range whatever p is, and bounding n keeps period_shift from overflowing. */
	if (n > 3660000 || n < -3660000)
		return period_range_error(t, e);
	first = period_shift(p, first, n);
	y = year_of_days(first);
	if (y < 0 || y > 9999)
		return period_range_error(t, e);
	*out = midnight_ms(z, first);
	return 0;
}
