#ifndef SLO_BUDGET_INPUT_H
#define SLO_BUDGET_INPUT_H
/*
 * slo-budget's input: NDJSON events or counts, one outcome per SLO and record.
 *
 * Events.  A record's time comes from the time field (RFC 3339 string or epoch
 * seconds).  For each SLO it is good or bad:
 *   - by --good EXPR (default .ok), which must give true or false;
 *   - with --latency-field PATH --threshold D, by its latency: a number of
 *     milliseconds or a duration string ("250ms"), good when at most D; with --good
 *     given as well, good only when both say so.
 * Counts (--counts).  Records {"time": T, "good": G, "total": N} (or "bad": B instead of
 * "good": good = total - bad), numbers >= 0 with good <= total.
 * Groups.  With --group-by EXPR an SLO's outcome also carries the group key: a string
 * as it is, a number or boolean as JSON text; a jq expression may also give an object
 * or array (its compact JSON).  null or a missing field is an error.
 *
 * Speed.  Plain paths (".ok", ".a.b") are read by projection (ndj_next_fields), which
 * builds no jv; only when some SLO needs a real jq expression is each record built as
 * a jv and the expressions run on it (in process: the data is the operator's).
 *
 * Errors name FILE:LINE: malformed JSON (the reader's), a missing or invalid time,
 * a --good that is not true or false, a missing latency, bad counts, a missing group.
 * With --lenient a bad record is skipped, counted and passed to the warn callback,
 * and reading goes on.
 *
 * The group map (input_groups) gives each group key its value (the driver's series).
 */
#include <stddef.h>
#include <stdint.h>

#include "ndjson.h"
#include "srerr.h"

/* What the input reads for one SLO; the strings are borrowed. */
struct input_slo {
	const char *good;            /* EXPR, NULL: .ok (or none with latency_field) */
	const char *latency_field;   /* ".path" or NULL */
	int64_t threshold_ms;        /* with latency_field */
	const char *group_by;        /* EXPR or NULL */
};

struct input_conf {
	const char *time_path;       /* "time", "ts.start": a path without the leading dot */
	int counts;                  /* --counts records */
	int lenient;                 /* skip and count bad records */
	const struct input_slo *slos;
	size_t nslos;
	/* --lenient: called for each skipped record ("FILE:LINE: why"); may be NULL.
	   Records the reader skipped beyond its first NDJ_WARNINGS are counted only. */
	void (*warn)(void *ctx, const struct srerr *e);
	void *warn_ctx;
};

/* One SLO's outcome of a record. */
struct input_outcome {
	double good, total;          /* events: 1/1 or 0/1 */
	const char *group;           /* NUL-terminated key, NULL without --group-by; valid
					until the next input_next */
	size_t group_len;
};

struct input_event {
	int64_t time_ms;
	const struct input_outcome *slo;   /* conf.nslos outcomes, owned by the input */
};

struct input;

/*
 * An input over reader r, which it adopts (and frees, also on error).  The strings of
 * conf are borrowed and must outlive the input; jq expressions are compiled here.
 * NULL and e (code "jq", "usage" or "oom") on failure.
 */
struct input *input_new(struct ndj_reader *r, const struct input_conf *conf, struct srerr *e);

/* The next record: 1 and *ev filled, 0 at the end, -1 and e ("FILE:LINE: why"). */
int input_next(struct input *in, struct input_event *ev, struct srerr *e);

/* Records skipped so far (--lenient), the reader's and the input's own. */
size_t input_skipped(const struct input *in);

/* Whether records are read by projection, without jv (for tests and -v). */
int input_projected(const struct input *in);

void input_free(struct input *in);

/* ---- the group map ----------------------------------------------------------------- */

struct input_groups;

struct input_groups *input_groups_new(void);
/* Free the map and its keys; the values are the caller's (free them first). */
void input_groups_free(struct input_groups *g);
/* The value of key (len bytes), or NULL when it has none. */
void *input_groups_find(struct input_groups *g, const char *key, size_t len);
/* Give key (copied) the value v (not NULL).  Returns the map's copy of the key, which
   lives as long as the map, or NULL when memory runs out. */
const char *input_groups_add(struct input_groups *g, const char *key, size_t len, void *v);
size_t input_groups_count(const struct input_groups *g);
/* The i-th entry in key order (strcmp of the keys), i < count.  Sorting happens on
   the first call after an add. */
const char *input_groups_key(struct input_groups *g, size_t i);
void *input_groups_value(struct input_groups *g, size_t i);

#endif
