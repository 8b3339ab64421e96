#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

static const char *progname = "sretools";

static const struct {
	enum cli_format fmt;
	const char *name;
} formats[] = {
	{ CLI_FMT_NDJSON, "ndjson" },
	{ CLI_FMT_JSON, "json" },
	{ CLI_FMT_TEXT, "text" },
	{ CLI_FMT_PROMETHEUS, "prometheus" },
	{ CLI_FMT_NAGIOS, "nagios" },
	{ CLI_FMT_JUNIT, "junit" },
	{ CLI_FMT_MARKDOWN, "markdown" },
	{ CLI_FMT_HTML, "html" },
};

const char *cli_prog(void)
{
	return progname;
}

/*
 * cron and some supervisors start programs with fds 0-2 closed; the first file we
 * open would then become "stdout" and receive our records.
 */
static void reopen_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd == -1)
			_exit(CLI_TROUBLE);
		if (nfd != fd) {
			/* a lower fd was also closed and got it; dup2 fills fd */
			if (dup2(nfd, fd) == -1)
				_exit(CLI_TROUBLE);
			close(nfd);
		}
	}
}

static void check_stdout_at_exit(void)
{
	cli_flush_stdout();
	/* close to see errors that only a close reports (NFS, some FUSE) */
	if (fclose(stdout) != 0 && errno != EBADF)
		cli_stdout_failed(errno);
}

void cli_init(struct cli *c, const char *prog, const char *usage, unsigned fmts)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->usage = usage;
	c->formats = fmts;
	progname = prog;
	reopen_std_fds();
	signal(SIGPIPE, SIG_IGN);
	atexit(check_stdout_at_exit);
}

int cli_parse_format(const char *name, unsigned allowed, enum cli_format *out, struct srerr *e)
{
	char list[128] = "";
	size_t used = 0;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!(allowed & formats[i].fmt))
			continue;
		if (strcmp(name, formats[i].name) == 0) {
			*out = formats[i].fmt;
			return 0;
		}
		int n = snprintf(list + used, sizeof(list) - used, "%s%s",
				 used ? ", " : "", formats[i].name);
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	srerr_set(e, "usage", "invalid --format '%s': expected one of %s", name, list);
	return -1;
}

const char *cli_format_name(enum cli_format f)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fmt == f)
			return formats[i].name;
	return "auto";
}

void cli_resolve_format(struct cli *c)
{
	if (c->format != CLI_FMT_AUTO)
		return;
	if (isatty(STDOUT_FILENO) && (c->formats & CLI_FMT_TEXT))
		c->format = CLI_FMT_TEXT;
	else
		c->format = CLI_FMT_NDJSON;
}

int cli_use_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (term && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(STDOUT_FILENO);
}

void cli_usage(const struct cli *c, FILE *fp)
{
	const char *line = c->usage;
	int first = 1;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);
		fprintf(fp, "%s%.*s\n", first ? "usage: " : "       ", len, line);
		first = 0;
		line = nl ? nl + 1 : line + len;
	}
}

/* A usage error's exit: CLI_TROUBLE, or for a Nagios plugin run its UNKNOWN status. */
__attribute__((noreturn)) static void exit_usage(const struct cli *c, const char *msg)
{
	if (c->nagios_service) {
		char line[512];

		snprintf(line, sizeof(line), "%s", msg);
		for (char *p = line; *p; p++)   /* '|' would start the perfdata */
			if (*p == '|' || *p == '\n')
				*p = '/';
		printf("%s UNKNOWN - %s\n", c->nagios_service, line);
		exit(CLI_NAGIOS_UNKNOWN);
	}
	exit(CLI_TROUBLE);
}

void cli_usage_error(const struct cli *c)
{
	cli_usage(c, stderr);
	exit_usage(c, "usage error");
}

__attribute__((noreturn)) static void print_help(const struct cli *c)
{
	cli_usage(c, stdout);
	if (c->help)
		fputs(c->help, stdout);
	exit(CLI_OK);
}

int cli_common_opt(struct cli *c, int opt, const char *arg)
{
	struct srerr e;

	switch (opt) {
	case 'h':
		print_help(c);
	case CLI_OPT_VERSION:
		printf("%s (sretools) %s\n", c->prog, SRETOOLS_VERSION);
		exit(CLI_OK);
	case 'o':
		if (cli_parse_format(arg, c->formats, &c->format, &e) == -1) {
			cli_error("%s", e.msg);
			exit_usage(c, e.msg);
		}
		return 1;
	case 'q':
		c->quiet = 1;
		c->verbose = 0;
		return 1;
	case 'v':
		c->verbose++;
		c->quiet = 0;
		return 1;
	default:
		return 0;
	}
}

__attribute__((format(printf, 2, 0)))
static void vdiag(const char *kind, const char *fmt, va_list ap)
{
	/* one write per line, so that concurrent writers to a shared stderr do not interleave */
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "%s: %s", progname, kind);

	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", buf);
	fflush(stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag("error: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	if (c && c->quiet)
		return;
	va_start(ap, fmt);
	vdiag("warning: ", fmt, ap);
	va_end(ap);
}

void cli_info(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	if (!c || !c->verbose)
		return;
	va_start(ap, fmt);
	vdiag("", fmt, ap);
	va_end(ap);
}

void cli_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag("error: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void cli_die_srerr(int code, const struct srerr *e)
{
	cli_die(code, "%s", e && e->msg[0] ? e->msg : "unknown error");
}

void cli_stdout_failed(int errnum)
{
	if (errnum == EPIPE) {
		/* the reader went away: end as `yes | head` does, by the signal, silently */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	fprintf(stderr, "%s: error: write error on standard output: %s\n",
		progname, strerror(errnum));
	_exit(CLI_TROUBLE);
}

void cli_flush_stdout(void)
{
	errno = 0;
	if (fflush(stdout) == 0) {
		if (!ferror(stdout))
			return;
		errno = EIO;   /* an earlier buffered write failed; its errno is gone */
	}
	cli_stdout_failed(errno ? errno : EIO);
}

/* The option as the user typed it, for "unknown option" messages. */
static const char *offending_option(char *const argv[], int argc)
{
	int i = optind - 1;

	if (i >= 1 && i < argc && argv[i])
		return argv[i];
	return "?";
}

__attribute__((noreturn))
static void bad_option(const struct cli *c, int argc, char *const argv[], int missing_arg)
{
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *name = optopt > 0 && optopt < 0x100 ? shortopt : offending_option(argv, argc);
	char msg[256];

	if (missing_arg)
		snprintf(msg, sizeof(msg), "option '%s' requires an argument", name);
	else
		snprintf(msg, sizeof(msg), "unknown option '%s'", name);
	cli_error("%s", msg);
	cli_usage(c, stderr);
	exit_usage(c, msg);
}

int cli_getopt(struct cli *c, int argc, char *const argv[], const char *shortopts,
	       const struct option *longopts)
{
	char spec[128];
	int opt;

	snprintf(spec, sizeof(spec), ":%s%s", CLI_SHORTOPTS, shortopts ? shortopts : "");
	opterr = 0;
	for (;;) {
		optopt = 0;
		opt = getopt_long(argc, argv, spec, longopts, NULL);
		if (opt == '?' || opt == ':')
			bad_option(c, argc, argv, opt == ':');
		if (opt == -1 || !cli_common_opt(c, opt, optarg))
			return opt;
	}
}
