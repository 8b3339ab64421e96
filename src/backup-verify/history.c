/*
 * The history of one backup: medians of its last ok reports.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "ndjson.h"

#include "banned.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bv_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bv_history_anomaly(double median, double actual, double tolerance)
{
	return fabs(actual - median) > tolerance * median;
}

/* The last `count` ok reports: a ring of bytes and entries. */
struct ring {
	double *bytes, *entries;
	size_t count, n, next;
};

static void ring_push(struct ring *r, double bytes, double entries)
{
	r->bytes[r->next] = bytes;
	r->entries[r->next] = entries;
	r->next = (r->next + 1) % r->count;
	if (r->n < r->count)
		r->n++;
}

enum { F_KIND, F_OK, F_NAME, F_BYTES, F_ENTRIES, NFIELDS };

/* Whether the projected record is an ok report of name with usable numbers. */
static int counts(const struct ndj_field *f, const char *name)
{
	return f[F_KIND].type == NDJ_STRING && f[F_KIND].len == strlen("backup.report") &&
	       !strcmp(f[F_KIND].str, "backup.report") &&
	       f[F_OK].type == NDJ_BOOL && f[F_OK].boolean &&
	       f[F_NAME].type == NDJ_STRING && f[F_NAME].len == strlen(name) &&
	       !memcmp(f[F_NAME].str, name, f[F_NAME].len) &&
	       f[F_BYTES].type == NDJ_NUMBER && f[F_BYTES].number >= 0 &&
	       f[F_ENTRIES].type == NDJ_NUMBER && f[F_ENTRIES].number >= 0;
}

static int read_reports(struct ndj_reader *r, const char *name, struct ring *ring,
			struct srerr *e)
{
	struct ndj_field f[NFIELDS] = {
		[F_KIND] = { .path = "kind" }, [F_OK] = { .path = "ok" },
		[F_NAME] = { .path = "name" }, [F_BYTES] = { .path = "bytes" },
		[F_ENTRIES] = { .path = "entries" },
	};
	int rc;

	while ((rc = ndj_next_fields(r, f, NFIELDS, e)) == 1)
		if (counts(f, name))
			ring_push(ring, f[F_BYTES].number, f[F_ENTRIES].number);
	return rc;
}

static int load_fp(FILE *fp, const char *path, const char *name, int lenient,
		   struct ring *ring, struct srerr *e)
{
	struct ndj_reader_opts o = { .lenient = lenient };
	struct ndj_reader *r = ndj_reader_new_fp(fp, path, &o, e);
	int rc;

	if (!r)
		return -1;
	rc = read_reports(r, name, ring, e);
	ndj_reader_free(r);
	return rc < 0 ? -1 : 0;
}

int bv_history_load(const char *path, const char *name, size_t count, int lenient,
		    struct bv_history *h, struct srerr *e)
{
	struct ring ring = { .count = count };
	FILE *fp;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	if (count == 0)
		return 0;
	if (count > BV_HISTORY_COUNT_MAX) {
		srerr_set(e, "limit", "history count %zu is larger than %d", count,
			  BV_HISTORY_COUNT_MAX);
		return -1;
	}
	if (!(fp = fopen(path, "rb"))) {
		if (errno == ENOENT)
			return 0;
		srerr_set(e, "io", "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	ring.bytes = calloc(count, sizeof(double));
	ring.entries = calloc(count, sizeof(double));
	if (!ring.bytes || !ring.entries)
		srerr_set(e, "oom", "out of memory");
	else if ((rc = load_fp(fp, path, name, lenient, &ring, e)) == 0) {
		h->n = ring.n;
		h->median_bytes = bv_median(ring.bytes, ring.n);
		h->median_entries = bv_median(ring.entries, ring.n);
	}
	free(ring.bytes);
	free(ring.entries);
	fclose(fp);
	return rc;
}
