/*
 * backup-verify: prove a backup is complete, intact, fresh and restorable
 * (man 1 backup-verify).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "settings.h"
#include "banned.h"

#define USAGE \
	"backup-verify [check] [options] BACKUP...\n" \
	"backup-verify manifest [--format ndjson|json|sha256sum] [options] BACKUP"

#define HELP \
	"\nBACKUP is an archive (tar, cpio, zip, 7z; raw or gzip, bzip2, xz, zstd, lz4)\n" \
	"or a directory.\n\n" \
	"Check:\n" \
	"  --name NAME  --manifest FILE  --ignore REGEX\n" \
	"  --max-age D  --age-from archive|entries  --min-size SIZE\n" \
	"  --history FILE  --history-count N (7)  --tolerance PCT (50%)\n" \
	"Restore test:\n" \
	"  --restore-test  --restore-dir DIR  --keep  --validate CMD\n" \
	"  --validate-timeout D (10m)\n" \
	"Limits:\n" \
	"  --max-bytes SIZE  --max-entries N  --max-ratio N\n" \
	"Output:\n" \
	"  -o, --format ndjson|json|text  --progress\n" \
	"  -q, --quiet  -v, --verbose  -h, --help  --version\n" \
	"Manifest:\n" \
	"  --format ndjson|json|sha256sum  --ignore REGEX  the limits  --progress\n"

#define CHECK_FORMATS (CLI_FMT_NDJSON | CLI_FMT_JSON | CLI_FMT_TEXT)
#define LISTING_FORMATS (CLI_FMT_NDJSON | CLI_FMT_JSON)

#define LIMIT_OPTS \
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES }, \
	{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES }, \
	{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO }, \
	{ "progress", no_argument, NULL, OPT_PROGRESS }, \
	{ "ignore", required_argument, NULL, OPT_IGNORE }

static const struct option check_opts[] = {
	CLI_LONGOPTS,
	LIMIT_OPTS,
	{ "name", required_argument, NULL, OPT_NAME },
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "restore-test", no_argument, NULL, OPT_RESTORE_TEST },
	{ "restore-dir", required_argument, NULL, OPT_RESTORE_DIR },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "validate", required_argument, NULL, OPT_VALIDATE },
	{ "validate-timeout", required_argument, NULL, OPT_VALIDATE_TIMEOUT },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "age-from", required_argument, NULL, OPT_AGE_FROM },
	{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "history-count", required_argument, NULL, OPT_HISTORY_COUNT },
	{ "tolerance", required_argument, NULL, OPT_TOLERANCE },
	{ NULL, 0, NULL, 0 },
};

/* "--format" of manifest takes sha256sum too, so it comes before CLI_LONGOPTS' own
   (getopt_long takes the first exact match); -o still means cli's -o. */
static const struct option listing_opts[] = {
	{ "format", required_argument, NULL, OPT_MANIFEST_FORMAT },
	CLI_LONGOPTS,
	LIMIT_OPTS,
	{ NULL, 0, NULL, 0 },
};

/* The verb in argv[1], if any: argv then starts at the verb, as if it were argv[0]. */
static enum bv_verb take_verb(int *argc, char ***argv)
{
	if (*argc > 1 && strcmp((*argv)[1], "manifest") == 0) {
		(*argc)--;
		(*argv)++;
		return BV_VERB_MANIFEST;
	}
	if (*argc > 1 && strcmp((*argv)[1], "check") == 0) {
		(*argc)--;
		(*argv)++;
	}
	return BV_VERB_CHECK;
}

static void parse_options(struct cli *c, struct bv_settings *s, int argc, char **argv)
{
	const struct option *opts = s->verb == BV_VERB_MANIFEST ? listing_opts : check_opts;
	struct srerr e;
	int opt;

	while ((opt = cli_getopt(c, argc, argv, "", opts)) != -1)
		if (bv_settings_option(s, opt, optarg, &e) == -1)
			cli_die_srerr(CLI_TROUBLE, &e);
	if (bv_settings_finish(s, c, &e) == -1)
		cli_die_srerr(CLI_TROUBLE, &e);
}

int main(int argc, char **argv)
{
	struct cli c;
	struct bv_settings s;
	enum bv_verb verb = take_verb(&argc, &argv);
	int code;

	cli_init(&c, "backup-verify", USAGE,
		 verb == BV_VERB_MANIFEST ? LISTING_FORMATS : CHECK_FORMATS);
	c.help = HELP;
	bv_settings_init(&s, verb);
	parse_options(&c, &s, argc, argv);
	if (optind >= argc) {
		cli_error("no BACKUP given");
		cli_usage_error(&c);
	}
	if (verb == BV_VERB_MANIFEST) {
		if (argc - optind > 1)
			cli_die(CLI_TROUBLE, "manifest takes one BACKUP");
		code = bv_listing_run(&s, &c, argv[optind]);
	} else {
		cli_resolve_format(&c);
		code = bv_check_run(&s, &c, argv + optind, (size_t)(argc - optind));
	}
	bv_settings_release(&s);
	return code;
}
