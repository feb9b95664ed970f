#!/usr/bin/env bash
# scripts/example.sh — build, generate the Go README's 3-node example into
# ./example-state and show it (`./run.sh example`, `just example`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bin=build/op-conductor-init
rm -rf example-state
"$bin" raft generate \
	--nodes sequencer-1.sequencer-headless.default.svc.cluster.local:50050,sequencer-2.sequencer-headless.default.svc.cluster.local:50050,sequencer-3.sequencer-headless.default.svc.cluster.local:50050 \
	--server-ids sequencer-1,sequencer-2,sequencer-3 \
	--initial-leader sequencer-1 \
	--output-dir ./example-state
find example-state -type f -exec ls -l {} +
"$bin" raft info --state-dir ./example-state/sequencer-1
