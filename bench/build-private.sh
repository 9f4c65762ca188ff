#!/bin/sh
# Compiles src/ into bench/.lib (not lib/), for measuring work in progress while others rebuild
# lib/: ASYNQ_BENCH_LIB=bench/.lib node bench/run.mjs … (type errors elsewhere are reported, the
# output is written anyway, as tsc does).
cd "$(dirname "$0")/.." && rm -rf bench/.lib && npx tsc -p tsconfig.json --outDir bench/.lib --declaration false --sourceMap false | tail -3
test -f bench/.lib/lib/index.js
