#!/bin/bash
# Interleaved timings of two assetgen installs on two copies of the same site (A, B, A, B,
# ... so that a noisy machine slows both alike), median and best of RUNS each.
#
#   bench/compare_installs.sh EXE_A SITE_A EXE_B SITE_B [RUNS]
#
# EXE: an `assetgen` console script (each in its own runtime-only venv, see README);
# SITE: a copy of bench/verify_bench.py's site, e.g. made with
#   python -c 'import sys; sys.path.insert(0, "bench"); from verify_bench import build_site;
#              from pathlib import Path; build_site(Path("/tmp/site-a"), 2000, 500, 5000)'
#   cp -r /tmp/site-a /tmp/site-b
# The build never reaches the network: its base URL is a closed port.
set -u
exe_a=$1 site_a=$2 exe_b=$3 site_b=$4 runs=${5:-9}
export OPENAI_BASE_URL=http://127.0.0.1:9/v1 OPENAI_API_KEY=sk-bench
unset PYTHONDONTWRITEBYTECODE
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
stats() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print "med " a[int((NR+1)/2)] " best " a[1]}'; }
one() {  # one timed run of $label with install $1 on site $2
  local exe=$1 site=$2
  cd "$site" || exit 1
  case "$label" in
    "verify warm") "$exe" verify >/dev/null 2>&1; ms "$exe" verify ;;
    "verify hook (2 files)") ms "$exe" verify public/img/0/a0.png public/pages/p0/page0.html ;;
    "verify --no-cache") ms "$exe" verify --no-cache ;;
    "verify cold (no .assetgen)") rm -rf .assetgen; ms "$exe" verify ;;
    "build warm") "$exe" build >/dev/null 2>&1; ms "$exe" build ;;
    "build cold (no .assetgen)") rm -rf .assetgen; ms "$exe" build ;;
    "verify notes.txt") echo x > notes.txt; "$exe" verify notes.txt >/dev/null 2>&1
                        ms "$exe" verify notes.txt ;;
    "--help") ms "$exe" --help ;;
  esac
}
for label in "verify warm" "verify hook (2 files)" "verify --no-cache" \
             "verify cold (no .assetgen)" "build warm" "build cold (no .assetgen)" \
             "verify notes.txt" "--help"; do
  a="" b=""
  for _ in $(seq "$runs"); do
    a="$a $(one "$exe_a" "$site_a")"
    b="$b $(one "$exe_b" "$site_b")"
  done
  printf '%-28s A %-20s B %s\n' "$label:" "$(echo $a | stats)" "$(echo $b | stats)"
done
