# fish completion for backup-verify(1), part of sretools

# The verb, when no operand has been given yet.
function __backup_verify_no_operand
    set -l words (commandline -opc)
    set -e words[1]
    set -l takes_value -o --format --name --manifest --ignore --max-age --age-from --min-size \
        --history --history-count --tolerance --restore-dir --validate --validate-timeout \
        --max-bytes --max-entries --max-ratio
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

# Whether the verb on the line is manifest.
function __backup_verify_listing
    contains -- manifest (commandline -opc)
end

complete -c backup-verify -n __backup_verify_no_operand -a check -d 'Verify backups (the default)'
complete -c backup-verify -n __backup_verify_no_operand -a manifest -d 'List the entries of a backup'

# common options
complete -c backup-verify -s h -l help -d 'Print the usage and the options'
complete -c backup-verify -l version -d 'Print the version'
complete -c backup-verify -s o -n 'not __backup_verify_listing' -x -a 'ndjson json text' -d 'Output format'
complete -c backup-verify -s o -n __backup_verify_listing -x -a 'ndjson json' -d 'Output format'
complete -c backup-verify -l format -n 'not __backup_verify_listing' -x -a 'ndjson json text' -d 'Output format'
complete -c backup-verify -l format -n __backup_verify_listing -x -a 'ndjson json sha256sum' -d 'Listing format'
complete -c backup-verify -s q -l quiet -d 'No progress line and no warnings'
complete -c backup-verify -s v -l verbose -d 'Say on standard error what is being done'
complete -c backup-verify -l progress -d 'Show a progress line on standard error'
complete -c backup-verify -l ignore -x -d 'Leave out the paths this regex matches'

# limits
complete -c backup-verify -l max-bytes -x -d 'Read or extract at most this many bytes'
complete -c backup-verify -l max-entries -x -d 'Read or extract at most this many entries'
complete -c backup-verify -l max-ratio -x -d 'Largest decompressed/compressed ratio'

# check
complete -c backup-verify -n 'not __backup_verify_listing' -l name -x -d 'The backup name in records and history'
complete -c backup-verify -n 'not __backup_verify_listing' -l manifest -r -F -d 'Compare with this manifest or sha256sum file'
complete -c backup-verify -n 'not __backup_verify_listing' -l max-age -x -a '26h 2d 8d 32d' -d 'The oldest a backup may be'
complete -c backup-verify -n 'not __backup_verify_listing' -l age-from -x -a 'archive entries' -d 'What the age is measured from'
complete -c backup-verify -n 'not __backup_verify_listing' -l min-size -x -d 'The smallest a backup may be'
complete -c backup-verify -n 'not __backup_verify_listing' -l history -r -F -d 'Earlier backup.report records'
complete -c backup-verify -n 'not __backup_verify_listing' -l history-count -x -d 'Ok reports that make the baseline (default 7)'
complete -c backup-verify -n 'not __backup_verify_listing' -l tolerance -x -a '25% 50% 100%' -d 'How far from the median is normal (default 50%)'

# restore test
complete -c backup-verify -n 'not __backup_verify_listing' -l restore-test -d 'Extract the archive and check the result'
complete -c backup-verify -n 'not __backup_verify_listing' -l restore-dir -x -a '(__fish_complete_directories)' -d 'Restore into this empty directory'
complete -c backup-verify -n 'not __backup_verify_listing' -l keep -d 'Keep the restored directory'
complete -c backup-verify -n 'not __backup_verify_listing' -l validate -x -a '(__fish_complete_command)' -d 'Command run on the restored directory'
complete -c backup-verify -n 'not __backup_verify_listing' -l validate-timeout -x -a '1m 10m 1h' -d 'Kill --validate after this long (default 10m)'
