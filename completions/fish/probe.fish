# fish completion for probe(1), part of sretools

complete -c probe -f
complete -c probe -n 'not string match -q -- "-*" (commandline -ct)' -a 'http:// https:// tcp:// tls:// dns://' -d target

# common options
complete -c probe -s h -l help -d 'Print the usage and the options'
complete -c probe -l version -d 'Print the version'
complete -c probe -s o -l format -x -a 'ndjson json text prometheus nagios junit' -d 'Output format'
complete -c probe -s q -l quiet -d 'Print no warnings'
complete -c probe -s v -l verbose -d 'Print progress on standard error'

# targets and requests
complete -c probe -s f -l file -r -F -d 'Read target specs from an NDJSON file (- for stdin)'
complete -c probe -l exec -x -a '(__fish_complete_command)' -d 'Run a command as a target'
complete -c probe -s X -l method -x -a 'GET HEAD POST PUT PATCH DELETE OPTIONS' -d 'HTTP method'
complete -c probe -s H -l header -x -d 'Request header, "Name: value" or @env:NAME'
complete -c probe -s d -l data -x -a '(string match -q -- "@*" (commandline -ct); and __fish_complete_path (string sub -s 2 -- (commandline -ct)) | string replace -r "^" "@")' -d 'Request body, @file or @-'
complete -c probe -l timeout -x -d 'Limit on each attempt (default 5s)'
complete -c probe -l connect-timeout -x -d 'Limit on connecting (default the timeout)'
complete -c probe -s 4 -l ipv4 -d 'Use IPv4 addresses only'
complete -c probe -s 6 -l ipv6 -d 'Use IPv6 addresses only'
complete -c probe -l resolve -x -d 'Connect to ADDR for HOST:PORT:ADDR'
complete -c probe -l cacert -r -F -d 'CA certificates to verify servers with'
complete -c probe -l cert -r -F -d 'Client certificate (PEM)'
complete -c probe -l key -r -F -d 'Client key (PEM)'
complete -c probe -l insecure -d 'Do not verify the server certificate'
complete -c probe -l follow -d 'Follow up to 5 http/https redirects'
complete -c probe -l proxy -x -d 'HTTP proxy URL'
complete -c probe -l max-body -x -d 'Largest response body (default 1m)'
complete -c probe -l secret -x -d 'Define a secret: NAME=VALUE, or NAME from the environment'

# checks
complete -c probe -l expect-status -x -a '200 2xx 200-399 200,204' -d 'Statuses that pass (default 200-399)'
complete -c probe -l expect-body -x -d 'PCRE2 regex the body must match'
complete -c probe -l expect-json -x -d 'jq expression that must be true of the body'
complete -c probe -l expect-header -x -d 'Header that must match, "Name: REGEX"'
complete -c probe -l max-latency -x -d 'Fail when an attempt takes longer'
complete -c probe -l cert-min-days -x -d 'Fail when a certificate expires sooner'
complete -c probe -l warn-latency -x -d 'Warn when an attempt takes longer'
complete -c probe -l warn-cert-days -x -d 'Warn when a certificate expires sooner'
complete -c probe -l strict -d 'Warnings fail'
complete -c probe -l retries -x -d 'Retries after a transient failure (default 0)'
complete -c probe -l retry-delay -x -d 'Base of the exponential backoff (default 1s)'

# modes and output
complete -c probe -l parallel -x -d 'Targets probed at once (default 32)'
complete -c probe -l every -x -d 'Probe again every DURATION'
complete -c probe -l count -x -d 'With --every, stop after N rounds'
complete -c probe -l wait -x -d 'Probe until every target is ok, at most DURATION'
complete -c probe -l textfile -r -F -d 'Also write Prometheus text here (node_exporter)'
complete -c probe -l push -x -d 'Also push Prometheus text to this Pushgateway URL'
