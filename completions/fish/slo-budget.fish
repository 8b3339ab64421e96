# fish completion for slo-budget(1), part of sretools

# The verb, when no operand has been given yet; files otherwise.
function __slo_budget_no_operand
    set -l words (commandline -opc)
    set -e words[1]
    set -l takes_value -o --format --objective --window --calendar --tz --name --spec \
        --group-by --method --timeslice --slice-objective --min-events --time-field --good \
        --latency-field --threshold --prometheus --good-query --total-query --bad-query \
        --bearer-token-file --basic-auth-file --cacert --timeout --now --report-every --fail-on
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
        else if contains -- $w $takes_value
            set skip 1
        else if not string match -q -- '-*' $w
            return 1
        end
    end
    return 0
end

function __slo_budget_zones
    set -l dir /usr/share/zoneinfo
    test -d $dir; or begin
        echo UTC
        return
    end
    find $dir -path $dir/posix -prune -o -path $dir/right -prune -o -type f -name '[A-Z]*' -print 2>/dev/null |
        string replace -- "$dir/" '' | sort
end

complete -c slo-budget -n __slo_budget_no_operand -a check -d 'Report the error budget (the default)'
complete -c slo-budget -n __slo_budget_no_operand -a rules -d 'Print Prometheus recording and alerting rules'

# common options
complete -c slo-budget -s h -l help -d 'Print the usage and the options'
complete -c slo-budget -l version -d 'Print the version'
complete -c slo-budget -s o -l format -x -a 'ndjson json text prometheus nagios' -d 'Output format'
complete -c slo-budget -s q -l quiet -d 'Print no warnings'
complete -c slo-budget -s v -l verbose -d 'Print progress on standard error'

# the SLO
complete -c slo-budget -l objective -x -a '99 99.5 99.9 99.95 99.99' -d 'Objective in percent'
complete -c slo-budget -l window -x -a '30d 28d 7d 1d' -d 'Rolling window (default 30d)'
complete -c slo-budget -l calendar -x -a 'week month quarter' -d 'Calendar window'
complete -c slo-budget -l tz -x -a '(__slo_budget_zones)' -d 'Time zone of --calendar (default UTC)'
complete -c slo-budget -l name -x -d 'The SLO name in records'
complete -c slo-budget -l spec -r -F -d 'Read several SLOs from a JSON or NDJSON file'
complete -c slo-budget -l group-by -x -d 'One status per value of a jq expression'
complete -c slo-budget -l method -x -a 'occurrences timeslices' -d 'Budgeting method'
complete -c slo-budget -l timeslice -x -d 'Length of a timeslice (default 1m)'
complete -c slo-budget -l slice-objective -x -d 'Percent of good events that makes a slice good'
complete -c slo-budget -l min-events -x -d 'Fewer events is insufficient data (default 1)'

# events
complete -c slo-budget -l time-field -x -d 'Path of the event time (default .time)'
complete -c slo-budget -l good -x -d 'jq expression true for a good event (default .ok)'
complete -c slo-budget -l latency-field -x -d 'Path of the latency in milliseconds'
complete -c slo-budget -l threshold -x -d 'Latency threshold of --latency-field'
complete -c slo-budget -l counts -d 'The input is pre-aggregated good/total counts'
complete -c slo-budget -l lenient -d 'Skip and count records that cannot be read'

# Prometheus
complete -c slo-budget -l prometheus -x -a 'http:// https://' -d 'Read counters from this Prometheus server'
complete -c slo-budget -l good-query -x -d 'PromQL of the good events'
complete -c slo-budget -l total-query -x -d 'PromQL of all events'
complete -c slo-budget -l bad-query -x -d 'PromQL of the bad events'
complete -c slo-budget -l bearer-token-file -r -F -d 'File holding the bearer token'
complete -c slo-budget -l basic-auth-file -r -F -d 'File holding user:password'
complete -c slo-budget -l cacert -r -F -d 'CA certificates to verify the server with'
complete -c slo-budget -l insecure -d 'Do not verify the server certificate'
complete -c slo-budget -l timeout -x -d 'Limit on each request to the server'

# reports and gates
complete -c slo-budget -l now -x -d 'Report as of this time (RFC 3339 or epoch seconds)'
complete -c slo-budget -l follow -d 'Report while reading the events'
complete -c slo-budget -l report-every -x -d 'With --follow, report every DURATION of event time'
complete -c slo-budget -l fail-on -x -a 'exhausted page ticket breach' -d 'Exit 1 when this condition holds'
