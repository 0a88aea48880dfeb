#!/usr/bin/env python3
"""SEAL's side of the CKKS benchmarks: the same operations as Benchmarks/CKKSBenchmarks/CKKSBenchmarks.swift,
timed through seal-python 4.4.0 (one thread), printed as JSON lines with the same names.

Usage:  python3 Benchmarks/seal_ckks.py [--quick] [--filter TEXT]...   (every filter must match)

Each line: {"name": "n=8192 / log(q)=140 / CKKS / Multiply", "median_ns": ..., "p90_ns": ..., "min_ns": ..., "samples": ...}
(log(q) counts the first data level, as the NTT benchmarks do).
Setup (keys, encodings, input ciphertexts) is outside the timed region, as in SEAL's native/bench.
"""
import json
import math
import sys
import time

import numpy as np
import seal

SETS = [(8192, [60, 40, 40, 60], 40), (16384, [60, 40, 40, 40, 40, 60], 40)]


def timed(fn, iterations):
    fn()  # warm-up
    samples = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000.0)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, math.ceil(0.9 * len(samples)) - 1)], samples[0]


def bench_set(n, bits, log_scale, iterations, wanted):
    parms = seal.EncryptionParameters(seal.scheme_type.ckks)
    parms.set_poly_modulus_degree(n)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(n, bits))
    ctx = seal.SEALContext(parms)
    assert ctx.parameters_set(), ctx.parameter_error_message()
    scale = 2.0**log_scale
    encoder = seal.CKKSEncoder(ctx)
    keygen = seal.KeyGenerator(ctx)
    sk = keygen.secret_key()
    pk = keygen.create_public_key()
    rk = keygen.create_relin_keys()
    gk = seal.GaloisKeys()
    keygen.create_galois_keys([1], gk)
    encryptor = seal.Encryptor(ctx, pk, sk)
    decryptor = seal.Decryptor(ctx, sk)
    ev = seal.Evaluator(ctx)
    values = np.sin(0.001 * np.arange(n // 2))
    pt = encoder.encode(values, scale)
    c1 = encryptor.encrypt(pt)
    c2 = encryptor.encrypt(pt)
    product = ev.multiply(c1, c2)
    relinearized = ev.relinearize(product, rk)
    prefix = f"n={n} / log(q)={sum(bits[:-1])} / CKKS / "
    ops = [
        ("Encode", lambda: encoder.encode(values, scale)),
        ("EncryptPublic", lambda: encryptor.encrypt(pt)),
        ("EncryptSymmetric", lambda: encryptor.encrypt_symmetric(pt)),
        ("DecryptDecode", lambda: encoder.decode(decryptor.decrypt(c1))),
        ("Decrypt", lambda: decryptor.decrypt(c1)),
        ("Decode", lambda: encoder.decode(pt)),
        ("Add", lambda: ev.add(c1, c2)),
        ("MultiplyPlain", lambda: ev.multiply_plain(c1, pt)),
        ("Multiply", lambda: ev.multiply(c1, c2)),
        ("Relinearize", lambda: ev.relinearize(product, rk)),
        ("Rescale", lambda: ev.rescale_to_next(relinearized)),
        ("Rotate", lambda: ev.rotate_vector(c1, 1, gk)),
    ]
    # k independent rotations by steps 1..k (SEAL has no hoisting): the baseline of Rotations x{k} hoisted in
    # Benchmarks/CKKSBenchmarks/RotateHoistedBenchmarks.swift. Their keys only when a filter selects them.
    step_counts = [1, 4, 8, 16]
    if any(all(w in prefix + f"Rotations x{k} single" for w in wanted) for k in step_counts):
        gk_steps = seal.GaloisKeys()
        keygen.create_galois_keys(list(range(1, max(step_counts) + 1)), gk_steps)
        for k in step_counts:
            ops.append((f"Rotations x{k} single", lambda k=k: [ev.rotate_vector(c1, s, gk_steps) for s in range(1, k + 1)]))
    for op, fn in ops:
        name = prefix + op
        if not all(w in name for w in wanted):
            continue
        median, p90, fastest = timed(fn, iterations)
        print(json.dumps({"name": name, "median_ns": round(median * 1000), "p90_ns": round(p90 * 1000),
                          "min_ns": round(fastest * 1000),
                          "samples": iterations, "library": "seal-python " + seal.__version__}), flush=True)


def main(argv):
    quick = "--quick" in argv
    wanted = [argv[i + 1] for i, a in enumerate(argv) if a == "--filter" and i + 1 < len(argv)]
    for n, bits, log_scale in SETS:
        if any(f"n={n} " in w or f"n={n} /" in w for w in wanted) or not any(w.startswith("n=") for w in wanted):
            bench_set(n, bits, log_scale, 5 if quick else 30, wanted)


if __name__ == "__main__":
    main(sys.argv[1:])
