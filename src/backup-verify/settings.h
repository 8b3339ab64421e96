#ifndef BV_SETTINGS_H
#define BV_SETTINGS_H
/*
 * backup-verify's command line: main() feeds each option to bv_settings_option, then
 * bv_settings_finish checks that they go together and compiles --ignore.  The verbs
 * (check, the default, and manifest) share this struct; each verb accepts only its
 * own options (main.c has one option table per verb).
 */
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "rx.h"
#include "srerr.h"

#define BV_DEFAULT_HISTORY_COUNT 7
#define BV_MAX_HISTORY_COUNT 1000
#define BV_DEFAULT_TOLERANCE 0.5            /* 50% */
#define BV_DEFAULT_VALIDATE_TIMEOUT_MS (10 * 60 * 1000)
#define BV_PROGRESS_MIN_BYTES ((uint64_t)64 << 20)  /* auto progress above 64 MiB */

/* Long-only options (the short ones use their letter). */
enum bv_opt {
	OPT_NAME = CLI_OPT_FIRST_FREE, OPT_MANIFEST, OPT_IGNORE, OPT_RESTORE_TEST,
	OPT_RESTORE_DIR, OPT_KEEP, OPT_MAX_BYTES, OPT_MAX_ENTRIES, OPT_MAX_RATIO,
	OPT_VALIDATE, OPT_VALIDATE_TIMEOUT, OPT_MAX_AGE, OPT_AGE_FROM, OPT_MIN_SIZE,
	OPT_HISTORY, OPT_HISTORY_COUNT, OPT_TOLERANCE, OPT_PROGRESS,
	OPT_MANIFEST_FORMAT,   /* manifest --format ndjson|json|sha256sum */
};

enum bv_verb { BV_VERB_CHECK, BV_VERB_MANIFEST };

/* --age-from: which times make the backup's age (default: the newest of both) */
enum bv_age_from { BV_AGE_BOTH, BV_AGE_ARCHIVE, BV_AGE_ENTRIES };

/* manifest --format */
enum bv_listing { BV_LIST_NDJSON, BV_LIST_JSON, BV_LIST_SHA256SUM };

enum bv_progress_mode { BV_PROGRESS_AUTO, BV_PROGRESS_ON, BV_PROGRESS_OFF };

struct bv_settings {
	enum bv_verb verb;
	const char *name;                /* --name: the backup's name in reports and history */
	const char *manifest;            /* --manifest FILE */
	const char **ignores;            /* --ignore REGEX, each given (combined as alternatives) */
	size_t nignores;
	struct rx *ignore;               /* compiled by bv_settings_finish; NULL: none */
	/* restore test (restore.h) */
	int restore_test;                /* --restore-test (also implied by --restore-dir, --validate) */
	const char *restore_dir;         /* --restore-dir DIR */
	int keep;                        /* --keep */
	const char *validate;            /* --validate CMD */
	int64_t validate_timeout_ms;     /* --validate-timeout D */
	/* limits (reading and extraction); 0: unlimited */
	uint64_t max_bytes, max_entries;
	double max_ratio;
	/* freshness and size */
	int64_t max_age_ms;              /* --max-age D; 0: not checked */
	enum bv_age_from age_from;
	uint64_t min_size;               /* --min-size SIZE; 0: not checked */
	const char *history;             /* --history FILE */
	long history_count;
	double tolerance;                /* --tolerance: a fraction (0.5 is 50%) */
	int tolerance_given, history_count_given;
	/* output */
	enum bv_progress_mode progress;       /* --progress forces, -q silences */
	enum bv_listing listing;         /* manifest --format */
	int listing_given;
};

void bv_settings_init(struct bv_settings *s, enum bv_verb verb);
/* Free what bv_settings_finish compiled and the --ignore list. */
void bv_settings_release(struct bv_settings *s);

/* Record one option (a letter or an OPT_* code).  Returns 0, or -1 and e (code
   "usage") on an invalid value or an option this struct does not know. */
int bv_settings_option(struct bv_settings *s, int opt, const char *arg, struct srerr *e);

/* Check that the options go together and compile --ignore; c's common options
   count too (-q silences progress; for manifest, -o json means --format json unless
   --format was given).  Returns 0, or -1 and e (code "usage", or "regex"). */
int bv_settings_finish(struct bv_settings *s, const struct cli *c, struct srerr *e);

/* ---- option values (exposed for the unit tests) ----------------------------------- */

/* A byte count: digits with an optional suffix k, M, G, T (binary: KiB ...; "KiB",
   "MB" ... accepted too, all binary), at least 1.  -1 and e naming what otherwise. */
int bv_parse_size(const char *what, const char *s, uint64_t *out, struct srerr *e);

/* A count: a whole number from 1 to 2^53. */
int bv_parse_count(const char *what, const char *s, uint64_t *out, struct srerr *e);

/* --tolerance: a percentage, "50%" or "50" (0 to 1000), into a fraction (0.5). */
int bv_parse_tolerance(const char *s, double *out, struct srerr *e);

/* --max-ratio: a number greater than 1 ("100", "1e3"). */
int bv_parse_ratio(const char *s, double *out, struct srerr *e);

#endif
