#ifndef PROBE_SETTINGS_H
#define PROBE_SETTINGS_H
/*
 * probe's command line: main() feeds each option to settings_option, then
 * settings_finish turns them into the template target (target.h) and the run's
 * global settings, and settings_targets builds the target list from the operands,
 * --exec commands and -f spec files.
 */
#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "secret.h"
#include "srerr.h"
#include "target.h"

#define PROBE_DEFAULT_PARALLEL 32
#define PROBE_MAX_PARALLEL 4096
#define PROBE_DEFAULT_WAIT_INTERVAL_MS 1000

/* Long-only options (short ones use their letter). */
enum probe_opt {
	OPT_TIMEOUT = 0x1100, OPT_CONNECT_TIMEOUT, OPT_RESOLVE, OPT_CACERT, OPT_CERT, OPT_KEY,
	OPT_INSECURE, OPT_FOLLOW, OPT_PROXY, OPT_MAX_BODY, OPT_EXEC,
	OPT_EXPECT_STATUS, OPT_EXPECT_BODY, OPT_EXPECT_JSON, OPT_EXPECT_HEADER,
	OPT_MAX_LATENCY, OPT_CERT_MIN_DAYS, OPT_WARN_LATENCY, OPT_WARN_CERT_DAYS, OPT_STRICT,
	OPT_RETRIES, OPT_RETRY_DELAY, OPT_EVERY, OPT_COUNT, OPT_WAIT, OPT_PARALLEL,
	OPT_SECRET, OPT_TEXTFILE, OPT_PUSH,
};

struct probe_settings {
	struct pool *pool;
	struct secret_set *secrets;
	struct probe_target tmpl;          /* the defaults of every target */
	/* modes */
	unsigned parallel;
	int64_t every_ms;                  /* 0: once (or the --wait poll interval) */
	long count;                        /* rounds with --every; 0: until stopped */
	int64_t wait_ms;                   /* --wait deadline; 0: not waiting */
	int strict;
	const char *textfile, *push_url;
	/* collected until settings_finish */
	const char **headers, **expect_headers, **execs, **specs, **resolve;
	size_t nheaders, nexpect_headers, nexecs, nspecs, nresolve;
	const char *data, *expect_body, *expect_json;
};

void settings_init(struct probe_settings *s);
void settings_release(struct probe_settings *s);

/* Record one option of probe's own (a letter or an OPT_* code).  -1 and e (code
   "usage") on an invalid value. */
int settings_option(struct probe_settings *s, int opt, const char *arg, struct srerr *e);

/* Build the template and check that the options go together. */
int settings_finish(struct probe_settings *s, struct srerr *e);

/* The targets of the run, in order: operands, --exec commands, then -f files. */
int settings_targets(struct probe_settings *s, char *const *operands, size_t n,
		     struct target_list *l, struct srerr *e);

#endif
