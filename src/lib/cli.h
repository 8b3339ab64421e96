#ifndef SRETOOLS_CLI_H
#define SRETOOLS_CLI_H
/*
 * What every sretools command shares on its command line and at its edges:
 * the common options (-h/--help, --version, -o/--format, -q, -v), the output-format
 * choice, the exit codes, "prog: error: ..." diagnostics, standard descriptors that
 * cron may have closed, and stdout write errors (a closed pipe ends the command as
 * quietly as `yes | head`; a full disk exits CLI_TROUBLE).
 *
 * A command's main():
 *	struct cli c;
 *	cli_init(&c, "probe", USAGE, CLI_FMT_NDJSON | CLI_FMT_JSON | CLI_FMT_TEXT);
 *	while ((opt = cli_getopt(&c, argc, argv, "X:H:", longopts)) != -1)
 *		switch (opt) { ... only the command's own options ... }
 *	cli_resolve_format(&c);
 * with longopts starting with CLI_LONGOPTS.
 */
#include <getopt.h>
#include <stdio.h>

#include "srerr.h"

/* Exit codes, as grep and diff (man 7 sretools, "EXIT STATUS"). */
enum cli_exit {
	CLI_OK = 0,       /* all ok */
	CLI_PROBLEM = 1,  /* ran and found a problem */
	CLI_TROUBLE = 2,  /* usage, malformed input, I/O */
};

/* Nagios plugin codes, used instead under -o nagios. */
enum cli_nagios {
	CLI_NAGIOS_OK = 0,
	CLI_NAGIOS_WARNING = 1,
	CLI_NAGIOS_CRITICAL = 2,
	CLI_NAGIOS_UNKNOWN = 3,
};

/* Output formats; a command passes the set it supports as a bit mask. */
enum cli_format {
	CLI_FMT_AUTO = 0,          /* text on a terminal, ndjson otherwise */
	CLI_FMT_NDJSON = 1u << 0,
	CLI_FMT_JSON = 1u << 1,
	CLI_FMT_TEXT = 1u << 2,
	CLI_FMT_PROMETHEUS = 1u << 3,
	CLI_FMT_NAGIOS = 1u << 4,
	CLI_FMT_JUNIT = 1u << 5,
	CLI_FMT_MARKDOWN = 1u << 6,
	CLI_FMT_HTML = 1u << 7,
};

/* getopt_long codes for the common long-only options. */
enum {
	CLI_OPT_VERSION = 0x1000,
	CLI_OPT_FIRST_FREE = 0x1100,  /* commands number their own long-only options from here */
};

#define CLI_SHORTOPTS "ho:qv"
#define CLI_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, CLI_OPT_VERSION }, \
	{ "format", required_argument, NULL, 'o' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }

struct cli {
	const char *prog;
	const char *usage;      /* the man page's SYNOPSIS, one form per line, no "usage: " */
	const char *help;       /* option summary printed after the usage by --help, or NULL */
	unsigned formats;       /* CLI_FMT_* this command supports */
	enum cli_format format; /* CLI_FMT_AUTO until cli_resolve_format() */
	int quiet;
	int verbose;
	const char *nagios_service;  /* set under -o nagios (e.g. "PROBE"): a usage error is
					also the plugin's "SERVICE UNKNOWN - ..." line on
					stdout, exit CLI_NAGIOS_UNKNOWN */
};

/*
 * Record the program's identity and make its standard descriptors safe: reopen any of
 * fds 0-2 that are closed on /dev/null, ignore SIGPIPE (so that libraries writing to
 * sockets get EPIPE, never a signal), and check stdout for write errors at exit.
 * Must be called first in main().
 */
void cli_init(struct cli *c, const char *prog, const char *usage, unsigned formats);

/* The name diagnostics use; "sretools" before cli_init. */
const char *cli_prog(void);

/*
 * getopt_long with the common options handled inside: returns the command's own option
 * codes (optarg set as usual), -1 at the end.  shortopts lists only the command's own
 * short options; longopts must begin with CLI_LONGOPTS.  An unknown option or a missing
 * argument prints "prog: error: ..." and the usage, and exits CLI_TROUBLE.
 */
int cli_getopt(struct cli *c, int argc, char *const argv[], const char *shortopts,
	       const struct option *longopts);

/*
 * Handle one of the common options from the getopt_long loop: returns 1 if opt was
 * one of them (it may exit: --help and --version print and exit 0, a bad -o exits 2),
 * 0 if it is the command's own, in which case the caller handles it (including '?',
 * for which it should call cli_usage_error()).
 */
int cli_common_opt(struct cli *c, int opt, const char *arg);

/* Parse a --format name against the allowed mask; -1 and e on an unknown or unsupported name. */
int cli_parse_format(const char *name, unsigned allowed, enum cli_format *out, struct srerr *e);
const char *cli_format_name(enum cli_format f);

/* Replace CLI_FMT_AUTO by text when stdout is a terminal (and text is supported), else ndjson. */
void cli_resolve_format(struct cli *c);

/* Whether human output may use colour: stdout is a terminal, NO_COLOR unset, TERM not dumb. */
int cli_use_color(void);

/* Print "usage: <synopsis>" (each line of c->usage) to fp. */
void cli_usage(const struct cli *c, FILE *fp);

/* Print the usage to stderr and exit CLI_TROUBLE (under nagios_service: UNKNOWN, 3);
   for '?' from getopt and bad operands. */
__attribute__((noreturn)) void cli_usage_error(const struct cli *c);

/* Diagnostics on stderr: "prog: error: MSG", "prog: warning: MSG", "prog: MSG" (verbose). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_info(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "prog: error: MSG" and exit with code. */
__attribute__((noreturn)) void cli_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print e's message as an error and exit with code. */
__attribute__((noreturn)) void cli_die_srerr(int code, const struct srerr *e);

/*
 * Flush stdout and act on a write error: a closed pipe ends the process by SIGPIPE,
 * silently, as `yes | head` does; any other error (ENOSPC, EIO) prints
 * "prog: error: write error on standard output: ..." and exits CLI_TROUBLE.
 * Streaming commands call it after each record; cli_init registers it for exit too.
 */
void cli_flush_stdout(void);

/* Act on an errno from a failed stdout write (as cli_flush_stdout does); never returns. */
__attribute__((noreturn)) void cli_stdout_failed(int errnum);

#endif
