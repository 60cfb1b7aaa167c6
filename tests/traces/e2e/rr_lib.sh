# rr_lib.sh: helpers sourced by the record/replay end-to-end tests.
# Each test sets $hvsim and calls rr_setup; failures go through rr_fail and
# the test ends with rr_done (exit 1 if anything failed).
set -u
rr_ok=1
rr_dir=$(mktemp -d)
trap 'rm -rf "$rr_dir"' EXIT

rr_fail() {
    echo "$(basename "$0"): $*" >&2
    rr_ok=0
}

# The closing "virtual time N s" line of a boot or replay run.
rr_vtime() {
    grep -Eo 'virtual time [0-9]+\.[0-9]+ s, [0-9]+ instructions' "$1"
}

# rr_expect_status NAME GOT WANT
rr_expect_status() {
    [ "$2" -eq "$3" ] || rr_fail "$1: exit status $2, expected $3"
}

# rr_expect_grep NAME FILE PATTERN (extended regex)
rr_expect_grep() {
    if ! grep -Eq -- "$3" "$2"; then
        rr_fail "$1: expected /$3/ in its output, got:"
        sed 's/^/    /' "$2" | tail -5 >&2
    fi
}

rr_done() {
    [ "$rr_ok" = 1 ] && exit 0
    exit 1
}
