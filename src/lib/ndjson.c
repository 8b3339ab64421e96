/*
 * ndjson — the strict record reader and the writer (see ndjson.h).
 *
 * How the reader works.  yajl parses; nothing else decides what is valid JSON.  But
 * yajl cannot pause inside a buffer, and each call must return exactly one record, in
 * the mode (jv or fields) of that call.  So a small scanner runs ahead of yajl over
 * the same bytes: it tracks strings, escapes and brackets, finds where each record
 * ends, and the reader feeds yajl up to there and no further.  For every text yajl
 * accepts, the scanner and yajl agree on where records end; on anything else yajl
 * reports an error inside the bytes fed.  The scanner also counts lines, enforces
 * the length and depth limits, and rejects what yajl 2.1 lets through: NUL bytes,
 * form feed and vertical tab as whitespace, and unpaired \u surrogates (yajl turns
 * them into '?' or into invalid UTF-8).  The callbacks check UTF-8 fully (yajl only
 * checks the shape of each sequence, not overlongs, surrogates or > U+10FFFF).
 *
 * A bare scalar at the top level ends where the next token begins, which yajl only
 * knows when it sees that next byte: the reader feeds a separating space after it,
 * as yajl_complete_parse itself does, so every record is complete when its feed ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "ndjson.h"
#include "banned.h"

#define CHUNK_DEFAULT ((size_t)64 << 10)
#define NO_POS ((size_t)-1)

enum mode { MODE_JV, MODE_FIELDS };
enum { RESYNC_PEEK = 1, RESYNC_LINE };  /* at a line's start: is it '{'?  / to the next line */
enum src_kind { SRC_PATHS, SRC_FP, SRC_MEM };

/* Why the scanner stopped: the first three are normal, the others are errors. */
enum stop {
	STOP_MORE,        /* end of the buffer */
	STOP_RECORD,      /* just after a record's last byte */
	STOP_SCALAR,      /* just after a bare scalar at record level */
	STOP_NUL,
	STOP_CTRL,
	STOP_SURROGATE,
	STOP_DEPTH,
	STOP_TOO_LONG,
};

/* What the scanner knows about the bytes it has passed. */
struct scan {
	size_t line;         /* line of the next byte */
	size_t rec_line;     /* line where the current (or last) record starts */
	size_t rec_left;     /* bytes the current record may still take */
	unsigned depth;      /* brackets open, a top-level array included */
	unsigned cu;         /* the \u code unit being read */
	unsigned char in_str, esc, want_low, in_rec, in_scalar, top;
	unsigned char high;  /* the current record has a non-ASCII byte */
};

struct frame {
	jv val;
	jv key;              /* an object's pending key, or jv_invalid() */
	int is_obj;
};

struct seg {
	size_t off, len;
};

/* Compiled field paths and the state of matching them against one record. */
struct fieldset {
	int compiled;
	size_t n;
	char *path[NDJ_MAX_FIELDS];
	size_t first[NDJ_MAX_FIELDS];  /* index of the field's first segment in seg */
	struct seg *seg;
	unsigned maxseg;
	/* Indexed by record depth d (1: the record's own keys), 0..maxseg+1: */
	uint64_t *fmask;     /* fields whose path leads into the object at depth d */
	uint64_t *kmask;     /* fields named by that object's current key */
	uint64_t *endmask;   /* fields whose path has d segments */
	size_t stroff[NDJ_MAX_FIELDS];
	char *arena;         /* the strings of the current record */
	size_t alen, acap;
	struct ndj_field *out;
};

struct ndj_reader {
	struct ndj_reader_opts o;
	/* sources */
	enum src_kind kind;
	char **names;
	size_t nnames, next;
	FILE *fp;
	const unsigned char *mem;
	size_t memlen;
	int fd, fd_owned, active;
	const char *name;
	unsigned char *own;  /* read buffer for files and FILE* */
	size_t cap;          /* its size */
	/* the bytes at hand */
	const unsigned char *buf;
	size_t len, pos;
	size_t base;         /* stream offset of buf[0] */
	size_t restart;      /* stream offset before which resync never goes back: the end
				of the last record, or where parsing last resumed */
	size_t lstart;       /* stream offset where the last line handed over starts */
	size_t fresh;        /* buf[fresh..len) not yet searched for that line */
	int line_start;      /* buf[0] starts a line */
	size_t feed_start, feed_line;
	size_t str_at;       /* stream offset where the string being scanned starts */
	int synthetic;       /* feeding the space after a scalar */
	int resync;          /* RESYNC_*: looking for where to resume after an error */
	int any_value;       /* ndj_parse_value: a record may be any value, arrays are values */
	struct scan s;
	yajl_handle yh;
	/* the event side */
	enum mode mode;
	unsigned cdepth;     /* containers open, a top-level array included */
	int ctop;            /* the outermost container is a top-level array */
	unsigned skip;       /* containers of a skipped record still open */
	int have;            /* a record is complete */
	jv rec;
	struct frame *frames;
	size_t nframes, capframes;
	struct fieldset fs;
	locale_t c_locale;
	/* outcome */
	int failed;
	struct srerr err;
	const char *out_name;
	size_t out_line;
	size_t skipped, nwarn;
	struct srerr warn[NDJ_WARNINGS];
};

/* ---- errors ---- */

/* An error that ends the reader whatever the mode (I/O, memory). */
__attribute__((format(printf, 3, 4)))
static int fatal(struct ndj_reader *r, const char *code, const char *fmt, ...)
{
	char msg[SRERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srerr_set(&r->err, code, "%s", msg);
	r->failed = 1;
	return -1;
}

/*
 * A bad record at FILE:line.  Strict: the reader fails (-1).  Lenient: the error is
 * counted and kept as a warning, and the caller skips the record (0).
 */
__attribute__((format(printf, 4, 5)))
static int bad(struct ndj_reader *r, size_t line, const char *code, const char *fmt, ...)
{
	struct srerr *d = NULL;
	char msg[SRERR_MSG_MAX];
	va_list ap;

	if (!r->o.lenient)
		d = &r->err;
	else if (r->nwarn < NDJ_WARNINGS)
		d = &r->warn[r->nwarn++];
	r->out_name = r->name;
	r->out_line = line;
	if (d) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		srerr_set(d, code, "%s:%zu: %s", r->name, line, msg);
	}
	if (!r->o.lenient) {
		r->failed = 1;
		return -1;
	}
	r->skipped++;
	return 0;
}

/* ---- lines ---- */

static size_t count_nl(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n, *q;
	size_t k = 0;

	while (p < end && (q = memchr(p, '\n', (size_t)(end - p)))) {
		k++;
		p = q + 1;
	}
	return k;
}

/* The line of buf[at], for at within or just after the span being fed. */
static size_t line_at(const struct ndj_reader *r, size_t at)
{
	if (at <= r->feed_start)
		return r->feed_line;
	return r->feed_line + count_nl(r->buf + r->feed_start, at - r->feed_start);
}

/* The line of the token a callback is handling. */
static size_t token_line(const struct ndj_reader *r)
{
	if (r->synthetic)
		return line_at(r, r->pos);
	return line_at(r, r->feed_start + yajl_get_bytes_consumed(r->yh));
}

/* ---- UTF-8 and numbers ---- */

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned char c, lo, hi;

	while (i < n) {
		uint64_t w;

		if (n - i >= 8 && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ull))) {
			i += 8;
			continue;
		}
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			return 0;
		}
		if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * The double of a number yajl has checked against the JSON grammar.  strtod_l in
 * the C locale, so that a caller's setlocale cannot turn "1.5" into 1.  Returns -1
 * when it is beyond a double (1e400); underflow rounds to 0 or a subnormal.
 */
static int number_value(const struct ndj_reader *r, const char *text, size_t len,
			double *out)
{
	char small[64], *s = small;

	if (len >= sizeof(small)) {
		s = malloc(len + 1);
		if (!s)
			return -2;
	}
	memcpy(s, text, len);
	s[len] = '\0';
	*out = strtod_l(s, NULL, r->c_locale);
	if (s != small)
		free(s);
	return isinf(*out) ? -1 : 0;
}

/* Only a number with an exponent, or a very long one, can be beyond a double. */
static int may_overflow(const char *text, size_t len)
{
	return len > 300 || memchr(text, 'e', len) || memchr(text, 'E', len);
}

/* ---- the scanner ---- */

/* Byte kinds outside strings.  Inside a record, kinds up to K_SEP need no action. */
enum { K_OTHER, K_WS, K_SEP, K_NL, K_QUOTE, K_OPEN, K_CLOSE, K_NUL, K_CTRL };

static const unsigned char kind_of[256] = {
	[0x00] = K_NUL, [0x01 ... 0x08] = K_CTRL, ['\t'] = K_WS, ['\n'] = K_NL,
	[0x0b ... 0x0c] = K_CTRL, ['\r'] = K_WS, [0x0e ... 0x1f] = K_CTRL, [' '] = K_WS,
	['"'] = K_QUOTE, [','] = K_SEP, [':'] = K_SEP, ['['] = K_OPEN, [']'] = K_CLOSE,
	['{'] = K_OPEN, ['}'] = K_CLOSE,
};

/*
 * Bytes that need a look inside a string; the second table also stops at the first
 * non-ASCII byte of a record, which is noted so that records in plain ASCII (most)
 * skip the full UTF-8 check.
 */
static const unsigned char str_stop[256] = { [0] = 1, ['\n'] = 1, ['"'] = 1, ['\\'] = 1 };
static const unsigned char str_stop_ascii[256] = {
	[0] = 1, ['\n'] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

enum { ESC_TAKEN, ESC_PLAIN, ESC_BAD };

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * One byte of an escape sequence (or the byte after a high surrogate).  Checks only
 * the surrogate pairing; yajl reports every other malformed escape, so after a
 * non-hex digit the byte is handed back as plain string content (ESC_PLAIN).
 */
static int scan_escape(struct scan *s, unsigned char c)
{
	int h;

	if (s->esc == 0) {              /* a high surrogate wants "\u" next */
		if (c != '\\')
			return ESC_BAD;
		s->esc = 1;
		return ESC_TAKEN;
	}
	if (s->esc == 1) {
		if (c == 'u') {
			s->esc = 2;
			s->cu = 0;
			return ESC_TAKEN;
		}
		s->esc = 0;
		return s->want_low ? ESC_BAD : ESC_TAKEN;
	}
	h = hexval(c);
	if (h < 0) {
		s->esc = 0;
		s->want_low = 0;
		return ESC_PLAIN;
	}
	s->cu = s->cu << 4 | (unsigned)h;
	if (++s->esc < 6)
		return ESC_TAKEN;
	s->esc = 0;
	if (s->want_low) {
		s->want_low = 0;
		return s->cu >= 0xdc00 && s->cu <= 0xdfff ? ESC_TAKEN : ESC_BAD;
	}
	if (s->cu >= 0xd800 && s->cu <= 0xdbff)
		s->want_low = 1;
	return s->cu >= 0xdc00 && s->cu <= 0xdfff ? ESC_BAD : ESC_TAKEN;
}

/* Scan string content from p[*pi] to end; STOP_MORE unless a byte is rejected. */
static enum stop scan_string(struct scan *s, const unsigned char *p, size_t end, size_t *pi)
{
	size_t i = *pi;
	enum stop st = STOP_MORE;
	unsigned char c;

	while (i < end) {
		if (!(s->esc | s->want_low)) {
			const unsigned char *stop = s->high ? str_stop : str_stop_ascii;

			while (i < end && !stop[p[i]])
				i++;
		}
		if (i == end)
			break;
		c = p[i];
		if (c == 0) {
			st = STOP_NUL;
			break;
		}
		if (c == '\n')          /* invalid (yajl says so) but lines must stay right */
			s->line++;
		if (s->esc | s->want_low) {
			int k = scan_escape(s, c);

			if (k == ESC_BAD) {
				st = STOP_SURROGATE;
				break;
			}
			if (k == ESC_TAKEN) {
				i++;
				continue;
			}
		}
		i++;
		if (c >= 0x80)
			s->high = 1;
		if (c == '"') {
			s->in_str = 0;
			break;
		}
		if (c == '\\')
			s->esc = 1;
	}
	*pi = i;
	return st;
}

/* A record ends with this byte (inclusive). */
static enum stop end_record(struct scan *s)
{
	s->in_rec = 0;
	return STOP_RECORD;
}

/*
 * One byte outside strings, at p[*pi].  Returns STOP_MORE to go on, or why to stop
 * (the byte is then not consumed unless it ends a record); *started is set when a
 * record begins with it.
 */
static enum stop scan_byte(struct ndj_reader *r, unsigned char c, size_t *pi, int *started)
{
	struct scan *s = &r->s;
	int k = kind_of[c];

	if (s->in_scalar) {
		if (k == K_OTHER) {
			++*pi;
			return STOP_MORE;
		}
		s->in_scalar = 0;
		s->in_rec = 0;
		return STOP_SCALAR;
	}
	switch (k) {
	case K_NUL:
		return STOP_NUL;
	case K_CTRL:
		return STOP_CTRL;
	case K_NL:
		s->line++;
		/* fall through */
	case K_WS:
	case K_SEP:
		++*pi;
		return STOP_MORE;
	case K_CLOSE:
		++*pi;
		if (s->depth)
			s->depth--;
		if (s->in_rec && s->depth == s->top)
			return end_record(s);
		if (s->top && s->depth == 0)
			s->top = 0;             /* the top-level array closes */
		return STOP_MORE;
	case K_OPEN:
		if (!s->in_rec && s->depth == 0 && c == '[' && !r->any_value) {
			s->top = 1;             /* a top-level array: its elements are records */
			s->depth = 1;
			++*pi;
			return STOP_MORE;
		}
		if (s->depth + 1 - s->top > r->o.max_depth)
			return STOP_DEPTH;
		s->depth++;
		break;
	case K_QUOTE:
		s->in_str = 1;
		r->str_at = r->base + r->pos + *pi;  /* scan() runs over buf + pos */
		break;
	}
	if (!s->in_rec) {
		s->in_rec = 1;
		s->high = 0;
		s->in_scalar = k == K_OTHER;
		s->rec_line = s->line;
		s->rec_left = r->o.max_record;
		*started = 1;
	}
	++*pi;
	return STOP_MORE;
}

/*
 * Scan p[0..n) from the current state.  Returns how many bytes to feed yajl and sets
 * *why: the end of the buffer, of a record, of a bare scalar, or a rejected byte (not
 * included) or limit.
 */
static size_t scan(struct ndj_reader *r, const unsigned char *p, size_t n, enum stop *why)
{
	struct scan *s = &r->s;
	size_t i = 0, from = 0, end = s->in_rec && s->rec_left < n ? s->rec_left : n;
	enum stop st = STOP_MORE;
	int started = 0;

	while (st == STOP_MORE && i < end) {
		if (s->in_str) {
			st = scan_string(s, p, end, &i);
			if (st == STOP_MORE && !s->in_str && s->in_rec && s->depth == s->top)
				st = end_record(s);
			continue;
		}
		if (s->depth > s->top)          /* inside a record: skip to what matters */
			while (i < end && kind_of[p[i]] <= K_SEP)
				i++;
		if (i == end)
			break;
		st = scan_byte(r, p[i], &i, &started);
		if (started) {                  /* limit the scan to max_record bytes */
			started = 0;
			from = i - 1;
			if (n - from > s->rec_left)
				end = from + s->rec_left;
		}
	}
	if (st == STOP_MORE && end < n)
		st = STOP_TOO_LONG;
	if (s->in_rec)
		s->rec_left -= i - from;
	*why = st;
	return i;
}

/* ---- building jv values ---- */

static void drop_partial(struct ndj_reader *r)
{
	while (r->nframes) {
		r->nframes--;
		jv_free(r->frames[r->nframes].val);
		jv_free(r->frames[r->nframes].key);
	}
}

static int push(struct ndj_reader *r, jv v, int is_obj)
{
	if (r->nframes == r->capframes) {
		size_t cap = r->capframes ? 2 * r->capframes : 16;
		struct frame *f = realloc(r->frames, cap * sizeof(*f));

		if (!f) {
			jv_free(v);
			return fatal(r, "oom", "out of memory");
		}
		r->frames = f;
		r->capframes = cap;
	}
	r->frames[r->nframes].val = v;
	r->frames[r->nframes].key = jv_invalid();
	r->frames[r->nframes].is_obj = is_obj;
	r->nframes++;
	return 0;
}

/* Put v into the innermost open container. */
static void add_jv(struct ndj_reader *r, jv v)
{
	struct frame *f = &r->frames[r->nframes - 1];

	if (f->is_obj) {
		f->val = jv_object_set(f->val, f->key, v);
		f->key = jv_invalid();
	} else {
		f->val = jv_array_append(f->val, v);
	}
}

/* A whole record is ready (it is handed out before anything else is fed). */
static int complete(struct ndj_reader *r, jv v)
{
	if (r->have) {  /* cannot happen while scanner and yajl agree: refuse, never leak */
		jv_free(v);
		return fatal(r, "internal", "internal error: two records in one feed");
	}
	r->rec = v;
	r->have = 1;
	return 0;
}

/* ---- projecting fields ---- */

static void begin_fields(struct ndj_reader *r)
{
	struct fieldset *fs = &r->fs;
	size_t f;

	for (f = 0; f < fs->n; f++) {
		fs->out[f].type = NDJ_ABSENT;
		fs->out[f].boolean = 0;
		fs->out[f].number = 0;
		fs->out[f].str = NULL;
		fs->out[f].len = 0;
	}
	fs->alen = 0;
	if (fs->maxseg) {
		fs->fmask[1] = fs->n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << fs->n) - 1;
		fs->kmask[1] = 0;
	}
}

/* Fields named by the key whose value is being read at record depth d. */
static uint64_t key_targets(struct ndj_reader *r, unsigned d)
{
	uint64_t m;

	if (d == 0 || d > r->fs.maxseg)
		return 0;
	m = r->fs.kmask[d];
	r->fs.kmask[d] = 0;
	return m;
}

static void field_key(struct ndj_reader *r, unsigned d, const unsigned char *k, size_t len)
{
	struct fieldset *fs = &r->fs;
	uint64_t m, hit = 0;

	if (d == 0 || d > fs->maxseg)
		return;
	for (m = fs->fmask[d]; m; m &= m - 1) {
		unsigned f = (unsigned)__builtin_ctzll(m);
		const struct seg *sg = &fs->seg[fs->first[f] + d - 1];

		if (sg->len == len && fs->path[f][sg->off] == k[0] &&
		    memcmp(fs->path[f] + sg->off, k, len) == 0)
			hit |= (uint64_t)1 << f;
	}
	fs->kmask[d] = hit;
	/* A repeated key replaces the earlier value, as in jq: forget what it gave. */
	for (m = hit; m; m &= m - 1)
		fs->out[__builtin_ctzll(m)].type = NDJ_ABSENT;
}

/* An object or array opens as the value at record depth d. */
static void field_container(struct ndj_reader *r, unsigned d, enum ndj_type type)
{
	struct fieldset *fs = &r->fs;
	uint64_t m = key_targets(r, d), exact;

	if (d > fs->maxseg)
		return;
	exact = m & fs->endmask[d];
	for (; exact; exact &= exact - 1)
		fs->out[__builtin_ctzll(exact)].type = type;
	fs->fmask[d + 1] = type == NDJ_OBJECT ? m & ~fs->endmask[d] : 0;
	fs->kmask[d + 1] = 0;
}

static int arena_add(struct fieldset *fs, const unsigned char *s, size_t len, size_t *off)
{
	if (fs->acap - fs->alen < len + 1) {
		size_t cap = fs->acap ? fs->acap : 256;
		char *a;

		while (cap - fs->alen < len + 1)
			cap *= 2;
		a = realloc(fs->arena, cap);
		if (!a)
			return -1;
		fs->arena = a;
		fs->acap = cap;
	}
	memcpy(fs->arena + fs->alen, s, len);
	fs->arena[fs->alen + len] = '\0';
	*off = fs->alen;
	fs->alen += len + 1;
	return 0;
}

static void finish_fields(struct ndj_reader *r)
{
	struct fieldset *fs = &r->fs;
	size_t f;

	for (f = 0; f < fs->n; f++)
		if (fs->out[f].type == NDJ_STRING)
			fs->out[f].str = fs->arena + fs->stroff[f];
	r->have = 1;
}

/* ---- yajl callbacks ---- */

enum vkind { V_NULL, V_BOOL, V_NUM, V_STR };

struct val {
	enum vkind kind;
	int b;
	const unsigned char *s;
	size_t len;
};

static unsigned rdepth(const struct ndj_reader *r)
{
	return r->cdepth - (unsigned)r->ctop;
}

/* A record that is valid JSON but not an object.  Returns the callback's verdict. */
static int not_object(struct ndj_reader *r, const char *what)
{
	return bad(r, r->s.rec_line, "parse", "record is %s, expected an object", what) == 0;
}

/* Something wrong inside a record: fail, or skip the rest of the record. */
__attribute__((format(printf, 2, 3)))
static int bad_value(struct ndj_reader *r, const char *fmt, ...)
{
	char msg[SRERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (bad(r, token_line(r), "parse", "%s", msg) < 0)
		return 0;
	drop_partial(r);
	r->skip = rdepth(r);
	return 1;
}

static const char *vkind_name(enum vkind k)
{
	static const char *const names[] = { "null", "a boolean", "a number", "a string" };

	return names[k];
}

static int out_of_range(struct ndj_reader *r, const struct val *v)
{
	int n = v->len > 40 ? 40 : (int)v->len;

	return bad_value(r, "number '%.*s%s' is out of range", n, (const char *)v->s,
			 v->len > 40 ? "..." : "");
}

static int scalar_jv(struct ndj_reader *r, const struct val *v)
{
	jv x;
	double d;
	int rc;

	switch (v->kind) {
	case V_NULL:
		x = jv_null();
		break;
	case V_BOOL:
		x = jv_bool(v->b);
		break;
	case V_NUM:
		rc = number_value(r, (const char *)v->s, v->len, &d);
		if (rc == -2)
			return fatal(r, "oom", "out of memory"), 0;
		if (rc < 0)
			return out_of_range(r, v);
		x = jv_number(d);
		break;
	default:
		x = jv_string_sized((const char *)v->s, (int)v->len);
		break;
	}
	add_jv(r, x);
	return 1;
}

static int scalar_field(struct ndj_reader *r, const struct val *v)
{
	struct fieldset *fs = &r->fs;
	uint64_t m = key_targets(r, rdepth(r));
	double d = 0;
	int rc;

	if (rdepth(r) <= fs->maxseg)
		m &= fs->endmask[rdepth(r)];
	if (v->kind == V_NUM && (m || may_overflow((const char *)v->s, v->len))) {
		rc = number_value(r, (const char *)v->s, v->len, &d);
		if (rc == -2)
			return fatal(r, "oom", "out of memory"), 0;
		if (rc < 0)
			return out_of_range(r, v);
	}
	for (; m; m &= m - 1) {
		unsigned f = (unsigned)__builtin_ctzll(m);
		struct ndj_field *o = &fs->out[f];

		o->type = v->kind == V_NULL ? NDJ_NULL : v->kind == V_BOOL ? NDJ_BOOL
			: v->kind == V_NUM ? NDJ_NUMBER : NDJ_STRING;
		o->boolean = v->b;
		o->number = d;
		o->len = v->kind == V_STR ? v->len : 0;
		if (v->kind == V_STR && arena_add(fs, v->s, v->len, &fs->stroff[f]) < 0)
			return fatal(r, "oom", "out of memory"), 0;
	}
	return 1;
}

/* ndj_parse_value: a scalar that is the whole value. */
static int scalar_value(struct ndj_reader *r, const struct val *v)
{
	int ok;

	if (push(r, jv_array(), 0) < 0)
		return 0;
	ok = scalar_jv(r, v);
	if (r->nframes == 0)    /* bad_value dropped the frame */
		return ok;
	r->nframes--;
	if (!ok || r->failed) {
		jv_free(r->frames[r->nframes].val);
		jv_free(r->frames[r->nframes].key);
		return 0;
	}
	jv_free(r->frames[r->nframes].key);
	return complete(r, jv_array_get(r->frames[r->nframes].val, 0)) == 0;
}

static int on_scalar(struct ndj_reader *r, const struct val *v)
{
	if (r->skip)
		return 1;
	if (rdepth(r) == 0 && !r->any_value)
		return not_object(r, vkind_name(v->kind));
	if (v->kind == V_STR && r->s.high && !utf8_valid(v->s, v->len))
		return bad_value(r, "invalid UTF-8 in string");
	if (rdepth(r) == 0)
		return scalar_value(r, v);
	if (r->mode == MODE_JV)
		return scalar_jv(r, v);
	return scalar_field(r, v);
}

static int cb_null(void *ctx)
{
	struct val v = { V_NULL, 0, NULL, 0 };

	return on_scalar(ctx, &v);
}

static int cb_boolean(void *ctx, int b)
{
	struct val v = { V_BOOL, b != 0, NULL, 0 };

	return on_scalar(ctx, &v);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	struct val v = { V_NUM, 0, (const unsigned char *)s, len };

	return on_scalar(ctx, &v);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct val v = { V_STR, 0, s, len };

	return on_scalar(ctx, &v);
}

static int cb_start_map(void *ctx)
{
	struct ndj_reader *r = ctx;
	unsigned d = rdepth(r);

	r->cdepth++;
	if (r->skip) {
		r->skip++;
		return 1;
	}
	if (r->mode == MODE_JV)
		return push(r, jv_object(), 1) == 0;
	if (d == 0)
		begin_fields(r);
	else
		field_container(r, d, NDJ_OBJECT);
	return 1;
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct ndj_reader *r = ctx;

	if (r->skip)
		return 1;
	if (r->s.high && !utf8_valid(k, len))
		return bad_value(r, "invalid UTF-8 in key");
	if (r->mode == MODE_JV) {
		struct frame *f = &r->frames[r->nframes - 1];

		jv_free(f->key);
		f->key = jv_string_sized((const char *)k, (int)len);
	} else {
		field_key(r, rdepth(r), k, len);
	}
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct ndj_reader *r = ctx;
	unsigned d = rdepth(r);

	if (r->cdepth == 0 && !r->any_value) {  /* a top-level array: its elements are records */
		r->cdepth = 1;
		r->ctop = 1;
		return 1;
	}
	r->cdepth++;
	if (r->skip) {
		r->skip++;
		return 1;
	}
	if (d == 0 && !r->any_value) {
		if (!not_object(r, "an array"))
			return 0;
		r->skip = 1;
		return 1;
	}
	if (r->mode == MODE_JV)
		return push(r, jv_array(), 0) == 0;
	field_container(r, d, NDJ_ARRAY);
	return 1;
}

static int on_end(void *ctx)
{
	struct ndj_reader *r = ctx;
	jv v;

	if (r->ctop && r->cdepth == 1) {        /* the top-level array closes */
		r->ctop = 0;
		r->cdepth = 0;
		return 1;
	}
	r->cdepth--;
	if (r->skip) {
		r->skip--;
		return 1;
	}
	if (r->mode == MODE_FIELDS) {
		if (rdepth(r) == 0)
			finish_fields(r);
		return 1;
	}
	v = r->frames[--r->nframes].val;
	jv_free(r->frames[r->nframes].key);
	if (r->nframes)
		add_jv(r, v);
	else if (complete(r, v) < 0)
		return 0;
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, on_end, cb_start_array, on_end,
};

/* ---- feeding yajl ---- */

/* A fresh parser and scanner (new source, or resuming after an error). */
static int reset_parser(struct ndj_reader *r, size_t line)
{
	if (r->yh)
		yajl_free(r->yh);
	r->yh = yajl_alloc(&callbacks, NULL, r);
	if (!r->yh)
		return fatal(r, "oom", "out of memory");
	yajl_config(r->yh, yajl_allow_multiple_values, 1);
	drop_partial(r);
	r->cdepth = 0;
	r->ctop = 0;
	r->skip = 0;
	r->resync = 0;
	memset(&r->s, 0, sizeof(r->s));
	r->s.line = line;
	return 0;
}

/* Index of the first byte of the line holding buf[at], or NO_POS if not at hand. */
static size_t line_start(const struct ndj_reader *r, size_t at)
{
	size_t j = at < r->len ? at : r->len;

	while (j > 0 && r->buf[j - 1] != '\n')
		j--;
	if (j == 0 && !r->line_start)
		return NO_POS;
	return j;
}

/*
 * Lenient mode, after a malformed record whose error is at buf[at] on line: start
 * over at the next line, or at this line when it begins with '{' and the bad record
 * began on an earlier line (a record cut short by a crashed writer).  A line is
 * resumed at most once (restart only grows), so reading always makes progress.
 */
static int resync(struct ndj_reader *r, size_t at, size_t line)
{
	size_t rec_line = r->s.rec_line, start = line_start(r, at);

	if (reset_parser(r, line) < 0)
		return -1;
	if (rec_line < line && start != NO_POS && r->base + start > r->restart) {
		r->pos = start;
		r->resync = RESYNC_PEEK;
	} else {
		r->pos = at;
		r->resync = RESYNC_LINE;
	}
	return 0;
}

/* One step of resync over the bytes at hand. */
static void resync_step(struct ndj_reader *r)
{
	const unsigned char *nl;

	if (r->resync == RESYNC_PEEK) {
		while (r->pos < r->len && (r->buf[r->pos] == ' ' || r->buf[r->pos] == '\t'))
			r->pos++;
		if (r->pos == r->len)
			return;
		if (r->buf[r->pos] == '{') {
			r->resync = 0;
			r->restart = r->base + r->pos;
			return;
		}
		r->resync = RESYNC_LINE;
	}
	nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
	if (!nl) {
		r->pos = r->len;
		return;
	}
	r->pos = (size_t)(nl - r->buf) + 1;
	r->s.line++;
	r->resync = 0;
	r->restart = r->base + r->pos;
}

/* yajl rejected the bytes fed; its error is at buf[at]. */
static int parser_error(struct ndj_reader *r, size_t at)
{
	unsigned char *msg;
	size_t line, n;
	int rc;

	if (r->failed)          /* a callback stopped the parse and said why */
		return -1;
	msg = yajl_get_error(r->yh, 0, NULL, 0);
	n = msg ? strlen((char *)msg) : 0;
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	/* yajl points after a bad UTF-8 byte (elsewhere at it): keep its line */
	if (msg && strstr((char *)msg, "UTF8") && at > r->feed_start && r->buf[at - 1] == '\n')
		at--;
	line = line_at(r, at);
	rc = bad(r, line, "parse", "invalid JSON: %s", msg ? (char *)msg : "parse error");
	if (msg)
		yajl_free_error(r->yh, msg);
	if (rc < 0)
		return -1;
	return resync(r, at, line);
}

/* The scanner rejected buf[at]. */
static int scan_error(struct ndj_reader *r, enum stop why, size_t at)
{
	size_t line = line_at(r, at);
	int rc;

	switch (why) {
	case STOP_NUL:
		rc = bad(r, line, "parse", "invalid JSON: NUL byte");
		break;
	case STOP_CTRL:
		rc = bad(r, line, "parse", "invalid JSON: control character 0x%02x outside a string",
			 r->buf[at]);
		break;
	case STOP_SURROGATE:
		rc = bad(r, line, "parse", "invalid JSON: unpaired UTF-16 surrogate in a \\u escape");
		break;
	case STOP_DEPTH:
		rc = bad(r, line, "limit", "record nested deeper than %u levels", r->o.max_depth);
		break;
	default:
		line = r->s.rec_line;
		rc = bad(r, line, "limit", "record longer than %zu bytes", r->o.max_record);
		break;
	}
	if (rc < 0)
		return -1;
	return resync(r, at, line);
}

/* After a bare scalar: a space, so that yajl finishes it now. */
static int feed_separator(struct ndj_reader *r)
{
	yajl_status st;

	r->synthetic = 1;
	st = yajl_parse(r->yh, (const unsigned char *)" ", 1);
	r->synthetic = 0;
	if (st != yajl_status_ok)
		return parser_error(r, r->pos);
	return r->failed ? -1 : 0;
}

/* Scan the next span of the buffer and feed it to yajl. */
static int parse_span(struct ndj_reader *r)
{
	size_t from = r->pos, to;
	enum stop why;

	r->feed_start = from;
	r->feed_line = r->s.line;
	to = from + scan(r, r->buf + from, r->len - from, &why);
	r->pos = to;
	if (to > from && yajl_parse(r->yh, r->buf + from, to - from) != yajl_status_ok) {
		size_t off = yajl_get_bytes_consumed(r->yh);

		return parser_error(r, from + (off < to - from ? off : to - from));
	}
	if (r->failed)
		return -1;
	if (why == STOP_RECORD || why == STOP_SCALAR)
		r->restart = r->base + to;      /* resync never goes back into a record read */
	if (why == STOP_SCALAR)
		return feed_separator(r);
	if (why >= STOP_NUL)
		return scan_error(r, why, to);
	return 0;
}

/* ---- sources ---- */

static int open_next(struct ndj_reader *r)
{
	const char *path;

	if (r->next >= r->nnames)
		return 0;
	path = r->names[r->next++];
	r->name = path;
	r->fd = -1;
	r->fd_owned = 0;
	if (r->kind == SRC_PATHS) {
		if (strcmp(path, "-") == 0) {
			r->name = "<stdin>";
			r->fd = STDIN_FILENO;
		} else {
			r->fd = open(path, O_RDONLY | O_CLOEXEC);
			if (r->fd < 0)
				return fatal(r, "io", "cannot open '%s': %s", path, strerror(errno));
			r->fd_owned = 1;
		}
	}
	r->active = 1;
	r->buf = r->kind == SRC_MEM ? r->mem : r->own;
	r->len = r->pos = r->base = r->restart = r->lstart = r->fresh = 0;
	r->line_start = 1;
	r->feed_start = 0;
	r->feed_line = 1;
	return reset_parser(r, 1) < 0 ? -1 : 1;
}

static ssize_t read_fd(struct ndj_reader *r, size_t at)
{
	ssize_t n;

	do
		n = read(r->fd, r->own + at, r->cap - at);
	while (n < 0 && errno == EINTR);
	return n;
}

/* From a FILE*, stop at a newline so that piped records are seen as they come. */
static ssize_t read_fp(struct ndj_reader *r, size_t at)
{
	size_t n = at;
	int c;

	flockfile(r->fp);
	while (n < r->cap && (c = getc_unlocked(r->fp)) != EOF) {
		r->own[n++] = (unsigned char)c;
		if (c == '\n')
			break;
	}
	funlockfile(r->fp);
	if (n == at && ferror(r->fp))
		return -1;
	return (ssize_t)(n - at);
}

/*
 * Keep the start of the last line at hand across a refill (all of it in memory, up
 * to half a buffer from a file), so that resync can resume at a line's start.
 * Returns how many bytes at the end of the buffer to keep.
 */
static size_t keep_line(struct ndj_reader *r)
{
	size_t end = r->base + r->len, keep;
	const unsigned char *nl = NULL;

	if (r->len > r->fresh)
		nl = memrchr(r->buf + r->fresh, '\n', r->len - r->fresh);
	if (nl)
		r->lstart = r->base + (size_t)(nl - r->buf) + 1;
	keep = end - r->lstart;
	if (r->kind != SRC_MEM && (r->lstart < r->base || keep > r->o.chunk / 2))
		keep = 0;
	return keep;
}

/*
 * A string longer than the buffer: yajl lexes a token split across feeds again from
 * its start at each feed, so read in doubling sizes (up to max_record) to keep that
 * linear.  Only a string that already spans a whole buffer grows it: an ordinary
 * string cut by a buffer's end must not, or the buffer creeps up to max_record.
 */
static int grow_buffer(struct ndj_reader *r)
{
	size_t cap = 2 * r->cap < r->o.max_record ? 2 * r->cap : r->o.max_record;
	unsigned char *p = realloc(r->own, cap);

	if (!p)
		return fatal(r, "oom", "out of memory");
	r->own = p;
	r->buf = p;
	r->cap = cap;
	return 0;
}

/*
 * More bytes: 1, 0 at the end of the source, -1 on error.  The bytes kept from the
 * old buffer come first, already scanned and fed: reading resumes after them.
 */
static int refill(struct ndj_reader *r)
{
	size_t end = r->base + r->len, keep;
	ssize_t n;

	if (r->kind == SRC_MEM && end >= r->memlen)
		return 0;
	if (r->kind != SRC_MEM && r->s.in_str && r->str_at < r->base &&
	    r->cap < r->o.max_record && grow_buffer(r) < 0)
		return -1;
	keep = keep_line(r);
	if (r->kind == SRC_MEM)
		r->buf = r->mem + end - keep;
	else if (keep)
		memmove(r->own, r->own + r->len - keep, keep);
	r->base = end - keep;
	r->line_start = r->base == r->lstart;
	r->len = r->pos = r->fresh = r->feed_start = keep;
	r->feed_line = r->s.line;
	if (r->kind == SRC_MEM) {
		r->len += r->memlen - end < r->o.chunk ? r->memlen - end : r->o.chunk;
		return 1;
	}
	n = r->kind == SRC_FP ? read_fp(r, keep) : read_fd(r, keep);
	if (n < 0)
		return fatal(r, "io", "cannot read '%s': %s", r->name, strerror(errno));
	r->len += (size_t)n;
	return n > 0;
}

/* End of a source: finish a pending scalar, report a record cut short, close. */
static int end_source(struct ndj_reader *r)
{
	int rc = 0;

	if (!r->resync && r->s.in_scalar) {
		r->s.in_scalar = 0;
		r->s.in_rec = 0;
		rc = feed_separator(r);
	}
	if (rc == 0 && !r->resync && (r->s.depth || r->s.in_str || r->s.in_rec))
		rc = bad(r, r->s.in_rec ? r->s.rec_line : r->s.line, "parse",
			 "invalid JSON: premature EOF");
	if (r->fd_owned)
		close(r->fd);
	r->fd = -1;
	r->fd_owned = 0;
	r->active = 0;
	return rc < 0 ? -1 : 0;
}

/* One step of reading: 1 to go on, 0 at the end of all input, -1 on failure. */
static int step(struct ndj_reader *r)
{
	int rc;

	if (!r->active)
		return open_next(r);
	if (r->pos == r->len) {
		rc = refill(r);
		if (rc == 0)
			rc = end_source(r) < 0 ? -1 : 1;
		return rc;
	}
	if (r->resync) {
		resync_step(r);
		return 1;
	}
	return parse_span(r) < 0 ? -1 : 1;
}

static int next_record(struct ndj_reader *r, enum mode mode, struct srerr *e)
{
	int rc = 1;

	r->mode = mode;
	r->have = 0;
	while (!r->failed && !r->have && (rc = step(r)) > 0)
		;
	if (rc < 0 && !r->failed)
		fatal(r, "internal", "internal error: reader stopped without a reason");
	if (r->failed) {
		if (r->have && mode == MODE_JV) {
			jv_free(r->rec);
			r->rec = jv_invalid();
		}
		r->have = 0;
		if (e)
			*e = r->err;
		return -1;
	}
	if (!r->have)
		return 0;
	r->out_name = r->name;
	r->out_line = r->s.rec_line;
	return 1;
}

int ndj_next(struct ndj_reader *r, jv *out, struct srerr *e)
{
	int rc = next_record(r, MODE_JV, e);

	*out = jv_invalid();
	if (rc == 1) {
		*out = r->rec;
		r->rec = jv_invalid();
		r->have = 0;
	}
	return rc;
}

/* ---- field paths ---- */

static void fieldset_release(struct fieldset *fs)
{
	size_t f;

	for (f = 0; f < fs->n; f++)
		free(fs->path[f]);
	free(fs->seg);
	free(fs->fmask);
	free(fs->kmask);
	free(fs->endmask);
	fs->seg = NULL;
	fs->fmask = fs->kmask = fs->endmask = NULL;
	fs->n = 0;
	fs->maxseg = 0;
	fs->compiled = 0;
}

static int same_fields(const struct fieldset *fs, const struct ndj_field *fields, size_t n)
{
	size_t f;

	if (!fs->compiled || fs->n != n)
		return 0;
	for (f = 0; f < n; f++)
		if (!fields[f].path || strcmp(fields[f].path, fs->path[f]) != 0)
			return 0;
	return 1;
}

/* Segments of a dotted path, or 0 if it is empty or has an empty segment. */
static size_t count_segments(const char *p)
{
	size_t n = 1;

	if (!*p || *p == '.')
		return 0;
	for (; *p; p++) {
		if (*p != '.')
			continue;
		if (p[1] == '.' || p[1] == '\0')
			return 0;
		n++;
	}
	return n;
}

/* Count the segments of each path into nseg; -1 and e if one is invalid. */
static int check_paths(const struct ndj_field *fields, size_t n, size_t *nseg,
		       struct srerr *e)
{
	size_t f;

	if (n > NDJ_MAX_FIELDS) {
		srerr_set(e, "usage", "too many fields: %zu (at most %d)", n, NDJ_MAX_FIELDS);
		return -1;
	}
	for (f = 0; f < n; f++) {
		nseg[f] = fields[f].path ? count_segments(fields[f].path) : 0;
		if (!nseg[f]) {
			srerr_set(e, "usage", "invalid field path '%s'",
				  fields[f].path ? fields[f].path : "(null)");
			return -1;
		}
	}
	return 0;
}

/* Copy field f's path and note where its segments are. */
static int add_path(struct fieldset *fs, size_t f, const char *path, size_t nseg,
		    size_t *total)
{
	const char *p = path, *dot;
	size_t k;

	fs->path[f] = strdup(path);
	if (!fs->path[f])
		return -1;
	fs->n = f + 1;
	fs->first[f] = *total;
	fs->endmask[nseg] |= (uint64_t)1 << f;
	for (k = 0; k < nseg; k++, (*total)++) {
		dot = strchr(p, '.');
		fs->seg[*total].off = (size_t)(p - path);
		fs->seg[*total].len = dot ? (size_t)(dot - p) : strlen(p);
		p = dot ? dot + 1 : p;
	}
	return 0;
}

static int compile_fields(struct ndj_reader *r, const struct ndj_field *fields, size_t n,
			  struct srerr *e)
{
	struct fieldset *fs = &r->fs;
	size_t f, total = 0, nseg[NDJ_MAX_FIELDS];

	if (same_fields(fs, fields, n))
		return 0;
	fieldset_release(fs);
	if (check_paths(fields, n, nseg, e) < 0)
		return -1;
	for (f = 0; f < n; f++) {
		if (nseg[f] > fs->maxseg)
			fs->maxseg = (unsigned)nseg[f];
		total += nseg[f];
	}
	fs->seg = calloc(total + 1, sizeof(*fs->seg));
	fs->fmask = calloc(fs->maxseg + 2, sizeof(uint64_t));
	fs->kmask = calloc(fs->maxseg + 2, sizeof(uint64_t));
	fs->endmask = calloc(fs->maxseg + 2, sizeof(uint64_t));
	if (!fs->seg || !fs->fmask || !fs->kmask || !fs->endmask)
		goto oom;
	for (total = 0, f = 0; f < n; f++)
		if (add_path(fs, f, fields[f].path, nseg[f], &total) < 0)
			goto oom;
	fs->compiled = 1;
	return 0;
oom:
	fieldset_release(fs);
	srerr_set(e, "oom", "out of memory");
	return -1;
}

int ndj_next_fields(struct ndj_reader *r, struct ndj_field *fields, size_t nfields,
		    struct srerr *e)
{
	int rc;

	if (r->failed)
		return next_record(r, MODE_FIELDS, e);
	if (compile_fields(r, fields, nfields, e) < 0)
		return -1;
	r->fs.out = fields;
	rc = next_record(r, MODE_FIELDS, e);
	r->have = 0;
	return rc;
}

/* ---- the reader's life ---- */

static struct ndj_reader *reader_alloc(const struct ndj_reader_opts *opts, size_t nnames,
				       struct srerr *e)
{
	struct ndj_reader_opts o = { 0, 0, 0, 0 };
	struct ndj_reader *r;

	if (opts)
		o = *opts;
	if (!o.max_record)
		o.max_record = NDJ_MAX_RECORD;
	if (!o.max_depth)
		o.max_depth = NDJ_MAX_DEPTH;
	if (o.max_record > NDJ_RECORD_LIMIT || o.max_depth > NDJ_DEPTH_LIMIT) {
		srerr_set(e, "usage", "reader limits too large: max_record %zu (at most %u), "
			  "max_depth %u (at most %d)", o.max_record, NDJ_RECORD_LIMIT,
			  o.max_depth, NDJ_DEPTH_LIMIT);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->names = calloc(nnames, sizeof(char *))))
		goto oom;
	r->nnames = nnames;
	r->o = o;
	r->fd = -1;
	r->rec = jv_invalid();
	r->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!r->c_locale)
		goto oom;
	return r;
oom:
	ndj_reader_free(r);
	srerr_set(e, "oom", "out of memory");
	return NULL;
}

/* The read buffer, for sources that are not in memory. */
static int alloc_own(struct ndj_reader *r)
{
	if (!r->o.chunk)
		r->o.chunk = CHUNK_DEFAULT;
	r->own = malloc(r->o.chunk);
	r->cap = r->o.chunk;
	return r->own ? 0 : -1;
}

struct ndj_reader *ndj_reader_new(const char *const *paths, size_t npaths,
				  const struct ndj_reader_opts *opts, struct srerr *e)
{
	struct ndj_reader *r = reader_alloc(opts, npaths ? npaths : 1, e);
	size_t i;

	if (!r)
		return NULL;
	r->kind = SRC_PATHS;
	for (i = 0; i < r->nnames; i++)
		if (!(r->names[i] = strdup(npaths ? paths[i] : "-")))
			goto oom;
	if (alloc_own(r) < 0)
		goto oom;
	r->out_name = strcmp(r->names[0], "-") == 0 ? "<stdin>" : r->names[0];
	return r;
oom:
	ndj_reader_free(r);
	srerr_set(e, "oom", "out of memory");
	return NULL;
}

/* A reader over one source that is not a list of paths. */
static struct ndj_reader *reader_single(enum src_kind kind, const char *name,
					const struct ndj_reader_opts *opts, struct srerr *e)
{
	struct ndj_reader *r = reader_alloc(opts, 1, e);

	if (!r)
		return NULL;
	r->kind = kind;
	r->names[0] = strdup(name ? name : "<input>");
	if (!r->names[0] || (kind == SRC_FP && alloc_own(r) < 0)) {
		ndj_reader_free(r);
		srerr_set(e, "oom", "out of memory");
		return NULL;
	}
	r->out_name = r->names[0];
	return r;
}

struct ndj_reader *ndj_reader_new_fp(FILE *fp, const char *name,
				     const struct ndj_reader_opts *opts, struct srerr *e)
{
	struct ndj_reader *r = reader_single(SRC_FP, name, opts, e);

	if (r)
		r->fp = fp;
	return r;
}

struct ndj_reader *ndj_reader_new_mem(const void *data, size_t len, const char *name,
				      const struct ndj_reader_opts *opts, struct srerr *e)
{
	struct ndj_reader *r = reader_single(SRC_MEM, name, opts, e);

	if (!r)
		return NULL;
	r->mem = data;
	r->memlen = len;
	if (!r->o.chunk)
		r->o.chunk = len ? len : 1;
	return r;
}

const char *ndj_file(const struct ndj_reader *r)
{
	return r->out_name;
}

size_t ndj_line(const struct ndj_reader *r)
{
	return r->out_line;
}

size_t ndj_skipped(const struct ndj_reader *r)
{
	return r->skipped;
}

const struct srerr *ndj_warning(const struct ndj_reader *r, size_t i)
{
	return i < r->nwarn ? &r->warn[i] : NULL;
}

void ndj_reader_free(struct ndj_reader *r)
{
	size_t i;

	if (!r)
		return;
	if (r->yh)
		yajl_free(r->yh);
	drop_partial(r);
	free(r->frames);
	jv_free(r->rec);
	fieldset_release(&r->fs);
	free(r->fs.arena);
	if (r->fd_owned)
		close(r->fd);
	for (i = 0; r->names && i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	free(r->own);
	if (r->c_locale)
		freelocale(r->c_locale);
	free(r);
}

/* ---- the writer ---- */

void ndj_writer_init(struct ndj_writer *w, FILE *fp, unsigned flags)
{
	w->fp = fp;
	w->flags = flags;
	w->err = 0;
}

static int write_failed(const struct ndj_writer *w, struct srerr *e)
{
	srerr_set(e, "io", "cannot write output: %s", strerror(w->err));
	return -1;
}

int ndj_write(struct ndj_writer *w, jv record, struct srerr *e)
{
	jv text;
	int ok, len;

	if (w->err) {
		jv_free(record);
		return write_failed(w, e);
	}
	if (!jv_is_valid(record)) {
		jv_free(record);
		srerr_set(e, "usage", "cannot write an invalid value");
		return -1;
	}
	text = jv_dump_string(record, (w->flags & NDJ_PRETTY) ? JV_PRINT_INDENT_FLAGS(2) : 0);
	len = jv_string_length_bytes(jv_copy(text));
	errno = 0;
	ok = fwrite(jv_string_value(text), 1, (size_t)len, w->fp) == (size_t)len &&
	     putc('\n', w->fp) != EOF;
	if (ok && (w->flags & NDJ_FLUSH))
		ok = fflush(w->fp) == 0;
	if (!ok)
		w->err = errno ? errno : EIO;
	jv_free(text);
	return ok ? 0 : write_failed(w, e);
}

int ndj_writer_flush(struct ndj_writer *w, struct srerr *e)
{
	if (!w->err) {
		errno = 0;
		if (fflush(w->fp) != 0 || ferror(w->fp))
			w->err = errno ? errno : EIO;
	}
	return w->err ? write_failed(w, e) : 0;
}

/* ---- one value ---- */

/* The reader's "<name>:LINE: problem" (name empty here) becomes "line LINE: problem". */
static void value_error(const struct srerr *re, struct srerr *e)
{
	if (re->msg[0] == ':')
		srerr_set(e, re->code, "line %s", re->msg + 1);
	else
		srerr_set(e, re->code, "%s", re->msg);
}

int ndj_parse_value(const void *data, size_t len, size_t max_depth, jv *out,
		    struct srerr *e)
{
	struct ndj_reader_opts o = { 0, 0, 0, 0 };
	struct ndj_reader *r;
	struct srerr re;
	jv extra;
	int rc;

	*out = jv_invalid();
	if (len > NDJ_RECORD_LIMIT) {
		srerr_set(e, "limit", "JSON text longer than %u bytes", NDJ_RECORD_LIMIT);
		return -1;
	}
	o.max_record = len ? len : 1;
	o.max_depth = max_depth ? (max_depth > NDJ_DEPTH_LIMIT ? NDJ_DEPTH_LIMIT : (unsigned)max_depth)
				: NDJ_MAX_DEPTH;
	r = ndj_reader_new_mem(data, len, "", &o, e);
	if (!r)
		return -1;
	r->any_value = 1;
	rc = ndj_next(r, out, &re);
	if (rc == 1) {
		rc = ndj_next(r, &extra, &re);
		jv_free(extra);
		if (rc == 1)
			srerr_set(&re, "parse", ":%zu: invalid JSON: more than one value", ndj_line(r));
		if (rc != 0) {
			jv_free(*out);
			*out = jv_invalid();
			rc = -1;
		} else {
			rc = 1;
		}
	} else if (rc == 0) {
		srerr_set(&re, "parse", "invalid JSON: no value");
	}
	if (rc < 0 || rc == 0)
		value_error(&re, e);
	ndj_reader_free(r);
	return rc == 1 ? 0 : -1;
}
