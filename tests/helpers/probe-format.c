/*
 * probe-format: probe's output formats (src/probe/output.c) as a command, for
 * tests/probe-output.bats.  It reads probe.result records (NDJSON, through the ndjson
 * module) from stdin and feeds them to the output API, so that every format is tested
 * through a real binary with hand-made records, independently of the probe engine.
 *
 *	probe-format [-o FORMAT] [--color | --color-auto] [--streaming] [--rounds]
 *	             [--textfile PATH] [--push URL] [--strict]
 *	             [--warn-latency MS] [--max-latency MS] < records.ndjson
 *
 * --color allows colour (as cli_use_color() would on a terminal), --color-auto asks
 * cli_use_color().  --rounds ends a round (probe_output_round_end) whenever a record's
 * "round" differs from the previous one's, and once at the end of the input.
 * Exit status: what probe_output_finish says; 2 and "probe-format: error: MSG" on
 * any error.
 *
 * The Makefile links tests/helpers/probe-*.c with probe's objects (all but main.o).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/probe/output.h"
#include "cli.h"
#include "ndjson.h"
#include "banned.h"

#define USAGE "probe-format [-o format] [--color | --color-auto] [--streaming] [--rounds] " \
	      "[--textfile path] [--push url] [--strict] [--warn-latency ms] [--max-latency ms]"

enum {
	OPT_COLOR = CLI_OPT_FIRST_FREE, OPT_COLOR_AUTO, OPT_STREAMING, OPT_ROUNDS, OPT_TEXTFILE,
	OPT_PUSH, OPT_STRICT, OPT_WARN_LATENCY, OPT_MAX_LATENCY,
};

static double milliseconds(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end)
		cli_die(CLI_TROUBLE, "invalid number of milliseconds '%s'", s);
	return d;
}

static void parse_options(struct cli *c, int argc, char **argv, struct probe_output_opts *po,
			  int *rounds)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS,
		{ "color", no_argument, NULL, OPT_COLOR },
		{ "color-auto", no_argument, NULL, OPT_COLOR_AUTO },
		{ "streaming", no_argument, NULL, OPT_STREAMING },
		{ "rounds", no_argument, NULL, OPT_ROUNDS },
		{ "textfile", required_argument, NULL, OPT_TEXTFILE },
		{ "push", required_argument, NULL, OPT_PUSH },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "warn-latency", required_argument, NULL, OPT_WARN_LATENCY },
		{ "max-latency", required_argument, NULL, OPT_MAX_LATENCY },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = cli_getopt(c, argc, argv, "", longopts)) != -1) {
		switch (opt) {
		case OPT_COLOR: po->color = 1; break;
		case OPT_COLOR_AUTO: po->color = cli_use_color(); break;
		case OPT_STREAMING: po->streaming = 1; break;
		case OPT_ROUNDS: *rounds = 1; break;
		case OPT_TEXTFILE: po->textfile = optarg; break;
		case OPT_PUSH: po->push_url = optarg; break;
		case OPT_STRICT: po->strict = 1; break;
		case OPT_WARN_LATENCY: po->warn_latency_ms = milliseconds(optarg); break;
		case OPT_MAX_LATENCY: po->max_latency_ms = milliseconds(optarg); break;
		default: cli_usage_error(c);
		}
	}
	if (optind != argc)
		cli_usage_error(c);
	cli_resolve_format(c);
	po->format = c->format;
}

/* The record's "round", or -1. */
static double round_of(jv rec)
{
	jv r = jv_object_get(jv_copy(rec), jv_string("round"));
	double n = jv_get_kind(r) == JV_KIND_NUMBER ? jv_number_value(r) : -1;

	jv_free(r);
	return n;
}

static int feed(struct probe_output *out, int rounds, struct srerr *e)
{
	struct ndj_reader *rd = ndj_reader_new_fp(stdin, NULL, NULL, e);
	double last = -1;
	int rc, started = 0;
	jv rec;

	if (!rd)
		return -1;
	while ((rc = ndj_next(rd, &rec, e)) == 1) {
		double n = round_of(rec);
		if (rounds && started && n != last && probe_output_round_end(out, e) < 0) {
			jv_free(rec);
			rc = -1;
			break;
		}
		started = 1;
		last = n;
		if ((rc = probe_output_record(out, rec, e)) < 0)
			break;
	}
	ndj_reader_free(rd);
	if (rc == 0 && rounds && started && probe_output_round_end(out, e) < 0)
		rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct probe_output_opts po = { .warn_latency_ms = -1, .max_latency_ms = -1 };
	struct probe_output *out;
	struct srerr e, fe;
	int rounds = 0, code = CLI_TROUBLE, failed;

	cli_init(&c, "probe-format", USAGE,
		 CLI_FMT_NDJSON | CLI_FMT_JSON | CLI_FMT_TEXT | CLI_FMT_PROMETHEUS |
		 CLI_FMT_NAGIOS | CLI_FMT_JUNIT | CLI_FMT_MARKDOWN);
	parse_options(&c, argc, argv, &po, &rounds);
	if (!(out = probe_output_new(&po, &e)))
		cli_die_srerr(CLI_TROUBLE, &e);
	failed = feed(out, rounds, &e) < 0;
	if (probe_output_finish(out, &code, &fe) < 0 && !failed) {
		e = fe;
		failed = 1;
	}
	probe_output_free(out);
	if (failed)
		cli_die_srerr(CLI_TROUBLE, &e);
	return code;
}
