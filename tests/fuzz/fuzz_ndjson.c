/*
 * libFuzzer target for src/lib/ndjson.  The first byte picks the options (lenient,
 * read size, small limits); the rest is the input.  Besides "no crash, no leak, no
 * UB", it checks three properties on every input:
 *  - the projection path and the jv path agree: same records, lines, field values,
 *    errors and skip counts, also when both modes alternate on one reader;
 *  - every record the reader returns, written by ndj_write (compact and pretty),
 *    reads back as exactly one record equal to it;
 *  - the read size does not change the outcome (64 KiB against the chosen one), nor
 *    does reading through a FILE*.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "banned.h"

#define MAX_RECS 4096

static const char *const paths[] = {
	"a", "b", "a.b", "kind", "time", "ok", "timing_ms.total", "x.y.z", "",
};
#define NPATHS 8   /* the empty path is only used to check the usage error */

struct outcome {
	int rc;
	size_t n, skipped;
	jv recs[MAX_RECS];
	size_t lines[MAX_RECS];
	struct srerr err;
};

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ndjson: property violated: %s\n", what);
		abort();
	}
}

static struct ndj_reader *open_reader(const uint8_t *d, size_t n,
				      const struct ndj_reader_opts *o)
{
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(d, n, "fuzz", o, &e);

	check(r != NULL, "reader created");
	return r;
}

static void read_all_jv(const uint8_t *d, size_t n, const struct ndj_reader_opts *o,
			struct outcome *out, FILE *fp)
{
	struct srerr e;
	struct ndj_reader *r = fp ? ndj_reader_new_fp(fp, "fuzz", o, &e) : open_reader(d, n, o);
	jv rec;

	out->n = 0;
	while ((out->rc = ndj_next(r, &rec, &out->err)) == 1) {
		if (out->n == MAX_RECS) {
			jv_free(rec);
			continue;
		}
		out->lines[out->n] = ndj_line(r);
		out->recs[out->n++] = rec;
	}
	out->skipped = ndj_skipped(r);
	if (out->rc < 0)   /* the reader's own consistency checks never fire */
		check(strcmp(out->err.code, "internal") != 0, "no internal error");
	ndj_reader_free(r);
}

/* What projecting path should give for rec; a string's jv is left in *str. */
static void expect_field(jv rec, const char *path, struct ndj_field *want, jv *str)
{
	jv cur = jv_copy(rec);
	const char *p = path;

	memset(want, 0, sizeof(*want));
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (jv_get_kind(cur) != JV_KIND_OBJECT) {
			jv_free(cur);
			return;
		}
		cur = jv_object_get(cur, jv_string_sized(p, (int)len));
		if (!jv_is_valid(cur)) {
			jv_free(cur);
			return;
		}
		if (!dot)
			break;
		p = dot + 1;
	}
	switch (jv_get_kind(cur)) {
	case JV_KIND_NULL: want->type = NDJ_NULL; break;
	case JV_KIND_TRUE: want->type = NDJ_BOOL; want->boolean = 1; break;
	case JV_KIND_FALSE: want->type = NDJ_BOOL; break;
	case JV_KIND_NUMBER: want->type = NDJ_NUMBER; want->number = jv_number_value(cur); break;
	case JV_KIND_OBJECT: want->type = NDJ_OBJECT; break;
	case JV_KIND_ARRAY: want->type = NDJ_ARRAY; break;
	default:
		want->type = NDJ_STRING;
		want->len = (size_t)jv_string_length_bytes(jv_copy(cur));
		*str = cur;
		return;
	}
	jv_free(cur);
}

static void compare_fields(jv rec, const struct ndj_field *f)
{
	size_t i;
	struct ndj_field w;
	jv str;

	for (i = 0; i < NPATHS; i++) {
		str = jv_invalid();
		expect_field(rec, paths[i], &w, &str);
		check(f[i].type == w.type, "projected type matches jv");
		if (w.type == NDJ_BOOL)
			check(f[i].boolean == w.boolean, "projected boolean matches jv");
		if (w.type == NDJ_NUMBER)
			check(f[i].number == w.number, "projected number matches jv");
		if (w.type == NDJ_STRING)
			check(f[i].len == w.len && f[i].str && f[i].str[f[i].len] == '\0' &&
			      memcmp(f[i].str, jv_string_value(str), w.len) == 0,
			      "projected string matches jv");
		jv_free(str);
	}
}

/* The same input read with projections (alternate: mixing both calls). */
static void check_projection(const uint8_t *d, size_t n, const struct ndj_reader_opts *o,
			     const struct outcome *a, int alternate)
{
	struct ndj_reader *r = open_reader(d, n, o);
	struct ndj_field f[NPATHS + 1];
	struct srerr e;
	size_t i, k = 0;
	int rc;
	jv rec;

	memset(f, 0, sizeof(f));
	for (i = 0; i <= NPATHS; i++)
		f[i].path = paths[i];
	check(ndj_next_fields(r, f, NPATHS + 1, &e) == -1 && strcmp(e.code, "usage") == 0,
	      "an empty path is a usage error");
	for (;;) {
		if (alternate && k % 2) {
			rc = ndj_next(r, &rec, &e);
			if (rc == 1 && k < a->n)
				check(jv_equal(jv_copy(rec), jv_copy(a->recs[k])), "same record");
			jv_free(rec);
		} else {
			rc = ndj_next_fields(r, f, NPATHS, &e);
			if (rc == 1 && k < a->n)
				compare_fields(a->recs[k], f);
		}
		if (rc != 1)
			break;
		if (k < a->n)
			check(ndj_line(r) == a->lines[k], "same line");
		k++;
	}
	check(k == a->n || a->n == MAX_RECS, "same number of records");
	check(rc == a->rc, "same outcome");
	if (rc < 0)
		check(strcmp(e.msg, a->err.msg) == 0 && strcmp(e.code, a->err.code) == 0,
		      "same error");
	check(ndj_skipped(r) == a->skipped, "same skip count");
	ndj_reader_free(r);
}

/* Write rec, read the text back: one record, equal to rec. */
static void check_roundtrip(jv rec, unsigned flags)
{
	struct ndj_writer w;
	struct ndj_reader *r;
	struct srerr e;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	jv back;

	check(fp != NULL, "open_memstream");
	ndj_writer_init(&w, fp, flags);
	check(ndj_write(&w, jv_copy(rec), &e) == 0, "write to memory");
	check(fclose(fp) == 0, "fclose");
	check(len > 0 && text[len - 1] == '\n', "output ends with a newline");
	if (!(flags & NDJ_PRETTY))
		check(memchr(text, '\n', len) == text + len - 1, "compact output is one line");
	r = ndj_reader_new_mem(text, len, "roundtrip", NULL, &e);
	check(r != NULL, "reader created");
	check(ndj_next(r, &back, &e) == 1, "written record reads back");
	check(jv_equal(back, jv_copy(rec)), "written record reads back equal");
	check(ndj_next(r, &back, &e) == 0, "written text holds one record");
	ndj_reader_free(r);
	free(text);
}

static void release(struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		jv_free(o->recs[i]);
	o->n = 0;
}

static struct outcome a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * ndj_parse_value (probe's response bodies): a value it accepts prints and parses back
 * equal, and an object it accepts is what the strict reader yields for the same text.
 */
static void check_parse_value(const uint8_t *data, size_t size, const struct ndj_reader_opts *o,
			      const struct outcome *strict)
{
	struct srerr e;
	jv v, again;
	jv_kind kind;

	if (ndj_parse_value(data, size, 0, &v, &e) != 0) {
		check(jv_get_kind(v) == JV_KIND_INVALID && e.msg[0], "parse_value error is reported");
		return;
	}
	kind = jv_get_kind(v);
	{
		jv text = jv_dump_string(jv_copy(v), 0);
		const char *t = jv_string_value(text);

		check(ndj_parse_value(t, strlen(t), 0, &again, &e) == 0, "printed value parses back");
		check(jv_equal(jv_copy(v), again), "printed value parses back equal");
		jv_free(text);
	}
	if (kind == JV_KIND_OBJECT && !o->lenient && !o->max_record && !o->max_depth)
		check(strict->rc == 0 && strict->n == 1 && jv_equal(jv_copy(v), jv_copy(strict->recs[0])),
		      "an object parse_value accepts is the reader's one record");
	jv_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndj_reader_opts o = { 0, 0, 0, 0 };
	size_t i;
	unsigned k;

	if (size < 1)
		return 0;
	o.lenient = data[0] & 1;
	k = (data[0] >> 1) & 7;
	o.chunk = k ? (size_t)1 << (k - 1) : 0;
	o.max_record = (data[0] & 0x10) ? 64 : 0;
	o.max_depth = (data[0] & 0x20) ? 8 : 0;
	data++;
	size--;

	read_all_jv(data, size, &o, &a, NULL);
	check_parse_value(data, size, &o, &a);
	check_projection(data, size, &o, &a, 0);
	check_projection(data, size, &o, &a, 1);
	for (i = 0; i < a.n && i < 64; i++) {
		check_roundtrip(a.recs[i], 0);
		check_roundtrip(a.recs[i], NDJ_PRETTY);
	}
	for (k = 0; k < 2; k++) {
		FILE *fp = NULL;

		if (k == 0 && !o.chunk)
			continue;
		o.chunk = 0;
		if (k == 1 && size) {   /* through a FILE*, read line by line */
			fp = fmemopen((void *)(uintptr_t)data, size, "r");
			check(fp != NULL, "fmemopen");
		}
		read_all_jv(data, size, &o, &b, fp);
		if (fp)
			fclose(fp);
		check(a.rc == b.rc && a.n == b.n && a.skipped == b.skipped, "read size is invisible");
		for (i = 0; i < a.n; i++)
			check(a.lines[i] == b.lines[i] && jv_equal(jv_copy(a.recs[i]), jv_copy(b.recs[i])),
			      "read size is invisible to records");
		if (a.rc < 0)
			check(strcmp(a.err.msg, b.err.msg) == 0, "read size is invisible to errors");
		release(&b);
	}
	release(&a);
	return 0;
}
