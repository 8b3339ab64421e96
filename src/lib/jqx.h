#ifndef SRETOOLS_JQX_H
#define SRETOOLS_JQX_H
/*
 * User jq expressions through libjq 1.6: compile once, run per record.
 *
 * Expressions come from the operator (command line, check files), so they run
 * in-process on local data.  Over data from the network (probe response bodies) use
 * the *_isolated functions: libjq 1.6 aborts or crashes on some programs and data
 * (.[2147483647] = 0, todate on 1e17, out of memory), and there the evaluation runs
 * in a forked child with memory, CPU, wall-clock and output limits, so that such a
 * crash fails that one evaluation and the caller carries on.
 *
 * What an expression can reach:
 *  - No files.  import, include and module directives are refused at compile time
 *    (libjq 1.6 loads a module from any directory named in its {search: ...}
 *    metadata, whatever JQ_LIBRARY_PATH says), the library path is [] anyway, and
 *    ~/.jq is not loaded (libjq 1.6 imports it into every program: jqx_compile
 *    unsets HOME while libjq compiles and sets it back, so $ENV, which libjq
 *    snapshots then, has no HOME; env.HOME, read at run time, has it).
 *  - No inputs: `input` fails (libjq's message is "break"), `inputs` is empty,
 *    input_filename is null, input_line_number fails, and $__loc__ is
 *    {"file":"<top-level>","line":1}.
 *  - The environment: env and $ENV show it (the operator wrote the program).
 *  - `stderr` writes its input to the process's stderr in-process (the operator's
 *    debugging aid); in isolated mode it goes to /dev/null.  `debug` prints nothing.
 *  - `halt` ends the outputs; `halt_error` is an error carrying its input.
 *  - libjq 1.6 quirk: error(null) cannot be told from the end of the outputs.
 *
 * Errors: compile problems have code "jq" and read
 *   invalid jq expression '.foo |': syntax error, unexpected $end at <top-level>, line 1
 * and runtime errors (error("x"), .a.b on a number) have code "jq" and read
 *   error in jq expression '.a.b': Cannot index number with string "b"
 * Isolated runs add the codes "timeout", "memory_limit", "output_limit" and "crashed".
 *
 * jv ownership is libjq's: every function taking a jv consumes it (an invalid input
 * is an error, code "jq"); every jv handed back through an out parameter belongs to
 * the caller.  libjq keeps global state and jqx_compile touches the environment:
 * use jqx from one thread only.
 */
#include <stddef.h>
#include <jq.h>

#include "srerr.h"

struct jqx;

/*
 * Compile expr.  Returns the program, to be freed with jqx_free, or NULL with e
 * filled (code "jq", or "nomem").  Never prints: libjq's messages are captured and
 * collapsed into e's one line.
 */
struct jqx *jqx_compile(const char *expr, struct srerr *e);

/* Free q; q may be NULL. */
void jqx_free(struct jqx *q);

/* The expression q was compiled from (owned by q). */
const char *jqx_expr(const struct jqx *q);

/*
 * Run q on input (consumed) and keep its first output, abandoning the rest.
 * Returns 1 with *out set (the caller owns it), 0 when q has no output, -1 on an
 * error with e filled.  *out is jv_invalid() on 0 and -1 (freeing it is harmless).
 */
int jqx_first(struct jqx *q, jv input, jv *out, struct srerr *e);

/*
 * Run q on input (consumed) and collect every output.  Returns 0 with *out a new
 * array (owned by the caller; [] when there is no output), or -1 on an error with e
 * filled and *out jv_invalid(): an error after some outputs discards them.
 */
int jqx_all(struct jqx *q, jv input, jv *out, struct srerr *e);

/*
 * The verdict of q on input (consumed), by jq's truthiness (false and null are
 * falsy, everything else, 0 and "" included, is truthy): 1 when q has at least one
 * output and every output is truthy, 0 when some output is falsy or there is no
 * output at all, -1 on an error with e filled.  Evaluation stops at the first falsy
 * output, so an error after it is not seen.  Write any(...)/all(...) in the
 * expression for other ways of combining several outputs.
 */
int jqx_truthy(struct jqx *q, jv input, struct srerr *e);

/*
 * Limits of an isolated evaluation.  A zero field takes the default, so a zero
 * struct (or a NULL pointer) means all defaults.
 */
struct jqx_limits {
	size_t memory_bytes;   /* address space the child may map beyond what it
				  inherited from the caller (RLIMIT_AS) */
	unsigned cpu_seconds;  /* RLIMIT_CPU of the child */
	unsigned timeout_ms;   /* wall clock (monotonic), then SIGKILL */
	size_t output_bytes;   /* the outputs serialized as JSON, one line each, plus a
				  few bytes of framing; at most INT_MAX */
};
#define JQX_DEFAULT_MEMORY_BYTES ((size_t)256 << 20)
#define JQX_DEFAULT_CPU_SECONDS  2u
#define JQX_DEFAULT_TIMEOUT_MS   5000u
#define JQX_DEFAULT_OUTPUT_BYTES ((size_t)1 << 20)

/*
 * jqx_first, jqx_all and jqx_truthy evaluated in a forked child under lim.  Same
 * return values and ownership; the outputs come back through JSON, so NaN reads
 * back as null and infinities as +-1.7976931348623157e308, and an output nested deeper than libjq's parser accepts (256
 * levels) is an "output_limit" error.  Besides the "jq" errors of the in-process
 * functions, e may get:
 *   "timeout"       the wall clock or CPU limit ran out (the child was killed)
 *   "memory_limit"  the child could not allocate memory within lim->memory_bytes
 *   "output_limit"  the outputs exceeded lim->output_bytes
 *   "crashed"       the child died of a signal (a libjq crash) or exited oddly
 *   "io"            pipe or fork failed
 * The child is always reaped before these return.  It does not touch the caller's
 * stdio buffers, atexit handlers or descriptors other than its own pipe (stdin,
 * stdout and stderr are /dev/null there), runs none of the caller's signal
 * handlers, and dumps no core.  The caller must not have SIGCHLD set to SIG_IGN or
 * reap children with waitpid(-1) meanwhile (the child could not be waited for).
 */
int jqx_first_isolated(struct jqx *q, jv input, const struct jqx_limits *lim,
		       jv *out, struct srerr *e);
int jqx_all_isolated(struct jqx *q, jv input, const struct jqx_limits *lim,
		     jv *out, struct srerr *e);
int jqx_truthy_isolated(struct jqx *q, jv input, const struct jqx_limits *lim,
			struct srerr *e);

/*
 * jqx_truthy_isolated over raw text, len bytes at text (borrowed; NULL is empty),
 * for data from the network: the caller never parses it.  The child parses it with
 * ndj_parse_value (strict JSON, exactly one value of any type; no jq 1.6 leniency
 * such as NaN or leading zeros) under lim, then evaluates q on it.  Besides the
 * errors of jqx_truthy_isolated, text that is not one JSON value is an error with
 * code "json_parse" and ndj_parse_value's one-line message ("line 1: invalid JSON:
 * ..."); running out of memory while parsing is "memory_limit" and a crash while
 * parsing is "crashed", as during the evaluation.
 */
int jqx_truthy_isolated_text(struct jqx *q, const char *text, size_t len,
			     const struct jqx_limits *lim, struct srerr *e);

#endif
