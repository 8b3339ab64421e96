#!/usr/bin/env python3
"""fixture-server.py: a programmable HTTP/HTTPS server for sretools' tests.

Python 3 standard library only.  Bats suites start it through tests/helpers/server.bash
(fixture_server_start / fixture_server_stop); it can also be run by hand:

    fixture-server.py --port 0 --port-file F [--host 127.0.0.1]
                      [--tls-cert C --tls-key K [--client-ca CA]]
                      [--routes routes.json] [--log requests.ndjson]
                      [--watch-pid PID] [--max-lifetime SECONDS] [--verbose]

It binds HOST (127.0.0.1) on PORT (0: a free port chosen by the kernel), and writes the
port number to F (atomically, by rename) only once it is listening.  One thread per
connection, HTTP/1.1 with keep-alive.  SIGTERM or SIGINT stops it cleanly (exit 0);
so do the death of --watch-pid PID and the end of --max-lifetime, so that a test that
dies never leaves it running.  With --tls-cert/--tls-key it speaks only HTTPS; with
--client-ca it also requires a client certificate signed by that CA.

RESPONSE SPECS
Every path answers 200 "OK" unless it has a spec.  A spec is a JSON object, taken from
the --routes file ({"/path": SPEC, ...}; exact path match, no query) and then
overridden field by field by the request's query parameters, so that simple cases need
no file: /anything?status=503&retry_after=2.  Fields:

  status       int     response status (default 200; 302 with redirect); 1xx, 204
                       and 304 are sent without a body
  delay        float   seconds to wait before sending anything
  body         string  response body (UTF-8); default: the reason phrase and "\\n"
  json         any     response body: this value serialised, Content-Type
                       application/json (query: a JSON text, ?json={"a":1})
  size         int     body of exactly this many bytes: `body` repeated, or "x"
  headers      object  extra response headers, name -> string or list of strings
                       (a list sends the header once per element)
                       (query: header=Name:%20value, repeatable; or headers=JSON)
  content_type string  Content-Type (default text/plain; charset=utf-8)
  chunked      bool    send the body with Transfer-Encoding: chunked
  chunk_size   int     bytes per write / per chunk (default 16384)
  slow_body    float   seconds to sleep between writes of the body
  endless      bool    stream "0123456789abcdef..." until the client goes away (chunked
                       under HTTP/1.1, close-delimited under HTTP/1.0); a safety cap
                       ends it after 256 MiB or 300 s
  gzip         bool    gzip the body (Content-Encoding: gzip), whatever the client asked
  redirect     string  Location header (any URL: file:///etc/passwd and ftp:// too);
                       status 302 unless `status` is a 3xx
  fail_first   int     the first N requests to this path fail
  flap         int     this path alternates every N requests: N ok, N failing, ...
                       (starts ok)
  fail_status  int     the status of those failures (default 503)
  retry_after  num|str Retry-After on every failure from fail_first/flap and on the
                       spec's own 429 or 503: seconds, or a string sent as is
  retry_after_date int Retry-After as an HTTP date this many seconds from now
  close        bool    close the connection without any response (after `delay`)
  truncate     bool    declare the full Content-Length, send half the body, close
  echo         bool    the body is the JSON request record (as logged, see below)

Booleans in a query: 1/true/yes/on or 0/false/no/off ("?close" alone means true).
An invalid query value answers 400 with the reason; unknown query parameters are
ignored (they are logged).  An invalid routes file stops the server with exit 2.
Counters are per path (without the query) and count every request to that path;
request N of a path is "failing" when N <= fail_first, or when ((N-1) div flap) is odd.

CONTROL ENDPOINTS (not counted, not logged)
  GET  /_requests   the request log as NDJSON, oldest first
  POST /_reset      clear the per-path counters and the request log (and --log file)
  GET  /_routes     the current routes as JSON
  POST /_routes     merge a JSON object {"/path": SPEC} into the routes

REQUEST LOG
Each request becomes one JSON line in memory and, with --log, in that file (written and
flushed before the response starts): seq, time (RFC 3339 UTC ms), method, path, query
(raw), args (name -> list of values), version, client ("ip:port"), count (this path's
counter), headers (lower-case name -> value; repeated headers joined with ", "),
header_list ([[Name, value], ...] as received), body (text; invalid UTF-8 replaced),
body_base64, body_bytes, and with TLS: tls {version, cipher, client_subject}.
"""

import argparse
import base64
import datetime
import email.utils
import gzip
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse

ENDLESS_MAX_BYTES = 256 << 20
ENDLESS_MAX_SECONDS = 300
REQUEST_BODY_MAX = 64 << 20
DEFAULT_CHUNK = 16384

# field -> type; "json" means any JSON value, "num|str" a number or a string.
SPEC_FIELDS = {
    "status": "int", "delay": "float", "body": "str", "json": "json", "size": "int",
    "headers": "headers", "content_type": "str", "chunked": "bool", "chunk_size": "int",
    "slow_body": "float", "endless": "bool", "gzip": "bool", "redirect": "str",
    "fail_first": "int", "flap": "int", "fail_status": "int", "retry_after": "num|str",
    "retry_after_date": "int", "close": "bool", "truncate": "bool", "echo": "bool",
}
TRUE_WORDS = {"", "1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


class SpecError(ValueError):
    """A spec field with a wrong type or value."""


def now_rfc3339():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def check_field(name, value):
    """Validate one spec field's already-typed value; returns it."""
    kind = SPEC_FIELDS.get(name)
    if kind is None:
        raise SpecError("unknown spec field '%s'" % name)
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0,
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "json": lambda v: True,
        "num|str": lambda v: isinstance(v, (int, float, str)) and not isinstance(v, bool),
        "headers": valid_headers,
    }[kind](value)
    if not ok:
        raise SpecError("invalid value for '%s': %s" % (name, json.dumps(value)))
    if name == "status" and not 100 <= value <= 999:
        raise SpecError("invalid status %d: expected 100-999" % value)
    return value


def valid_headers(value):
    if not isinstance(value, dict):
        return False
    for name, v in value.items():
        values = v if isinstance(v, list) else [v]
        if not name or any(c in name for c in ":\r\n "):
            return False
        if not all(isinstance(x, str) and "\r" not in x and "\n" not in x for x in values):
            return False
    return True


def check_spec(spec):
    if not isinstance(spec, dict):
        raise SpecError("a spec must be a JSON object")
    for name, value in spec.items():
        check_field(name, value)
    return spec


def parse_query_value(name, raw):
    """Type a query parameter's string as SPEC_FIELDS says."""
    kind = SPEC_FIELDS[name]
    try:
        if kind == "int":
            return check_field(name, int(raw, 10))
        if kind == "float":
            return check_field(name, float(raw))
        if kind == "bool":
            if raw.lower() in TRUE_WORDS:
                return True
            if raw.lower() in FALSE_WORDS:
                return False
            raise SpecError("invalid boolean for '%s': '%s'" % (name, raw))
        if kind in ("json", "headers"):
            return check_field(name, json.loads(raw))
        if kind == "num|str":
            try:
                return float(raw) if "." in raw else int(raw, 10)
            except ValueError:
                return raw
        return raw
    except ValueError as e:
        if isinstance(e, SpecError):
            raise
        raise SpecError("invalid value for '%s': '%s'" % (name, raw)) from None


def spec_from_query(args):
    """The spec fields given as query parameters (args: name -> list of values)."""
    spec = {}
    for name, values in args.items():
        if name == "header":
            hdrs = spec.setdefault("headers", {})
            for hv in values:
                hname, sep, hval = hv.partition(":")
                if not sep or not hname or any(c in hname + hval for c in "\r\n"):
                    raise SpecError("invalid header '%s': expected 'Name: value'" % hv)
                hdrs.setdefault(hname.strip(), []).append(hval.strip())
        elif name in SPEC_FIELDS:
            value = parse_query_value(name, values[-1])
            if name == "headers":
                spec.setdefault("headers", {}).update(value)
            else:
                spec[name] = value
    return spec


class State:
    """What the handler threads share: routes, per-path counters and the request log."""

    def __init__(self, routes, log_path):
        self.lock = threading.Lock()
        self.routes = routes
        self.counters = {}
        self.log = []
        self.seq = 0
        self.log_path = log_path
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None

    def count(self, path):
        with self.lock:
            n = self.counters.get(path, 0) + 1
            self.counters[path] = n
            return n

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            if self.log_file:
                self.log_file.write(json.dumps(entry, separators=(",", ":")) + "\n")
                self.log_file.flush()

    def reset(self):
        with self.lock:
            self.counters.clear()
            self.log.clear()
            self.seq = 0
            if self.log_file:
                self.log_file.truncate(0)
                self.log_file.seek(0)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sretools-fixture/1"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection is closed after this

    # ---- connection plumbing -------------------------------------------------------
    def setup(self):
        self.tls_failed = False
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.tls_failed = True
                self.server.note("tls handshake failed: %s" % e)
        super().setup()

    def handle(self):
        if self.tls_failed:
            return
        try:
            super().handle()
        except (ConnectionError, TimeoutError, socket.timeout, ssl.SSLError):
            self.close_connection = True

    def log_message(self, fmt, *args):
        self.server.note("%s %s" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # ---- request ----------------------------------------------------------------------
    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked_body()
        length = int(self.headers.get("Content-Length") or 0)
        if length > REQUEST_BODY_MAX:
            raise SpecError("request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def read_chunked_body(self):
        parts, total = [], 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > REQUEST_BODY_MAX:
                raise SpecError("request body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    def request_record(self, url, body, count):
        entry = {
            "time": now_rfc3339(), "method": self.command, "path": url.path,
            "query": url.query,
            "args": urllib.parse.parse_qs(url.query, keep_blank_values=True),
            "version": self.request_version,
            "client": "%s:%d" % self.client_address[:2], "count": count,
            "headers": {}, "header_list": [],
            "body": body.decode("utf-8", "replace"),
            "body_base64": base64.b64encode(body).decode("ascii"),
            "body_bytes": len(body),
        }
        for name, value in self.headers.items():
            entry["header_list"].append([name, value])
            key = name.lower()
            old = entry["headers"].get(key)
            entry["headers"][key] = value if old is None else old + ", " + value
        if isinstance(self.request, ssl.SSLSocket):
            cert = self.request.getpeercert()
            subject = None
            if cert:
                subject = ",".join("%s=%s" % kv for rdn in cert.get("subject", ()) for kv in rdn)
            entry["tls"] = {"version": self.request.version(),
                            "cipher": (self.request.cipher() or [None])[0],
                            "client_subject": subject}
        return entry

    def dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        try:
            body = self.read_body()
        except (SpecError, ValueError) as e:
            self.close_connection = True
            return self.send_simple(400, "fixture: %s\n" % e)
        if url.path.startswith("/_") and self.control(url.path, body):
            return None
        count = self.server.state.count(url.path)
        entry = self.request_record(url, body, count)
        self.server.state.record(entry)
        try:
            spec = dict(self.server.state.routes.get(url.path, {}))
            spec.update(spec_from_query(urllib.parse.parse_qs(url.query, keep_blank_values=True)))
        except SpecError as e:
            return self.send_simple(400, "fixture: %s\n" % e)
        return self.respond(spec, count, entry)

    # ---- control endpoints ----------------------------------------------------------
    def control(self, path, body):
        state = self.server.state
        if path == "/_requests" and self.command in ("GET", "HEAD"):
            with state.lock:
                text = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in state.log)
            self.send_simple(200, text, "application/x-ndjson")
        elif path == "/_reset" and self.command == "POST":
            state.reset()
            self.send_simple(200, "reset\n")
        elif path == "/_routes" and self.command in ("GET", "HEAD"):
            with state.lock:
                text = json.dumps(state.routes, indent=1) + "\n"
            self.send_simple(200, text, "application/json")
        elif path == "/_routes" and self.command == "POST":
            try:
                routes = load_routes_text(body.decode("utf-8"))
            except (SpecError, ValueError) as e:
                self.send_simple(400, "fixture: %s\n" % e)
                return True
            with state.lock:
                state.routes.update(routes)
            self.send_simple(200, "routes updated\n")
        else:
            return False
        return True

    # ---- responses ------------------------------------------------------------------
    def send_simple(self, status, text, ctype="text/plain; charset=utf-8"):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def drop(self):
        """Close the connection without a response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def is_failing(self, spec, count):
        if count <= spec.get("fail_first", 0):
            return True
        flap = spec.get("flap", 0)
        return flap > 0 and ((count - 1) // flap) % 2 == 1

    def retry_after_value(self, spec):
        if "retry_after_date" in spec:
            return email.utils.formatdate(time.time() + spec["retry_after_date"], usegmt=True)
        value = spec.get("retry_after")
        return None if value is None else str(value)

    def respond(self, spec, count, entry):
        if spec.get("delay"):
            time.sleep(spec["delay"])
        if spec.get("close"):
            return self.drop()
        retry_after = self.retry_after_value(spec)
        if self.is_failing(spec, count):
            status = spec.get("fail_status", 503)
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            framing, data = failure_body(spec, count)
            return self.send_body(framing, data)
        status = spec.get("status", 200)
        if "redirect" in spec and not 300 <= status <= 399:
            status = 302
        self.send_response(status)
        if "redirect" in spec:
            self.send_header("Location", spec["redirect"])
        if retry_after is not None and status in (429, 503):
            self.send_header("Retry-After", retry_after)
        for name, value in spec.get("headers", {}).items():
            for v in value if isinstance(value, list) else [value]:
                self.send_header(name, v)
        if status < 200 or status in (204, 304):
            self.end_headers()  # these statuses never have a body (RFC 9110)
            return None
        return self.send_body(spec, self.body_bytes(spec, status, entry))

    def body_bytes(self, spec, status, entry):
        if spec.get("echo"):
            data = (json.dumps(entry, separators=(",", ":")) + "\n").encode("utf-8")
        elif "json" in spec:
            data = json.dumps(spec["json"], separators=(",", ":")).encode("utf-8")
        elif "body" in spec:
            data = spec["body"].encode("utf-8")
        elif "redirect" in spec:
            data = b""
        else:
            data = (self.responses.get(status, ("Status %d" % status,))[0] + "\n").encode()
        if "size" in spec:
            pattern = data or b"x"
            data = (pattern * (spec["size"] // len(pattern) + 1))[:spec["size"]]
        return data

    def content_type(self, spec):
        if "content_type" in spec:
            return spec["content_type"]
        if ("json" in spec or spec.get("echo")) and "body" not in spec:
            return "application/json"
        return "text/plain; charset=utf-8"

    def send_body(self, spec, data):
        """Finish the headers and send data framed as the spec says."""
        has_ctype = any(k.lower() == "content-type" for k in spec.get("headers", {}))
        if not has_ctype:
            self.send_header("Content-Type", self.content_type(spec))
        if spec.get("gzip"):
            data = gzip.compress(data)
            self.send_header("Content-Encoding", "gzip")
        if spec.get("endless"):
            return self.send_endless(spec)
        chunk = spec.get("chunk_size") or DEFAULT_CHUNK
        if spec.get("chunked") and self.request_version == "HTTP/1.1":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            return self.write_chunks(data, chunk, spec.get("slow_body", 0), chunked=True)
        if spec.get("truncate"):
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.write_chunks(data[:len(data) // 2], chunk, spec.get("slow_body", 0))
            return self.drop()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return self.write_chunks(data, chunk, spec.get("slow_body", 0))

    def write_chunks(self, data, chunk, pause, chunked=False):
        if self.command == "HEAD":
            return
        for i in range(0, len(data), chunk):
            if i and pause:
                time.sleep(pause)
            piece = data[i:i + chunk]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def send_endless(self, spec):
        chunked = self.request_version == "HTTP/1.1"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        size = spec.get("chunk_size") or DEFAULT_CHUNK
        piece = (b"0123456789abcdef" * (size // 16 + 1))[:size]
        frame = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
        sent, start = 0, time.monotonic()
        while sent < ENDLESS_MAX_BYTES and time.monotonic() - start < ENDLESS_MAX_SECONDS:
            if spec.get("slow_body"):
                time.sleep(spec["slow_body"])
            self.wfile.write(frame)
            sent += len(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


def failure_body(spec, count):
    """The (spec, data) of a failure response: the spec's framing, a short text body."""
    framing = {k: spec[k] for k in ("chunked", "chunk_size", "gzip") if k in spec}
    return framing, ("fixture: failing request %d\n" % count).encode("utf-8")


class FixtureServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, state, verbose):
        self.state = state
        self.verbose = verbose
        super().__init__(addr, Handler)

    def note(self, text):
        if self.verbose:
            sys.stderr.write("fixture-server: %s\n" % text)
            sys.stderr.flush()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, ssl.SSLError)):
            return self.note("connection from %s: %s" % (client_address, exc))
        return super().handle_error(request, client_address)


def load_routes_text(text):
    routes = json.loads(text)
    if not isinstance(routes, dict):
        raise SpecError("routes must be a JSON object mapping paths to specs")
    for path, spec in routes.items():
        if not path.startswith("/"):
            raise SpecError("route '%s' must start with '/'" % path)
        try:
            check_spec(spec)
        except SpecError as e:
            raise SpecError("route '%s': %s" % (path, e)) from None
    return routes


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def start_watchdogs(server, watch_pid, max_lifetime):
    def stop_later():
        threading.Thread(target=server.shutdown, daemon=True).start()

    def watch():
        while True:
            time.sleep(0.5)
            try:
                os.kill(watch_pid, 0)
            except ProcessLookupError:
                server.note("watched process %d is gone: stopping" % watch_pid)
                return stop_later()
            except PermissionError:
                pass

    if watch_pid:
        threading.Thread(target=watch, daemon=True).start()
    if max_lifetime:
        timer = threading.Timer(max_lifetime, stop_later)
        timer.daemon = True
        timer.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop_later())


def parse_args(argv):
    p = argparse.ArgumentParser(description="programmable HTTP/HTTPS fixture server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--client-ca", help="require client certificates signed by this CA")
    p.add_argument("--routes", help="JSON file: {\"/path\": SPEC, ...}")
    p.add_argument("--log", help="append each request as a JSON line to this file")
    p.add_argument("--watch-pid", type=int, help="stop when this process is gone")
    p.add_argument("--max-lifetime", type=float, help="stop after this many seconds")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        p.error("--client-ca needs --tls-cert and --tls-key")
    return args


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.client_ca)
    return ctx


def main(argv):
    args = parse_args(argv)
    try:
        routes = {}
        if args.routes:
            with open(args.routes, encoding="utf-8") as f:
                routes = load_routes_text(f.read())
        ctx = tls_context(args) if args.tls_cert else None
        server = FixtureServer((args.host, args.port), State(routes, args.log), args.verbose)
    except (OSError, ValueError, ssl.SSLError) as e:
        sys.stderr.write("fixture-server: error: %s\n" % e)
        return 2
    if ctx:
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    start_watchdogs(server, args.watch_pid, args.max_lifetime)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    server.note("listening on %s:%d" % (args.host, port))
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
