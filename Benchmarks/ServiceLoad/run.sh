#!/usr/bin/env bash
# Load on the owner's service (privdnn-owner serve) over loopback, bounded in count and time: U users at once,
# each sending R one-image MNIST (1,1) request chunks and B 5,000-image ones (re-sending the same chunk: the
# service is stateless per chunk), then requests per second, p50/p99 latency, errors and the server's peak RSS
# (VmHWM) as one JSON line.
#
#   swift build -c release --product privdnn --product privdnn-owner
#   Benchmarks/ServiceLoad/run.sh [USERS=4] [ONE_IMAGE_PER_USER=5] [BIG_PER_USER=1]
#
# Each request is one chunk decrypted at N = 16384 with every core; the client is curl (-T streams the chunk;
# "Expect:" stops curl from waiting a second for a 100-continue the service does not send).
set -euo pipefail
USERS=${1:-4}
SMALL=${2:-5}
BIG=${3:-1}
P=${PRIVDNN:-.build/release/privdnn}
O=${PRIVDNN_OWNER:-.build/release/privdnn-owner}
W=$(mktemp -d /tmp/privdnn-load-XXXXXX)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$W"' EXIT
echo '{"1": [0], "2": [15]}' > "$W/sel.json"
"$P" owner package --model models/lenet5-mnist.safetensors --selection "$W/sel.json" --out "$W/packages/lenet" \
    --keys "$W/keys" --no-cache > /dev/null
IMAGES=data/mnist/t10k-images-idx3-ubyte.gz
"$P" user infer --package "$W/packages/lenet" --images $IMAGES --count 1 --out "$W/one" > /dev/null
"$P" user infer --package "$W/packages/lenet" --images $IMAGES --offset 5000 --count 5000 --out "$W/big" > /dev/null
for u in $(seq 1 "$USERS"); do
    "$P" owner user add --keys "$W/keys" --name "user$u" | tail -1 > "$W/token$u"
done
"$O" serve --keys "$W/keys" --packages "$W/packages" --listen 127.0.0.1:0 --log-level warning > "$W/serve.out" &
SERVER=$!
for _ in $(seq 1 250); do grep -q listening "$W/serve.out" 2>/dev/null && break; sleep 0.02; done
URL=$(sed -n 's/^listening on //p' "$W/serve.out")
send() {  # user, chunk file: one line "status seconds"
    curl -s -o /dev/null --max-time 600 -w '%{http_code} %{time_total}\n' -X POST -T "$2" -H 'Expect:' \
        -H "Authorization: Bearer $(cat "$W/token$1")" -H 'Content-Type: application/octet-stream' "$URL/v1/decrypt" \
        || echo "000 0"
}
START=$(date +%s.%N)
for u in $(seq 1 "$USERS"); do
    (
        for _ in $(seq 1 "$SMALL"); do send "$u" "$W/one/chunk-00000"; done
        for _ in $(seq 1 "$BIG"); do for c in "$W"/big/chunk-*; do send "$u" "$c"; done; done
    ) > "$W/times$u" &
done
wait $(jobs -p | grep -v "^$SERVER\$") 2>/dev/null || true
END=$(date +%s.%N)
PEAK_KB=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
cat "$W"/times* | sort -k2 -g | awk -v start="$START" -v end="$END" -v users="$USERS" -v peak="$PEAK_KB" \
    -v chunk="$(stat -c %s "$W/one/chunk-00000")" '
    { status[NR] = $1; t[NR] = $2; if ($1 != 200) errors++ }
    END {
        n = NR; wall = end - start
        p50 = t[int((n - 1) * 0.50) + 1]; p99 = t[int((n - 1) * 0.99) + 1]
        printf "{\"users\":%d,\"requests\":%d,\"errors\":%d,\"seconds\":%.2f,\"requests_per_second\":%.3f,", users, n, errors + 0, wall, n / wall
        printf "\"p50_seconds\":%.3f,\"p99_seconds\":%.3f,\"server_peak_rss_bytes\":%d,\"chunk_bytes\":%d}\n", p50, p99, peak * 1024, chunk
    }'
