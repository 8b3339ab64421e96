/*
 * slo-budget: error budgets, burn rates and deploy gates from event streams or
 * Prometheus (man 1 slo-budget).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "drive.h"
#include "options.h"
#include "output.h"
#include "rules.h"
#include "banned.h"

#define USAGE \
	"slo-budget [check] --objective PERCENT [options] [FILE...]\n" \
	"slo-budget [check] --spec FILE [options] [FILE...]\n" \
	"slo-budget [check] --objective PERCENT --prometheus URL --total-query QUERY\n" \
	"           (--good-query QUERY | --bad-query QUERY) [options]\n" \
	"slo-budget rules --objective PERCENT --total-query QUERY\n" \
	"           (--good-query QUERY | --bad-query QUERY) [--window D] [--name NAME]"

#define HELP \
	"\nSLO:\n" \
	"  --objective PERCENT  --window D (30d) | --calendar week|month|quarter [--tz ZONE]\n" \
	"  --name NAME  --spec FILE  --group-by EXPR  --min-events N (1)\n" \
	"  --method occurrences|timeslices  --timeslice D (1m)  --slice-objective PERCENT\n" \
	"Events (NDJSON files or stdin):\n" \
	"  --time-field PATH (.time)  --good EXPR (.ok)  --latency-field PATH --threshold D\n" \
	"  --counts ({time, good|bad, total} records)  --lenient\n" \
	"Prometheus:\n" \
	"  --prometheus URL  --good-query Q | --bad-query Q  --total-query Q\n" \
	"  --bearer-token-file FILE ($SLO_BUDGET_BEARER_TOKEN)  --basic-auth-file FILE\n" \
	"  --cacert FILE  --insecure  --timeout D (30s)\n" \
	"Run:\n" \
	"  --now TIME  --follow  --report-every D (1m)\n" \
	"  --fail-on exhausted|page|ticket|breach (repeatable)\n" \
	"Output:\n" \
	"  -o, --format ndjson|json|text|prometheus|nagios\n" \
	"  -q, --quiet  -v, --verbose  -h, --help  --version\n"

#define FORMATS (CLI_FMT_NDJSON | CLI_FMT_JSON | CLI_FMT_TEXT | CLI_FMT_PROMETHEUS | \
		 CLI_FMT_NAGIOS)
#define NAGIOS_SERVICE "SLO-BUDGET"

/* -o nagios: trouble is a plugin result too (UNKNOWN), printed as its status line */
static int nagios_mode;

/* Whether the command line asks for -o nagios before getopt has read it, so that an
   error in any option already speaks Nagios.  The last -o wins, as in getopt. */
static int wants_nagios(int argc, char **argv)
{
	const char *name = NULL;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--format"))
			name = i + 1 < argc ? argv[++i] : NULL;
		else if (!strncmp(argv[i], "--format=", 9))
			name = argv[i] + 9;
		else if (!strncmp(argv[i], "-o", 2))
			name = argv[i] + 2;
	}
	return name && !strcmp(name, "nagios");
}

/* Print e and exit with code; under -o nagios as "SLO-BUDGET UNKNOWN - ...", exit 3. */
__attribute__((noreturn)) static void die(int code, const struct srerr *e)
{
	if (nagios_mode) {
		char line[SRERR_MSG_MAX];

		snprintf(line, sizeof(line), "%s", e->msg);
		for (char *p = line; *p; p++)
			if (*p == '|' || *p == '\n')
				*p = '/';
		printf("%s UNKNOWN - %s\n", NAGIOS_SERVICE, line);
		code = CLI_NAGIOS_UNKNOWN;
	}
	cli_die(code, "%s", e->msg);
}

/* The verb, if argv[1] names one: it is taken out of argv. */
static enum options_verb take_verb(int *argc, char ***argv)
{
	enum options_verb verb = VERB_CHECK;

	if (*argc > 1 && (!strcmp((*argv)[1], "check") || !strcmp((*argv)[1], "rules"))) {
		verb = !strcmp((*argv)[1], "rules") ? VERB_RULES : VERB_CHECK;
		(*argv)[1] = (*argv)[0];
		(*argv)++;
		(*argc)--;
	}
	return verb;
}

static void parse_options(struct cli *c, struct options *o, int argc, char **argv)
{
	struct srerr e;
	int opt;

	while ((opt = cli_getopt(c, argc, argv, "", options_long)) != -1) {
		if (opt == '?')
			cli_usage_error(c);
		if (options_set(o, opt, optarg, &e) == -1)
			die(CLI_TROUBLE, &e);
	}
}

static int run_check(const struct cli *c, const struct options *o, char **files, size_t n)
{
	struct output_opts oo = { c->format, o->follow, cli_use_color() };
	struct drive_conf dc = { c, o, (const char *const *)files, n, NULL };
	struct srerr e;
	int problem = 0, nagios = CLI_NAGIOS_UNKNOWN, rc;

	if (!(dc.out = output_new(&oo, &e)))
		die(CLI_TROUBLE, &e);
	rc = o->prometheus ? drive_prometheus(&dc, &problem, &e) : drive_events(&dc, &problem, &e);
	if (rc == -1) {
		output_free(dc.out);
		die(CLI_TROUBLE, &e);
	}
	if (output_finish(dc.out, &nagios, &e) == -1) {
		output_free(dc.out);
		die(CLI_TROUBLE, &e);
	}
	output_free(dc.out);
	if (c->format == CLI_FMT_NAGIOS)
		return nagios;
	return problem ? CLI_PROBLEM : CLI_OK;
}

static int run_rules(const struct cli *c, const struct options *o)
{
	const struct spec_ready *s = &o->slos[0];
	struct srerr e;

	if (c->format != CLI_FMT_AUTO) {
		srerr_set(&e, "usage", "-o does not apply to 'slo-budget rules': it writes YAML");
		die(CLI_TROUBLE, &e);
	}
	if (rules_write(stdout, &s->def, s->good_query, s->total_query, s->bad_query, &e) == -1) {
		if (strcmp(e.code, "io") == 0 && ferror(stdout))
			cli_stdout_failed(errno ? errno : EIO);
		die(CLI_TROUBLE, &e);
	}
	cli_flush_stdout();
	return CLI_OK;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct options o;
	struct srerr e;
	int code;

	cli_init(&c, "slo-budget", USAGE, FORMATS);
	c.help = HELP;
	options_init(&o);
	o.verb = take_verb(&argc, &argv);
	nagios_mode = o.verb == VERB_CHECK && wants_nagios(argc, argv);
	c.nagios_service = nagios_mode ? NAGIOS_SERVICE : NULL;
	parse_options(&c, &o, argc, argv);
	nagios_mode = o.verb == VERB_CHECK && c.format == CLI_FMT_NAGIOS;
	if (options_finish(&o, (size_t)(argc - optind), &e) == -1)
		die(CLI_TROUBLE, &e);
	if (o.verb == VERB_RULES) {
		code = run_rules(&c, &o);
	} else {
		cli_resolve_format(&c);
		code = run_check(&c, &o, argv + optind, (size_t)(argc - optind));
	}
	options_release(&o);
	return code;
}
