/*
 * fsx-tool: the src/lib/fsx functions as a command, for tests/lib-fsx.bats.
 *
 *	fsx-tool replace [--mode OCTAL] [--chunk N] [--stdio] PATH < DATA   streaming form
 *	fsx-tool write [--mode OCTAL] PATH < DATA                          one-shot form
 *	fsx-tool append [--chunk N] [--count N] PATH RECORD     appends RECORD and "\n"
 *	fsx-tool read-ledger PATH           the complete records of PATH on stdout
 *	fsx-tool valid-len PATH             length of PATH's complete records
 *	fsx-tool lock [--wait] [--hold SECONDS] PATH   prints "locked", holds, exits
 *	fsx-tool swap TARGET LINK
 *	fsx-tool mktemp [--parent DIR] [PREFIX]
 *	fsx-tool rmtree PATH
 *	fsx-tool clean-stale PATH | --dir DIR   prints the number of files removed
 *
 * --chunk N caps every write(2) of the library at N bytes, so that a kill -9 can land
 * between two writes of one file or record.  Errors: "fsx-tool: error: MSG", exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsx.h"
#include "srerr.h"
#include "banned.h"

struct opts {
	int mode;
	int stdio;
	int wait;
	long count;
	long hold;
	const char *parent;
	const char *dir;
};

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("fsx-tool: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

__attribute__((noreturn)) static void die_e(const struct srerr *e)
{
	die("%s", e->msg);
}

static long number(const char *s, const char *what, int base)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	if (errno || end == s || *end || v < 0)
		die("invalid %s '%s'", what, s);
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "stdio", no_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'w' },
		{ "hold", required_argument, NULL, 'h' },
		{ "parent", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->mode = FSX_MODE_KEEP;
	o->count = 1;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->mode = (int)number(optarg, "--mode", 8); break;
		case 'c': fsx_set_write_chunk((size_t)number(optarg, "--chunk", 10)); break;
		case 's': o->stdio = 1; break;
		case 'n': o->count = number(optarg, "--count", 10); break;
		case 'w': o->wait = 1; break;
		case 'h': o->hold = number(optarg, "--hold", 10); break;
		case 'p': o->parent = optarg; break;
		case 'd': o->dir = optarg; break;
		default: die("invalid option for '%s'", argv[0]);
		}
	}
}

static void need_args(int have, int want, const char *cmd)
{
	if (have != want)
		die("'%s' takes %d operand%s", cmd, want, want == 1 ? "" : "s");
}

static int cmd_replace(char **args, const struct opts *o)
{
	static char buf[65536];
	struct srerr e;
	struct fsx_atomic *a = fsx_atomic_open(args[0], o->mode, &e);
	size_t n;

	if (!a || (o->stdio && !fsx_atomic_stdio(a, &e)))
		die_e(&e);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fsx_atomic_write(a, buf, n, &e) < 0) {
			fsx_atomic_abort(a);
			die_e(&e);
		}
	if (ferror(stdin)) {
		fsx_atomic_abort(a);
		die("cannot read standard input");
	}
	if (fsx_atomic_commit(a, &e) < 0)
		die_e(&e);
	return 0;
}

static int cmd_write(char **args, const struct opts *o)
{
	static char buf[65536];
	char *all = NULL;
	size_t len = 0, n;
	struct srerr e;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
		char *grown = realloc(all, len + n);

		if (!grown)
			die("out of memory");
		all = grown;
		memcpy(all + len, buf, n);
		len += n;
	}
	if (fsx_write_file(args[0], all ? all : "", len, o->mode, &e) < 0)
		die_e(&e);
	free(all);
	return 0;
}

static int cmd_append(char **args, const struct opts *o)
{
	size_t len = strlen(args[1]);
	char *rec = malloc(len + 2);
	struct srerr e;
	long i;

	if (!rec)
		die("out of memory");
	memcpy(rec, args[1], len);
	rec[len] = '\n';
	rec[len + 1] = '\0';
	for (i = 0; i < o->count; i++)
		if (fsx_append(args[0], rec, len + 1, &e) < 0)
			die_e(&e);
	free(rec);
	return 0;
}

static int cmd_read_ledger(char **args, const struct opts *o)
{
	struct srerr e;
	char *buf;
	size_t len;

	(void)o;
	if (fsx_ledger_read(args[0], SIZE_MAX, &buf, &len, &e) < 0)
		die_e(&e);
	if (fwrite(buf, 1, len, stdout) != len)
		die("cannot write standard output");
	free(buf);
	return 0;
}

static int cmd_valid_len(char **args, const struct opts *o)
{
	struct srerr e;
	FILE *f = fopen(args[0], "re");
	off_t n;

	(void)o;
	if (!f)
		die("cannot open '%s': %s", args[0], strerror(errno));
	n = fsx_ledger_valid_len(fileno(f), args[0], &e);
	fclose(f);
	if (n < 0)
		die_e(&e);
	printf("%lld\n", (long long)n);
	return 0;
}

static int cmd_lock(char **args, const struct opts *o)
{
	struct fsx_lock lk = FSX_LOCK_INIT;
	struct srerr e;
	long left;

	if (fsx_lock_acquire(&lk, args[0], o->wait ? FSX_LOCK_WAIT : FSX_LOCK_NOWAIT, &e) < 0)
		die_e(&e);
	printf("locked\n");
	fflush(stdout);
	for (left = o->hold; left > 0; left--)
		sleep(1);
	fsx_lock_release(&lk);
	return 0;
}

static int cmd_swap(char **args, const struct opts *o)
{
	struct srerr e;

	(void)o;
	if (fsx_symlink_swap(args[0], args[1], &e) < 0)
		die_e(&e);
	return 0;
}

static int cmd_rmtree(char **args, const struct opts *o)
{
	struct srerr e;

	(void)o;
	if (fsx_remove_tree(args[0], &e) < 0)
		die_e(&e);
	return 0;
}

static int run_mktemp(int nargs, char **args, const struct opts *o)
{
	struct srerr e;
	char *p;

	if (nargs > 1)
		die("'mktemp' takes at most one operand");
	p = fsx_mkdtemp(o->parent, nargs ? args[0] : "test", &e);
	if (!p)
		die_e(&e);
	printf("%s\n", p);
	free(p);
	return 0;
}

static int run_clean_stale(int nargs, char **args, const struct opts *o)
{
	struct srerr e;
	int n;

	need_args(nargs, o->dir ? 0 : 1, "clean-stale");
	n = o->dir ? fsx_clean_stale_dir(o->dir, &e) : fsx_clean_stale(args[0], &e);
	if (n < 0)
		die_e(&e);
	printf("%d\n", n);
	return 0;
}

static const struct command {
	const char *name;
	int nargs;
	int (*run)(char **args, const struct opts *o);
} commands[] = {
	{ "replace", 1, cmd_replace },
	{ "write", 1, cmd_write },
	{ "append", 2, cmd_append },
	{ "read-ledger", 1, cmd_read_ledger },
	{ "valid-len", 1, cmd_valid_len },
	{ "lock", 1, cmd_lock },
	{ "swap", 2, cmd_swap },
	{ "rmtree", 1, cmd_rmtree },
};

int main(int argc, char **argv)
{
	const char *cmd;
	struct opts o;
	size_t i;

	if (argc < 2)
		die("usage: fsx-tool COMMAND [OPTIONS] ARGS (see tests/helpers/fsx-tool.c)");
	cmd = argv[1];
	opterr = 0;
	parse_opts(argc - 1, argv + 1, &o);
	argc -= 1 + optind;
	argv += 1 + optind;
	if (!strcmp(cmd, "mktemp"))
		return run_mktemp(argc, argv, &o);
	if (!strcmp(cmd, "clean-stale"))
		return run_clean_stale(argc, argv, &o);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name)) {
			need_args(argc, commands[i].nargs, cmd);
			return commands[i].run(argv, &o);
		}
	die("unknown command '%s'", cmd);
}
