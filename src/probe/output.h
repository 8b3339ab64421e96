#ifndef PROBE_OUTPUT_H
#define PROBE_OUTPUT_H
/*
 * probe's output formats: the probe.result records of a run (man 1 probe, "OUTPUT
 * FORMATS") printed on standard output as ndjson, json, text, prometheus, nagios or
 * junit, and the Prometheus exposition also written atomically to a node_exporter
 * textfile (--textfile) and pushed to a Pushgateway (--push).
 *
 *	struct probe_output *out = probe_output_new(&opts, &e);   // NULL: usage error
 *	for each result:   probe_output_record(out, rec, &e);      // consumes rec
 *	for each round:    probe_output_round_end(out, &e);        // --every
 *	probe_output_finish(out, &code, &e);
 *	probe_output_free(out);
 *
 * When things are printed:
 *	ndjson, json  each record at once (json: one indented object per record, as
 *		      `jq .` prints them, a stream every sretools command reads back)
 *	text          with opts.streaming, each line at once, its columns as wide as the
 *		      widest so far; otherwise the lines of a round together, aligned, at
 *		      the round's end (or at finish)
 *	prometheus    with opts.streaming, the exposition of each round at its end (to
 *		      standard output, the textfile and the Pushgateway alike); otherwise
 *		      once, at finish
 *	nagios, junit once, at finish; they cannot stream (a usage error)
 * The aggregate formats (prometheus, nagios, junit) keep one result per target: a
 * later record with the same name and target replaces the earlier one, so that the
 * output of --wait, or of records fed without round ends, describes the last state.
 * With opts.streaming, standard output is flushed after every record and round.
 *
 * Standard output errors follow the stream contract: a closed pipe ends the process
 * quietly and any other write error exits 2 (cli_stdout_failed), as for every other
 * sretools command; they are never returned.
 *
 * Errors (srerr codes): "usage" (bad options, from probe_output_new), "io" (the
 * textfile), "push" (the Pushgateway refused or could not be reached), "invalid" (a
 * record that is not a JSON object), "oom".
 */
#include <jv.h>

#include "cli.h"
#include "srerr.h"

struct probe_output;

struct probe_output_opts {
	enum cli_format format;   /* resolved: NDJSON JSON TEXT PROMETHEUS NAGIOS JUNIT */
	int color;                /* text: colour allowed (cli_use_color()); NO_COLOR set and
				     not empty disables it here too */
	int streaming;            /* --every: flush per record, aggregate formats per round */
	const char *textfile;     /* --textfile PATH or NULL: the Prometheus exposition,
				     replaced atomically (mode 0644 when new, else kept) */
	const char *push_url;     /* --push URL or NULL: the exposition PUT to a Pushgateway;
				     a URL without "/metrics/job/" in its path gets
				     "/metrics/job/probe" appended */
	int strict;               /* --strict: warnings fail (nagios WARNING -> CRITICAL) */
	double warn_latency_ms;   /* nagios perfdata thresholds; < 0: unset */
	double max_latency_ms;
};

/*
 * Check the options and set up the output.  The strings in o are copied.  Returns
 * NULL and e (code "usage") for a format probe does not support, nagios or junit with
 * streaming, an empty textfile path or a push URL that is not http:// or https://.
 */
struct probe_output *probe_output_new(const struct probe_output_opts *o, struct srerr *e);

/*
 * Take one probe.result record (consumed, also on error).  Streaming formats print it
 * at once; aggregate formats keep it until the round's end or the finish.  Returns 0,
 * or -1 and e (code "invalid") when record is not an object.
 */
int probe_output_record(struct probe_output *o, jv record, struct srerr *e);

/*
 * End of a round (--every): text prints its buffered lines; with opts.streaming,
 * prometheus prints, writes and pushes what the round had.  Returns 0 or -1 and e
 * ("io" for the textfile, "push"); the round's results are forgotten either way, and
 * what was possible (standard output, the textfile) is done before a failed push.
 */
int probe_output_round_end(struct probe_output *o, struct srerr *e);

/*
 * End of the run: print what is pending and flush standard output.  *exit_code is
 * the status the format wants: nagios 0/1/2/3 (OK, WARNING, CRITICAL, UNKNOWN) of the
 * worst result kept (3 when there was none); every other format 0 when every record
 * seen was ok, 1 when any was not.  Returns 0, or -1 and e as probe_output_round_end
 * (*exit_code is set all the same).
 */
int probe_output_finish(struct probe_output *o, int *exit_code, struct srerr *e);

/* Free o and what it kept; NULL is fine.  Prints nothing. */
void probe_output_free(struct probe_output *o);

#endif
