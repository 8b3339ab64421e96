#!/usr/bin/env bats
# backup-verify's documentation against the command: the man page (mandoc lint, the
# SYNOPSIS, every option), the bash, zsh and fish completions (every option, values,
# verbs, loading), the JSON Schemas of backup.entry, backup.problem and backup.report
# (valid themselves, and valid for real output of every kind), the sha256sum format
# against the real GNU sha256sum in both directions, and the README section.
bats_require_minimum_version 1.5.0
load helpers/common

MAN="$SRETOOLS_ROOT/man/man1/backup-verify.1"
BASH_COMPLETION="$SRETOOLS_ROOT/completions/bash/backup-verify"
ZSH_COMPLETION="$SRETOOLS_ROOT/completions/zsh/_backup-verify"
FISH_COMPLETION="$SRETOOLS_ROOT/completions/fish/backup-verify.fish"
SCHEMA_DIR="$SRETOOLS_ROOT/share/sretools/schemas"

# the .It lines of the OPTIONS section: where each option is described
man_option_items() {
	sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$MAN" | grep '^\.It Fl '
}

needs_built() {
	command -v backup-verify >/dev/null || skip "backup-verify is not built"
}

needs_jsonschema() {
	if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		[[ -z ${CI:-} ]] || fail "python3-jsonschema is not installed"
		skip "python3-jsonschema is not installed"
	fi
}

# the options of backup-verify --help: every -x and --long-name, one per line
help_options() {
	backup-verify --help | grep -o -- '\(^\|[ ,[]\)--\?[a-zA-Z0-9][a-z0-9-]*' |
		sed 's/^[ ,[]*//' | sort -u
}

# every option word of the bash completion's lists, short and long
bash_options_all() {
	# shellcheck disable=SC1090
	source "$BASH_COMPLETION"
	# shellcheck disable=SC2154,SC2086
	printf '%s\n' $_backup_verify_check_options $_backup_verify_manifest_options | sort -u
}

# complete_bash WORDS...: COMPREPLY for the last word, one per line
complete_bash() {
	# shellcheck disable=SC1090
	source "$BASH_COMPLETION"
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	_backup_verify
	printf '%s\n' "${COMPREPLY[@]}"
}

# validate KIND FILE...: every record of KIND in the files against KIND.schema.json;
# prints "FILE:LINE: message" per error and the number of records checked
validate() {
	/usr/bin/python3 - "$SCHEMA_DIR" "$@" <<-'EOF'
		import json, pathlib, sys, warnings, jsonschema
		warnings.simplefilter("ignore", DeprecationWarning)
		d = pathlib.Path(sys.argv[1]).resolve()
		kind = sys.argv[2]
		s = json.loads((d / f"{kind}.schema.json").read_text(encoding="utf-8"))
		resolver = jsonschema.RefResolver(base_uri=(d / f"{kind}.schema.json").as_uri(), referrer=s)
		v = jsonschema.Draft202012Validator(s, resolver=resolver)
		n = 0
		for path in sys.argv[3:]:
		    for i, line in enumerate(open(path, encoding="utf-8"), 1):
		        rec = json.loads(line)
		        if rec.get("kind") != kind:
		            continue
		        n += 1
		        for e in v.iter_errors(rec):
		            print(f"{path}:{i}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
		print(f"{n} records")
	EOF
}

# a tree with a bit of everything: files, a directory, a symlink, a hardlink, a FIFO,
# and names with a space, a backslash and a newline
make_tree() {
	local d=$1
	mkdir -p "$d/sub/deeper"
	printf 'hello\n' >"$d/a.txt"
	printf 'with space' >"$d/sub/a b"
	printf 'back\\slash' >"$d/sub/back\\slash"
	printf 'new\nline' >"$d/sub/new"$'\n'"line"
	printf 'x' >"$d/sub/deeper/x"
	head -c 100000 /dev/zero >"$d/zeros"
	ln -s a.txt "$d/link"
	ln "$d/a.txt" "$d/hard"
	mkfifo "$d/fifo"
}

# ---- man page ------------------------------------------------------------------------

@test "man: backup-verify.1 passes mandoc -Tlint and documents every option the completions offer" {
	needs mandoc mandoc
	run -0 mandoc -Tlint -W warning "$MAN"
	assert_output ""
	local opt missing=()
	while IFS= read -r opt; do
		man_option_items | grep -q -- "Fl ${opt#-}\( \|$\)" || missing+=("$opt")
	done < <(bash_options_all)
	assert_equal "${missing[*]}" ""
	[ "$(bash_options_all | grep -c '^--')" -ge 23 ]
}

@test "man: the SYNOPSIS is the usage of backup-verify --help, as mandoc renders it" {
	needs mandoc mandoc
	needs_built
	local synopsis usage
	synopsis=$(mandoc -Tascii "$MAN" | sed 's/.\x08//g' |
		sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p}' | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
	usage=$(backup-verify --help | sed -n '1,/^$/p' | sed 's/^usage://' | tr -s ' \n' ' ' |
		sed 's/^ //; s/ $//')
	[ -n "$usage" ]
	assert_equal "$synopsis" "$usage"
}

@test "man: the sections every sretools page has, and the examples use real options" {
	local s
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS RECORDS 'OUTPUT FORMATS' ENVIRONMENT \
		'EXIT STATUS' EXAMPLES DIAGNOSTICS 'SEE ALSO'; do
		grep -qx "\.Sh $s" "$MAN" || fail "no section $s"
	done
	needs_built
	local opt missing=() opts
	opts=$(help_options)
	# every --option written in an example block of the man page and of the README,
	# but those of other commands (sha256sum, tar, find, jq)
	while IFS= read -r opt; do
		grep -qx -- "$opt" <<<"$opts" || missing+=("$opt")
	done < <({
		sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$MAN" | sed -n '/^\.Bd/,/^\.Ed/p'
		sed -n '/^## backup-verify/,/^## /p' "$SRETOOLS_ROOT/README.md" | sed -n '/^```/,/^```/p'
	} | grep -v '^ *\(tar\|sha256sum\|jq\|find\|(cd\) ' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
	assert_equal "${missing[*]}" ""
}

@test "man: the defaults and names it states are those of the command" {
	needs_built
	local h
	h=$(backup-verify --help)
	grep -q -- '--history-count N (7)' <<<"$h"
	grep -q -- '--tolerance PCT (50%)' <<<"$h"
	grep -q -- '--validate-timeout D (10m)' <<<"$h"
	grep -q '^\.Pq default 7, at most 1000 \.$' "$MAN"
	grep -q '^\.Pq default 50% \.$' "$MAN"
	grep -q '^\.Pq default 10m \.$' "$MAN"
	# the problem codes the man page lists are those of the schema
	local codes schema_codes
	codes=$(sed -n '/^\.Ss backup.problem/,/^\.Ss backup.report/p' "$MAN" |
		grep '^\.It Cm [a-z_]* ,\|^\.It Cm [a-z_]*$' | grep -v 'Cm name\|Cm path\|Cm problem$\|Cm expected\|Cm message' |
		sed 's/^\.It Cm //; s/ , /\n/g' | grep -v '^restore_$' | sort)
	schema_codes=$(jq -r '.properties.problem.enum[]' "$SCHEMA_DIR/backup.problem.schema.json" |
		grep -v '^restore_[a-z]*_' | grep -v '^restore_missing$\|^restore_extra$' | sort)
	assert_equal "$codes" "$schema_codes"
}

@test "every option of backup-verify --help is in the man page and all three completions" {
	needs_built
	local opt missing=() opts
	opts=$(help_options)
	[ "$(wc -l <<<"$opts")" -ge 27 ]
	while IFS= read -r opt; do
		man_option_items | grep -q -- "Fl ${opt#-}\( \|$\)" || missing+=("man:$opt")
		bash_options_all | grep -qx -- "$opt" || missing+=("bash:$opt")
		# a zsh spec: '(excl)--opt=[...]', '*--opt=[', {-o+,--opt=}'[...]'
		grep -q -- "[{'\",*)]${opt}[=+[},]" "$ZSH_COMPLETION" || missing+=("zsh:$opt")
		if [[ $opt == --* ]]; then
			grep -q -- "-l ${opt#--}\( \|$\)" "$FISH_COMPLETION" || missing+=("fish:$opt")
		else
			grep -q -- "-s ${opt#-}\( \|$\)" "$FISH_COMPLETION" || missing+=("fish:$opt")
		fi
	done <<<"$opts"
	assert_equal "${missing[*]}" ""
	# and nothing the command does not know
	while IFS= read -r opt; do
		grep -qx -- "$opt" <<<"$opts" || missing+=("$opt")
	done < <(bash_options_all)
	assert_equal "${missing[*]}" ""
}

@test "the completions offer manifest only what manifest accepts" {
	needs_built
	local opt bad=()
	mkdir "$BATS_TEST_TMPDIR/d"
	# shellcheck disable=SC1090
	source "$BASH_COMPLETION"
	# shellcheck disable=SC2154
	for opt in $_backup_verify_manifest_options; do
		case $opt in -h | --help | --version) continue ;; esac
		local arg=()
		case $opt in
		--format | -o) arg=(ndjson) ;;
		--ignore) arg=(x) ;;
		--max-bytes | --max-entries) arg=(10G) ;;
		--max-ratio) arg=(100) ;;
		esac
		[[ $opt == --max-entries ]] && arg=(1000)
		backup-verify manifest "$opt" "${arg[@]}" "$BATS_TEST_TMPDIR/d" >/dev/null 2>&1 ||
			bad+=("$opt")
	done
	assert_equal "${bad[*]}" ""
	# and the check options are refused there
	run -2 --separate-stderr backup-verify manifest --name x "$BATS_TEST_TMPDIR/d"
}

# ---- completions ---------------------------------------------------------------------

@test "bash completion: options, values, verbs and files" {
	run -0 complete_bash backup-verify --age
	assert_output "--age-from"
	run -0 complete_bash backup-verify --age-from ""
	assert_output "$(printf '%s\n' archive entries)"
	run -0 complete_bash backup-verify -o ""
	assert_output "$(printf '%s\n' ndjson json text)"
	run -0 complete_bash backup-verify --format=t
	assert_output "--format=text"
	run -0 complete_bash backup-verify --format = n
	assert_output "ndjson"
	run -0 complete_bash backup-verify manifest --format ""
	assert_output "$(printf '%s\n' ndjson json sha256sum)"
	run -0 complete_bash backup-verify manifest -o ""
	assert_output "$(printf '%s\n' ndjson json)"
	run -0 complete_bash backup-verify manifest --format=s
	assert_output "--format=sha256sum"
	run -0 complete_bash backup-verify manifest --na
	assert_output ""
	run -0 complete_bash backup-verify check --na
	assert_output "--name"
	run -0 complete_bash backup-verify --restore-t
	assert_output "--restore-test"
	mkdir "$BATS_TEST_TMPDIR/c" && cd "$BATS_TEST_TMPDIR/c"
	mkdir dumps mnt
	touch db.tar.zst m.ndjson
	run -0 complete_bash backup-verify m
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' m.ndjson manifest mnt)"
	run -0 complete_bash backup-verify --max-age 26h d
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' db.tar.zst dumps)"
	run -0 complete_bash backup-verify db.tar.zst m
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' m.ndjson mnt)"
	run -0 complete_bash backup-verify --manifest m
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' m.ndjson mnt)"
	run -0 complete_bash backup-verify --restore-dir ""
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' dumps mnt)"
	run -0 complete_bash backup-verify --name ""
	assert_output ""
}

@test "zsh and fish completions load; fish completes options, values and verbs" {
	needs zsh zsh
	run -0 zsh -n "$ZSH_COMPLETION"
	run -0 zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -D; print -r -- ${_comps[backup-verify]}' \
		_ "$SRETOOLS_ROOT/completions/zsh"
	assert_output "_backup-verify"
	needs fish fish
	run -0 fish -n "$FISH_COMPLETION"
	mkdir "$BATS_TEST_TMPDIR/f" && cd "$BATS_TEST_TMPDIR/f"
	run -0 fish -c 'source $argv[1]; complete -C "backup-verify --age-from "; complete -C "backup-verify manifest --format "; complete -C "backup-verify --form"; complete -C "backup-verify man"; complete -C "backup-verify manifest --na"' \
		"$FISH_COMPLETION"
	assert_output - <<-'EOF'
	archive	What the age is measured from
	entries	What the age is measured from
	json	Listing format
	ndjson	Listing format
	sha256sum	Listing format
	--format	Output format
	manifest	List the entries of a backup
	EOF
}

# ---- the sha256sum format, against the real sha256sum ----------------------------------

@test "sha256sum -c accepts what manifest --format sha256sum writes, names with spaces, backslashes and newlines included" {
	needs_built
	local d=$BATS_TEST_TMPDIR/tree
	make_tree "$d"
	printf 'cr' >"$d/sub/cr"$'\r'"mid"
	run -0 --separate-stderr backup-verify manifest --format sha256sum "$d"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/ours.sha256"
	# the escaped lines are there, as sha256sum writes them
	grep -qF '\' "$BATS_TEST_TMPDIR/ours.sha256"
	(cd "$d" && sha256sum -- a.txt hard zeros sub/* sub/deeper/x) >"$BATS_TEST_TMPDIR/theirs.sha256" 2>/dev/null || true
	assert_equal "$(sort "$BATS_TEST_TMPDIR/ours.sha256")" "$(sort "$BATS_TEST_TMPDIR/theirs.sha256")"
	cd "$d"
	run -0 sha256sum -c --strict "$BATS_TEST_TMPDIR/ours.sha256"
	[ "$(grep -c ': OK$' <<<"$output")" -eq 8 ]
	# and from an archive of the same tree
	tar -C "$d" -czf "$BATS_TEST_TMPDIR/t.tar.gz" --exclude fifo .
	run -0 --separate-stderr backup-verify manifest --format sha256sum "$BATS_TEST_TMPDIR/t.tar.gz"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/tar.sha256"
	run -0 sha256sum -c --strict "$BATS_TEST_TMPDIR/tar.sha256"
	printf 'changed' >"$d/sub/new"$'\n'"line"
	run -1 sha256sum -c --strict --quiet "$BATS_TEST_TMPDIR/tar.sha256"
}

@test "--manifest reads what sha256sum writes (text, binary, --tag), and finds a changed file" {
	needs_built
	local d=$BATS_TEST_TMPDIR/tree f
	make_tree "$d"
	rm "$d/fifo"
	tar -C "$d" -cf "$BATS_TEST_TMPDIR/t.tar" .
	(cd "$d" && find . -type f -exec sha256sum {} +) >"$BATS_TEST_TMPDIR/text.sha256"
	(cd "$d" && find . -type f -exec sha256sum -b {} +) >"$BATS_TEST_TMPDIR/binary.sha256"
	(cd "$d" && find . -type f -exec sha256sum --tag {} +) >"$BATS_TEST_TMPDIR/tag.sha256"
	grep -q '^\\' "$BATS_TEST_TMPDIR/text.sha256"
	for f in text binary tag; do
		run -0 --separate-stderr backup-verify -o ndjson --manifest "$BATS_TEST_TMPDIR/$f.sha256" "$BATS_TEST_TMPDIR/t.tar"
		assert_equal "$(jq -r 'select(.kind == "backup.report") | .ok' <<<"$output")" true
		run -0 --separate-stderr backup-verify -o ndjson --manifest "$BATS_TEST_TMPDIR/$f.sha256" "$d"
	done
	printf 'changed' >"$d/sub/back\\slash"
	rm "$d/sub/a b"
	printf 'new' >"$d/added"
	run -1 --separate-stderr backup-verify -o ndjson --manifest "$BATS_TEST_TMPDIR/text.sha256" "$d"
	assert_equal "$(jq -r 'select(.kind == "backup.problem") | "\(.problem) \(.path)"' <<<"$output" | sort)" \
		"$(printf '%s\n' 'changed_hash sub/back\slash' 'extra added' 'missing sub/a b')"
	# a malformed line is an error with its file and line
	printf '%s\n' "$(head -1 "$BATS_TEST_TMPDIR/text.sha256")" 'not a checksum line' >"$BATS_TEST_TMPDIR/bad.sha256"
	run -2 --separate-stderr backup-verify --manifest "$BATS_TEST_TMPDIR/bad.sha256" "$d"
	assert_equal "$stderr" "backup-verify: error: $BATS_TEST_TMPDIR/bad.sha256:2: improperly formatted sha256sum line"
}

@test "a manifest round trip: manifest of a directory, then check of its archive and of itself" {
	needs_built
	local d=$BATS_TEST_TMPDIR/tree
	make_tree "$d"
	run -0 --separate-stderr backup-verify manifest "$d"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/m.ndjson"
	assert_equal "$(jq -r .path "$BATS_TEST_TMPDIR/m.ndjson" | head -3 | paste -sd' ' -)" "a.txt fifo hard"
	run -0 --separate-stderr backup-verify -o ndjson --manifest "$BATS_TEST_TMPDIR/m.ndjson" "$d"
	tar -C "$d" -cJf "$BATS_TEST_TMPDIR/t.tar.xz" .
	run -0 --separate-stderr backup-verify -o ndjson --manifest "$BATS_TEST_TMPDIR/m.ndjson" "$BATS_TEST_TMPDIR/t.tar.xz"
	chmod 600 "$d/a.txt"
	ln -sf zeros "$d/link"
	run -1 --separate-stderr backup-verify -o ndjson --manifest "$BATS_TEST_TMPDIR/m.ndjson" "$d"
	assert_equal "$(jq -r 'select(.kind == "backup.problem") | "\(.problem) \(.path) \(.expected) \(.actual)"' <<<"$output" | sort)" \
		"$(printf '%s\n' 'changed_link link a.txt zeros' 'changed_mode a.txt 0644 0600' 'changed_mode hard 0644 0600')"
}

# ---- the records' schemas ---------------------------------------------------------------

@test "schema: the three schemas are draft 2020-12, build on the envelope, and reject bad records" {
	needs_jsonschema
	local d=$BATS_TEST_TMPDIR
	printf '%s\n' \
		'{"kind":"backup.entry","time":"2026-11-28T01:59:58.120Z","path":"a","type":"file","size":1,"mode":"0644","mtime":"2026-11-28T01:59:41.000Z","sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}' \
		'{"kind":"backup.problem","time":"2026-11-28T03:12:09.412Z","name":"db","backup":"db.tar","path":"a","problem":"changed_size","expected":"1","actual":"2","message":"x"}' \
		'{"kind":"backup.report","time":"2026-11-28T03:12:10.020Z","name":"db","path":"db.tar","format":"tar (pax)","filters":[],"entries":1,"bytes":10240,"data_bytes":1,"seconds":0.1,"ok":false,"problems":{"changed_size":1},"error":{"code":"changed_size","message":"x"}}' \
		>"$d/good.ndjson"
	{
		jq -c 'select(.kind == "backup.entry") | .mode = "644"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .mode = 420' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .path = "./a"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .path = "d/"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .type = "directory"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .type = "dir"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .type = "symlink"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .sha256 |= ascii_upcase' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .size = -1' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .link = "b"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.entry") | .mtime = "2026-11-28T01:59:41Z"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.problem") | .problem = "changed_colour"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.problem") | del(.actual)' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.problem") | .problem = "missing"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.problem") | .problem = "too_old"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.problem") | .ok = false' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.problem") | del(.message)' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .ok = true | del(.error)' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | del(.error)' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .filters = ["compress"]' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .format = "rar"' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .newest = .time' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .history = {reports: 2}' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .restore = {ok: false, skipped: true}' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .restore = {ok: true, seconds: 1, verify_seconds: 1, entries: 1, bytes: 1, skipped_entries: 0, refused_entries: 0, validate: {ok: true, exit: 1, seconds: 1, output: "", output_bytes: 0}}' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | .problems = {"changed_size": 0}' "$d/good.ndjson"
		jq -c 'select(.kind == "backup.report") | del(.bytes)' "$d/good.ndjson"
	} >"$d/bad.ndjson"
	run -0 /usr/bin/python3 - "$SCHEMA_DIR" "$d/good.ndjson" "$d/bad.ndjson" <<-'EOF'
		import json, pathlib, sys, warnings, jsonschema
		warnings.simplefilter("ignore", DeprecationWarning)
		d = pathlib.Path(sys.argv[1]).resolve()
		v = {}
		for kind in ("backup.entry", "backup.problem", "backup.report"):
		    s = json.loads((d / f"{kind}.schema.json").read_text(encoding="utf-8"))
		    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
		    assert {"$ref": "envelope.schema.json"} in s["allOf"], "builds on the envelope"
		    assert s["properties"]["kind"] == {"const": kind}
		    jsonschema.Draft202012Validator.check_schema(s)
		    resolver = jsonschema.RefResolver(base_uri=(d / f"{kind}.schema.json").as_uri(), referrer=s)
		    v[kind] = jsonschema.Draft202012Validator(s, resolver=resolver)
		for line in open(sys.argv[2], encoding="utf-8"):
		    rec = json.loads(line)
		    for e in v[rec["kind"]].iter_errors(rec):
		        print("example:", rec["kind"], e.message)
		print(" ".join("valid" if v[json.loads(l)["kind"]].is_valid(json.loads(l)) else "invalid"
		               for l in open(sys.argv[3], encoding="utf-8")))
	EOF
	assert_output "$(printf 'invalid%.0s ' {1..27} | sed 's/ $//')"
}

@test "schema: the man page's example records are valid" {
	needs_jsonschema
	local d=$BATS_TEST_TMPDIR kind
	for kind in backup.problem backup.report backup.entry; do
		sed -n "/^\.Ss $kind\$/,/^\.Ed/p" "$MAN" | sed -n '/^\.Bd/,/^\.Ed/{/^\./d;p}' |
			tr -d '\n' | sed 's/\\e/\\/g; s/"\([0-9a-f]\{4\}\)\.\.\."/"\1000000000000000000000000000000000000000000000000000000000000"/g' \
			>"$d/$kind.json"
		printf '\n' >>"$d/$kind.json"
		jq -e . "$d/$kind.json" >/dev/null || fail "$kind: not JSON: $(cat "$d/$kind.json")"
		run -0 validate "$kind" "$d/$kind.json"
		assert_output "1 records"
	done
}

@test "schema: real backup-verify output of every kind is valid" {
	needs_jsonschema
	needs_built
	needs zip zip
	local d=$BATS_TEST_TMPDIR out=$BATS_TEST_TMPDIR/out t=$BATS_TEST_TMPDIR/tree
	mkdir "$out"
	make_tree "$t"
	backup-verify manifest "$t" >"$out/manifest-dir"
	tar -C "$t" --sort=name -czf "$d/t.tar.gz" --exclude fifo .
	tar -C "$t" --sort=name -cf "$d/t.tar" .
	(cd "$t" && zip -qry "$d/t.zip" . -x fifo)
	backup-verify manifest "$d/t.tar.gz" >"$out/manifest-tar"
	backup-verify manifest "$d/t.tar" >"$out/manifest-tar-fifo"
	backup-verify manifest "$d/t.zip" >"$out/manifest-zip"

	# ok: an archive against the directory's manifest, with history, restore and validate
	backup-verify -o ndjson --name t --history "$d/history.ndjson" "$d/t.tar.gz" >"$d/history.ndjson"
	backup-verify -o ndjson --name t --history "$d/history.ndjson" "$d/t.tar.gz" >>"$d/history.ndjson"
	cp "$d/history.ndjson" "$out/history"
	backup-verify -o ndjson --name t --manifest "$out/manifest-dir" --ignore '^fifo$' --history "$d/history.ndjson" \
		--max-age 1d --min-size 1 --restore-test --validate 'test -s "$RESTORE_DIR/a.txt" && echo ok' \
		"$d/t.tar.gz" >"$out/ok" || true
	backup-verify -o ndjson --restore-test --keep "$d/t.zip" >"$out/kept" 2>/dev/null || true
	backup-verify -o ndjson --restore-test "$d/t.tar" >"$out/fifo" || true
	# differences from the manifest, freshness, size and history anomalies
	printf 'more' >>"$t/zeros"
	chmod 600 "$t/a.txt"
	ln -sf zeros "$t/link"
	rm "$t/sub/a b"
	mkdir "$t/newdir"
	backup-verify -o ndjson --manifest "$out/manifest-tar" "$t" >"$out/diffs" || true
	touch -d '2020-01-01 00:00:00' "$d/t.tar"
	backup-verify -o ndjson --name t --history "$d/history.ndjson" --max-age 1d --min-size 1G \
		--age-from archive "$d/t.tar" >"$out/judged" || true
	# read problems: truncated, trailing garbage, corrupt, empty, limit, unsafe names
	head -c 300 "$d/t.tar.gz" >"$d/cut.tar.gz"
	backup-verify -o ndjson --restore-test "$d/cut.tar.gz" >"$out/truncated" || true
	cat "$d/t.tar.gz" >"$d/garbage.tar.gz" && printf 'garbage' >>"$d/garbage.tar.gz"
	backup-verify -o ndjson "$d/garbage.tar.gz" >"$out/garbage" || true
	tar -cf "$d/empty.tar" -T /dev/null
	backup-verify -o ndjson "$d/empty.tar" >"$out/empty" || true
	backup-verify -o ndjson --max-entries 2 "$d/t.tar" >"$out/limit" || true
	/usr/bin/python3 - "$d/unsafe.tar" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    for name in ("../escape", "/etc/abs", "ok"):
		        i = tarfile.TarInfo(name); i.size = 2
		        t.addfile(i, io.BytesIO(b"hi"))
	EOF
	backup-verify -o ndjson --restore-test "$d/unsafe.tar" >"$out/unsafe" || true
	# the restore's own problems: a failing and a hanging --validate
	backup-verify -o ndjson --validate 'echo broken >&2; exit 3' "$d/t.tar.gz" >"$out/validate-failed" || true
	backup-verify -o ndjson --validate 'sleep 30' --validate-timeout 200ms "$d/t.tar.gz" >"$out/validate-timeout" || true
	# trouble: a backup that cannot be opened
	backup-verify -o ndjson "$d/nonexistent.tar" >"$out/trouble" 2>/dev/null || true

	local f
	for f in "$out"/*; do
		[ -s "$f" ] || fail "no output for $(basename "$f")"
	done
	# the cases are what they claim to be
	codes() { jq -r 'select(.kind == "backup.problem") | .problem' "$out/$1" | sort -u | paste -sd' ' -; }
	assert_equal "$(jq -r 'select(.kind == "backup.report") | .ok' "$out/ok")" true
	assert_equal "$(jq -r 'select(.kind == "backup.report") | .restore.validate.output' "$out/ok")" ok
	assert_equal "$(jq -r 'select(.kind == "backup.report") | .history.reports' "$out/ok")" 2
	assert_equal "$(jq -r 'select(.kind == "backup.report") | .restore.dir | length > 0' "$out/kept")" true
	rm -rf "$(jq -r 'select(.kind == "backup.report") | .restore.dir' "$out/kept")"
	assert_equal "$(jq -r 'select(.kind == "backup.report") | .restore.skipped_entries' "$out/fifo")" 1
	assert_equal "$(codes diffs)" "changed_hash changed_link changed_mode changed_size extra missing"
	assert_equal "$(codes judged)" "size_anomaly too_old too_small"
	assert_equal "$(codes truncated)" "truncated"
	assert_equal "$(jq -r 'select(.kind == "backup.report") | .restore.skipped' "$out/truncated")" true
	assert_equal "$(codes garbage)" "trailing_garbage"
	assert_equal "$(codes empty)" "empty"
	assert_equal "$(codes limit)" "limit"
	assert_equal "$(codes unsafe)" "unsafe_path"
	assert_equal "$(codes validate-failed)" "validate_failed"
	assert_equal "$(codes validate-timeout)" "validate_timeout"
	assert_equal "$(jq -r '.error.code' "$out/trouble")" io
	assert_equal "$(jq -r 'select(.type == "hardlink") | .path' "$out/manifest-tar")" hard
	assert_equal "$(jq -r 'select(.type == "fifo") | .path' "$out/manifest-tar-fifo")" fifo

	local kind n=0 m
	for kind in backup.entry backup.problem backup.report; do
		m=$(cat "$out"/* | jq -c "select(.kind == \"$kind\")" | wc -l)
		run -0 validate "$kind" "$out"/*
		assert_output "$m records"
		n=$((n + m))
	done
	# nothing else was written
	assert_equal "$n" "$(cat "$out"/* | wc -l)"
}

# ---- README --------------------------------------------------------------------------

@test "README: a backup-verify section with a nightly cron line, the status names it" {
	local readme=$SRETOOLS_ROOT/README.md section
	section=$(sed -n '/^## backup-verify/,/^## /p' "$readme")
	[ -n "$section" ]
	grep -q '^[0-9*][0-9*,/-]* [0-9*][0-9*,/-]* \* \* \* .*backup-verify' <<<"$section"
	grep -q 'man 1 backup-verify' <<<"$section"
	grep -q 'backup\.report\.schema\.json' <<<"$section"
	sed -n '/^## Status/,/^## /p' "$readme" | grep -q '`backup-verify`'
}
