#!/usr/bin/env bash
# DocC for the documented library modules: builds each catalog with warnings as errors (a broken symbol link or a
# malformed article fails), then fails on any public symbol without a doc comment, which DocC itself only counts
# in its coverage report. Uses its own scratch path so that it neither waits for nor disturbs the test build.
# Usage: bash .ci/check-docs.sh [TARGET...]        (default: NTT CKKS PrivateInference)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(NTT CKKS PrivateInference)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for target in "${targets[@]}"; do
  # Synthesized members (Equatable's !=, protocol extension defaults) have no comment of ours to check.
  swift package --scratch-path .build-docs --allow-writing-to-directory "$out" generate-documentation \
    --target "$target" --output-path "$out/$target" --experimental-skip-synthesized-symbols --warnings-as-errors \
    --experimental-documentation-coverage --coverage-summary-level brief
  python3 - "$target" "$out/$target/documentation-coverage.json" <<'PY'
import json, sys
target, path = sys.argv[1], sys.argv[2]
# A raw-value enum's init(rawValue:) and rawValue and a Codable type's init(from:) are synthesized too, but DocC's
# synthesized-symbol filter keeps them. (None of the documented modules writes one of these by hand.)
synthesized = ("/init(rawValue:)", "/rawValue", "/init(from:)", "/encode(to:)")
missing = sorted(e["referencePath"] for e in json.load(open(path))
                 if e["kind"]["isSymbol"] and not e["hasAbstract"] and not e["referencePath"].endswith(synthesized))
for reference in missing:
    print(f"{target}: no doc comment: {reference}")
if missing:
    sys.exit(f"{target}: {len(missing)} public symbols without a doc comment")
print(f"{target}: every public symbol documented")
PY
done
