#ifndef SLO_BUDGET_OUTPUT_H
#define SLO_BUDGET_OUTPUT_H
/*
 * slo-budget's output formats: the slo.status records of a run on standard output.
 *
 *	ndjson      each record at once, one line (the default off a terminal)
 *	json        each record at once, indented as `jq .` prints it
 *	text        one line per status: name, objective, window, SLI, a budget bar,
 *		    the 1h burn rate, time to exhaustion and the state word
 *		      api  99.9%  30d  SLI 99.950%  budget [#####-----] 50.0% left  burn 1h 0.5×  ok
 *		    batch: all lines at the end, in aligned columns; streaming: each line
 *		    at once, after the status time
 *	prometheus  the text exposition format (gauges labelled slo= and group=), once
 *		    at the end
 *	nagios      one plugin line with perfdata, once at the end; the exit status is
 *		    the plugin's: CRITICAL 2 (budget exhausted or a page alert firing),
 *		    WARNING 1 (a ticket alert), UNKNOWN 3 (insufficient data), OK 0
 * prometheus and nagios describe the state at the end and cannot stream (--follow).
 *
 * Records are read back through their fields (see status.h), so every format shows
 * exactly what the ndjson record says.  Standard output errors follow the stream
 * contract (cli_stdout_failed): a closed pipe ends the process quietly, any other
 * write error exits 2.  Streaming output is flushed after each record.
 */
#include <jv.h>

#include "cli.h"
#include "srerr.h"

struct output;

struct output_opts {
	enum cli_format format;   /* resolved: NDJSON JSON TEXT PROMETHEUS NAGIOS */
	int streaming;            /* --follow */
	int color;                /* text: colour the state word (cli_use_color()) */
};

/* NULL and e (code "usage") for prometheus or nagios with streaming, or "oom". */
struct output *output_new(const struct output_opts *o, struct srerr *e);

/* One slo.status record (consumed).  Returns 0, or -1 and e ("oom"; "invalid" when
   record is not an object). */
int output_status(struct output *o, jv record, struct srerr *e);

/*
 * Print what is pending and flush.  *nagios_code gets the plugin's exit status under
 * -o nagios (UNKNOWN when there was no status), else is left alone.  0 or -1 ("oom").
 */
int output_finish(struct output *o, int *nagios_code, struct srerr *e);

void output_free(struct output *o);

#endif
