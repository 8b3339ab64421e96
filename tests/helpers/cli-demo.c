/*
 * cli-demo: a minimal command built on src/lib/cli, for tests/lib-cli.bats.
 * It prints N demo records in the chosen format, so the shared behaviour
 * (options, format choice, diagnostics, closed fds, stdout errors) is tested
 * through a real binary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

#define USAGE "cli-demo [-qv] [-o format] [--lines n] [--die message] [--warn message]"
#define HELP \
	"  -o, --format FMT  ndjson, json or text (default: text on a terminal)\n" \
	"      --lines N     print N records (default 3)\n"

enum { OPT_LINES = CLI_OPT_FIRST_FREE, OPT_DIE, OPT_WARN };

static void print_line(enum cli_format fmt, long n)
{
	switch (fmt) {
	case CLI_FMT_TEXT:
		printf("line %ld ok\n", n);
		break;
	case CLI_FMT_JSON:
		printf("{\n  \"kind\": \"demo.line\",\n  \"time\": \"1970-01-01T00:00:00.000Z\",\n"
		       "  \"ok\": true,\n  \"n\": %ld\n}\n", n);
		break;
	default:
		printf("{\"kind\":\"demo.line\",\"time\":\"1970-01-01T00:00:00.000Z\",\"ok\":true,\"n\":%ld}\n", n);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPTS,
		{ "lines", required_argument, NULL, OPT_LINES },
		{ "die", required_argument, NULL, OPT_DIE },
		{ "warn", required_argument, NULL, OPT_WARN },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	long lines = 3;
	char *end;
	int opt;

	cli_init(&c, "cli-demo", USAGE, CLI_FMT_NDJSON | CLI_FMT_JSON | CLI_FMT_TEXT);
	c.help = HELP;
	while ((opt = cli_getopt(&c, argc, argv, "", longopts)) != -1) {
		switch (opt) {
		case OPT_LINES:
			lines = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || lines < 0)
				cli_die(CLI_TROUBLE, "invalid --lines '%s': expected a count", optarg);
			break;
		case OPT_DIE:
			cli_die(CLI_TROUBLE, "%s", optarg);
		case OPT_WARN:
			cli_warn(&c, "%s", optarg);
			break;
		default:
			cli_usage_error(&c);
		}
	}
	if (optind != argc)
		cli_usage_error(&c);
	cli_resolve_format(&c);
	cli_info(&c, "printing %ld records as %s", lines, cli_format_name(c.format));
	for (long i = 1; i <= lines; i++)
		print_line(c.format, i);
	return CLI_OK;
}
