/*
 * probe: health checks and synthetic monitoring as an NDJSON stream (man 1 probe).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "output.h"
#include "settings.h"
#include "banned.h"

#define USAGE \
	"probe [options] URL... [--exec CMD]... [-f FILE]...\n" \
	"probe --every DURATION [--count N] [options] TARGET...\n" \
	"probe --wait DURATION [options] TARGET... [-- COMMAND [ARG...]]"

#define HELP \
	"\nTargets: http:// https:// URLs, tcp://HOST:PORT, tls://HOST[:PORT], dns://NAME,\n" \
	"--exec CMD, and -f, --file FILE (NDJSON specs, - for stdin).\n\n" \
	"Request:\n" \
	"  -X, --method M          -H, --header 'Name: value' | @env:VAR\n" \
	"  -d, --data TEXT|@FILE   --timeout D (5s)   --connect-timeout D\n" \
	"  -4, --ipv4  -6, --ipv6  --resolve HOST:PORT:ADDR  --cacert FILE  --cert FILE\n" \
	"  --key FILE  --insecure  --follow  --proxy URL  --max-body SIZE (1M)\n" \
	"Checks:\n" \
	"  --expect-status LIST (200-399)  --expect-body REGEX  --expect-json EXPR\n" \
	"  --expect-header 'Name: REGEX'  --max-latency D  --cert-min-days N\n" \
	"  --warn-latency D  --warn-cert-days N  --strict\n" \
	"Runs:\n" \
	"  --retries N  --retry-delay D (1s)  --every D  --count N  --wait D  --parallel N (32)\n" \
	"  --secret NAME[=VALUE] (use as {{NAME}})\n" \
	"Output:\n" \
	"  -o, --format ndjson|json|text|prometheus|nagios|junit  --textfile PATH  --push URL\n" \
	"  -q, --quiet  -v, --verbose  -h, --help  --version\n"

#define FORMATS (CLI_FMT_NDJSON | CLI_FMT_JSON | CLI_FMT_TEXT | CLI_FMT_PROMETHEUS | \
		 CLI_FMT_NAGIOS | CLI_FMT_JUNIT)

static const struct option longopts[] = {
	CLI_LONGOPTS,
	{ "method", required_argument, NULL, 'X' },
	{ "header", required_argument, NULL, 'H' },
	{ "data", required_argument, NULL, 'd' },
	{ "file", required_argument, NULL, 'f' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "resolve", required_argument, NULL, OPT_RESOLVE },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "proxy", required_argument, NULL, OPT_PROXY },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "expect-status", required_argument, NULL, OPT_EXPECT_STATUS },
	{ "expect-body", required_argument, NULL, OPT_EXPECT_BODY },
	{ "expect-json", required_argument, NULL, OPT_EXPECT_JSON },
	{ "expect-header", required_argument, NULL, OPT_EXPECT_HEADER },
	{ "max-latency", required_argument, NULL, OPT_MAX_LATENCY },
	{ "cert-min-days", required_argument, NULL, OPT_CERT_MIN_DAYS },
	{ "warn-latency", required_argument, NULL, OPT_WARN_LATENCY },
	{ "warn-cert-days", required_argument, NULL, OPT_WARN_CERT_DAYS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "push", required_argument, NULL, OPT_PUSH },
	{ NULL, 0, NULL, 0 },
};

#define DIE_MAX 1024        /* an error message is cut here, after redaction */
#define NAGIOS_UNKNOWN 3

/* -o nagios: an error is a plugin result too (UNKNOWN), so it needs a status line */
static int nagios_mode;

/*
 * Whether the command line asks for -o nagios, before getopt has parsed it: an error
 * in an option before or after -o must already speak Nagios.  The last -o wins, as
 * in getopt; "--" ends the options.
 */
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

/*
 * An error with the secrets masked, then exit.  The whole message is redacted before
 * it is cut to DIE_MAX, so a cut can never split a secret.  With -o nagios it is also
 * the plugin's status line on stdout, "PROBE UNKNOWN - MESSAGE", and the exit is 3.
 */
__attribute__((noreturn))
static void die(const struct probe_settings *s, int code, const struct srerr *e)
{
	char *redacted = secret_redact(s->secrets, e->msg), shown[DIE_MAX];

	snprintf(shown, sizeof(shown), "%s", redacted);
	free(redacted);
	if (nagios_mode) {
		/* '|' would start the perfdata */
		for (char *p = shown; *p; p++)
			if (*p == '|' || *p == '\n')
				*p = '/';
		printf("PROBE UNKNOWN - %s\n", shown);
		code = NAGIOS_UNKNOWN;
	}
	cli_die(code, "%s", shown);
}

/*
 * The options.  getopt permutes operands, so the end of options "--" is found by
 * pointer: the first "--" element that was not an option's argument.  What follows
 * it stays in place at the end of argv; returns how many elements that is.
 */
static int parse_options(struct cli *c, struct probe_settings *s, int argc, char **argv)
{
	const char *dashes[64];
	int at[64];
	size_t ndashes = 0, consumed = 0;
	int opt;
	struct srerr e;

	for (int i = 1; i < argc && ndashes < 64; i++)
		if (strcmp(argv[i], "--") == 0) {
			at[ndashes] = i;
			dashes[ndashes++] = argv[i];
		}
	while ((opt = cli_getopt(c, argc, argv, "X:H:d:f:46", longopts)) != -1) {
		for (size_t i = consumed; i < ndashes; i++)
			if (optarg == dashes[i])
				consumed = i + 1;
		if (settings_option(s, opt, optarg, &e) == -1)
			die(s, CLI_TROUBLE, &e);
	}
	return consumed < ndashes ? argc - 1 - at[consumed] : 0;
}

static struct probe_output *make_output(const struct cli *c, const struct probe_settings *s)
{
	struct probe_output_opts oo;
	struct probe_output *out;
	struct srerr e;

	memset(&oo, 0, sizeof(oo));
	oo.format = c->format;
	oo.color = cli_use_color();
	oo.streaming = s->every_ms > 0 && s->wait_ms == 0;
	oo.textfile = s->textfile;
	oo.push_url = s->push_url;
	oo.strict = s->strict;
	oo.warn_latency_ms = (double)s->tmpl.checks.warn_latency_ms;
	oo.max_latency_ms = (double)s->tmpl.checks.max_latency_ms;
	if (!(out = probe_output_new(&oo, &e)))
		die(s, CLI_TROUBLE, &e);
	return out;
}

/* --wait ... -- CMD ARGS: every target is ok, so CMD replaces probe. */
__attribute__((noreturn)) static void run_command(char *const *cmd)
{
	cli_flush_stdout();
	execvp(cmd[0], cmd);
	cli_die(errno == ENOENT ? 127 : 126, "cannot run '%s': %s", cmd[0], strerror(errno));
}

static int run(const struct cli *c, struct probe_settings *s, const struct target_list *l)
{
	struct probe_output *out = make_output(c, s);
	struct engine_opts eo = { s->parallel, s->every_ms, s->count, s->wait_ms, s->strict,
				  s->secrets, c };
	struct srerr e;
	int status = engine_run(&eo, l, out, &e), code = CLI_TROUBLE;

	if (status == -1) {
		probe_output_free(out);
		die(s, CLI_TROUBLE, &e);
	}
	if (probe_output_finish(out, &code, &e) == -1) {
		probe_output_free(out);
		die(s, CLI_TROUBLE, &e);
	}
	probe_output_free(out);
	if (s->wait_ms && status != ENGINE_OK && code == CLI_OK)
		code = CLI_PROBLEM;
	return code;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct probe_settings s;
	struct target_list targets = { 0 };
	struct srerr e;
	char *const *cmd = NULL;
	int after, code;

	cli_init(&c, "probe", USAGE, FORMATS);
	c.help = HELP;
	settings_init(&s);
	nagios_mode = wants_nagios(argc, argv);
	c.nagios_service = nagios_mode ? "PROBE" : NULL;
	after = parse_options(&c, &s, argc, argv);
	nagios_mode = c.format == CLI_FMT_NAGIOS;
	if (s.wait_ms && after > 0) {
		cmd = argv + argc - after;
		argc -= after;
	}
	cli_resolve_format(&c);
	if (settings_finish(&s, &e) == -1 ||
	    settings_targets(&s, argv + optind, (size_t)(argc - optind), &targets, &e) == -1)
		die(&s, CLI_TROUBLE, &e);
	code = run(&c, &s, &targets);
	target_list_release(&targets);
	settings_release(&s);
	if (cmd && code == CLI_OK)
		run_command(cmd);
	return code;
}
