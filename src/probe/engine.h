#ifndef PROBE_ENGINE_H
#define PROBE_ENGINE_H
/*
 * The run: every target probed concurrently (at most opts.parallel attempts at once,
 * HTTP, TCP and TLS through one http_multi, DNS lookups in threads, commands as
 * child processes, all driven by one event loop), once, every D, or until healthy.
 *
 * Modes
 *  - once (default): round 0 of every target; records in order of completion.
 *  - every_ms > 0: round k starts at start + k * every_ms on the monotonic clock, so
 *    the schedule never drifts; a slow target never delays the others.  A target
 *    whose previous round is still running (or queued, or waiting to retry) when its
 *    next round starts is not probed twice at once: that round is skipped and
 *    reported at once by a record with ok false, attempts 0 and error code "skipped".
 *    Probes never pile up on a struggling service, and every target still gets one
 *    record per round.  count > 0 stops after that many rounds; count 0 runs until
 *    SIGINT or SIGTERM.  probe_output_round_end is called once all records of round k
 *    have been given to the output, for k = 0, 1, ... in order (records of a later
 *    round may come before it when a target of round k was slow).
 *  - wait_ms > 0 (--wait): rounds as above (every_ms, default 1s) over the targets not
 *    yet ok; a target that was ok once is done and its record is printed then.  Every
 *    attempt's timeout is cut to the deadline.  When all are done the run ends
 *    ENGINE_OK; at the deadline the last record of each target not done is printed
 *    and the run ends ENGINE_FAILED.  Failed rounds show on stderr with -v only.
 * Retries happen inside a round (retry.h); each record counts its attempts and lists
 * the failed ones.
 *
 * SIGINT or SIGTERM: no new round or attempt starts; probes in flight finish and
 * are printed, a target waiting to retry is printed with its last failure, and the
 * run ends ENGINE_INTERRUPTED.  A second signal kills probe at once (default action).
 *
 * Every record, error message and verbose line has the secrets redacted.
 */
#include <stdint.h>

#include "cli.h"
#include "output.h"
#include "secret.h"
#include "srerr.h"
#include "target.h"

struct engine_opts {
	unsigned parallel;          /* attempts in flight at most */
	int64_t every_ms;           /* 0: once (with wait_ms: the poll interval) */
	long count;                 /* rounds with every_ms; 0: until stopped */
	int64_t wait_ms;            /* --wait deadline; 0: not waiting */
	int strict;                 /* warnings fail */
	const struct secret_set *secrets;
	const struct cli *cli;      /* for -v lines */
};

enum engine_status {
	ENGINE_OK,                  /* ran (once/every), or --wait: every target ok */
	ENGINE_FAILED,              /* --wait: the deadline passed first */
	ENGINE_INTERRUPTED,         /* a signal stopped the run */
};

/*
 * Run the targets, giving every record to out.  Returns the status, or -1 and e when
 * the run itself cannot go on (the output failed to write a textfile or push: code of
 * the output; the event loop broke: "io").
 */
int engine_run(const struct engine_opts *o, const struct target_list *targets,
	       struct probe_output *out, struct srerr *e);

#endif
