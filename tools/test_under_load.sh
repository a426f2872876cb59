#!/usr/bin/env bash
# `make test` RUNS times in a row (default 3) while one busy loop per CPU keeps every core busy, as
# on a shared CI runner or a student's laptop running Jupyter: the suite must stay green there.
#   tools/test_under_load.sh        # three runs
#   tools/test_under_load.sh 1      # one
set -u
runs=${1:-3}
cd "$(dirname "$0")/.."
failed=0
loops=()
trap 'kill "${loops[@]}" 2>/dev/null' EXIT  # Ctrl-C or an error must not leave the loops spinning
for run in $(seq "$runs"); do
    loops=()
    for _ in $(seq "$(nproc)"); do
        python3 -c "while True: pass" &
        loops+=($!)
    done
    sleep 5
    echo "run $run: $(uptime)"
    start=$(date +%s)
    if make test; then verdict=passed; else verdict=FAILED; failed=1; fi
    echo "run $run: $verdict in $(( $(date +%s) - start )) s; $(uptime)"
    kill "${loops[@]}"
    wait "${loops[@]}" 2>/dev/null
done
exit $failed
