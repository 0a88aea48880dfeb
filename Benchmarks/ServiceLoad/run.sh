#!/usr/bin/env bash
# Load on the owner's service (privdnn-owner serve) over loopback, bounded in count and time: USERS users at once,
# each sending ONE one-image MNIST (1,1) requests and then BIG 5,000-image ones, every request a chunk of its own
# (the service decrypts a chunk once: a copy is a stored answer for its user and 409 for another, so re-sending
# one file would measure the replay path), no request started after LIMIT seconds. Prints one JSON line: requests
# per second, p50/p99 latency per kind, non-200 answers, requests not started in time, the server's peak RSS.
#
#   swift build -c release --build-path .build-bench --product privdnn        # no -enable-testing;
#   swift build -c release --build-path .build-bench --product privdnn-owner  # one --product a build
#   PRIVDNN=.build-bench/release/privdnn PRIVDNN_OWNER=.build-bench/release/privdnn-owner \
#       Benchmarks/ServiceLoad/run.sh [USERS=4] [ONE=10] [BIG=1] [LIMIT=300]
#
# One-image requests use a pixels package (`owner package --packing pixels`: one image per chunk, its output
# ciphertexts only); the 5,000-image ones a batch package (images across the slots: 16 ciphertexts per chunk).
# Both come from the same model and selection, each with its key. The chunks are made before the clock starts
# (`user infer --out`: the user's side is not measured). The client is curl (-T streams the chunk; "Expect:" stops
# curl from waiting a second for a 100-continue, as URLSession does not ask for one).
set -euo pipefail
USERS=${1:-4}
ONE=${2:-10}
BIG=${3:-1}
LIMIT=${4:-300}
P=${PRIVDNN:-.build/release/privdnn}
O=${PRIVDNN_OWNER:-.build/release/privdnn-owner}
IMAGES=data/mnist/t10k-images-idx3-ubyte.gz
(( USERS * ONE <= 10000 )) || { echo "USERS × ONE must be at most 10000 (distinct test images)" >&2; exit 2; }
W=$(mktemp -d /tmp/privdnn-load-XXXXXX)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$W"' EXIT
echo '{"1": [0], "2": [15]}' > "$W/sel.json"
for packing in pixels batch; do
    "$P" owner package --model models/lenet5-mnist.safetensors --selection "$W/sel.json" --packing $packing \
        --out "$W/packages/lenet-$packing" --keys "$W/keys" --no-cache > /dev/null
done
PREP=$(date +%s.%N)
for u in $(seq 1 "$USERS"); do
    # Each user's own images (one chunk per image) and own 5,000-image requests.
    "$P" user infer --package "$W/packages/lenet-pixels" --images $IMAGES --offset $(( (u - 1) * ONE )) \
        --count "$ONE" --packing pixels --out "$W/one$u" > /dev/null
    for b in $(seq 1 "$BIG"); do
        "$P" user infer --package "$W/packages/lenet-batch" --images $IMAGES --offset 5000 --count 5000 \
            --out "$W/big$u-$b" > /dev/null
    done
    "$P" owner user add --keys "$W/keys" --name "user$u" | tail -1 > "$W/token$u"
done
PREP=$(echo "$(date +%s.%N) - $PREP" | bc)
"$O" serve --keys "$W/keys" --packages "$W/packages" --listen 127.0.0.1:0 --log-level warning > "$W/serve.out" &
SERVER=$!
for _ in $(seq 1 250); do grep -q listening "$W/serve.out" 2>/dev/null && break; sleep 0.02; done
URL=$(sed -n 's/^listening on //p' "$W/serve.out")
START=$(date +%s.%N)
DEADLINE=$(echo "$START + $LIMIT" | bc)
send() {  # kind, user, chunk file: one line "kind status seconds" (status "late": not started before the limit)
    if (( $(echo "$(date +%s.%N) > $DEADLINE" | bc) )); then echo "$1 late 0"; return; fi
    printf '%s ' "$1"
    curl -s -o /dev/null --max-time "$LIMIT" -w '%{http_code} %{time_total}\n' -X POST -T "$3" -H 'Expect:' \
        -H "Authorization: Bearer $(cat "$W/token$2")" -H 'Content-Type: application/octet-stream' "$URL/v1/decrypt" \
        || true
}
CLIENTS=()
for u in $(seq 1 "$USERS"); do
    (
        for c in "$W/one$u"/chunk-*; do send one "$u" "$c"; done
        for b in $(seq 1 "$BIG"); do for c in "$W/big$u-$b"/chunk-*; do send big "$u" "$c"; done; done
    ) > "$W/times$u" &
    CLIENTS+=($!)
done
wait "${CLIENTS[@]}"
END=$(date +%s.%N)
PEAK_KB=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
cat "$W"/times* | awk -v start="$START" -v end="$END" -v users="$USERS" -v peak="$PEAK_KB" -v prep="$PREP" \
    -v one_bytes="$(stat -c %s "$W/one1/chunk-00000")" -v big_bytes="$(stat -c %s "$W/big1-1/chunk-00000" 2>/dev/null || echo 0)" '
    function pct(kind, p,   n, i, j, v, a) {  # percentile p of the answered requests of one kind ("" for all)
        n = 0
        for (i = 1; i <= NR; i++) if (status[i] != "late" && (kind == "" || kinds[i] == kind)) a[++n] = t[i]
        if (n == 0) return 0
        for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
        i = int(p * n); if (i < p * n) i++; if (i < 1) i = 1  # nearest rank: p99 of 20 is the largest
        return a[i]
    }
    { kinds[NR] = $1; status[NR] = $2; t[NR] = $3
      if ($2 == "late") late++; else { sent++; if ($2 != 200) errors++; count[$1]++ } }
    END {
        wall = end - start
        printf "{\"users\":%d,\"requests\":%d,\"one_image\":%d,\"big\":%d,\"errors\":%d,\"late\":%d,", users, sent, count["one"], count["big"], errors + 0, late + 0
        printf "\"seconds\":%.2f,\"requests_per_second\":%.3f,\"p50_seconds\":%.3f,\"p99_seconds\":%.3f,", wall, sent / wall, pct("", 0.5), pct("", 0.99)
        printf "\"one_p50\":%.3f,\"one_p99\":%.3f,\"big_p50\":%.3f,\"big_p99\":%.3f,", pct("one", 0.5), pct("one", 0.99), pct("big", 0.5), pct("big", 0.99)
        printf "\"server_peak_rss_bytes\":%d,\"one_chunk_bytes\":%d,\"big_chunk_bytes\":%d,\"prep_seconds\":%.1f}\n", peak * 1024, one_bytes, big_bytes, prep
    }'
