#!/usr/bin/env python3
"""Times SEAL's NTT through seal-python 4.4.0, matching NTTBenchmarks.swift: a fresh CKKS ciphertext (size 2,
first data level) goes through Evaluator.transform_from_ntt_inplace and transform_to_ntt_inplace; each time
is also divided by the number of limbs transformed (2 polynomials x data-level primes).

Prints JSON lines with the same names as the Swift benchmarks' "ciphertext" entries.
Usage: python3 Benchmarks/seal_ntt.py [--quick] [--samples N]
"""
import json
import statistics
import sys
import time

import seal

PARAMETER_SETS = [
    (4096, [36, 36, 37]),
    (8192, [60, 40, 40, 60]),
    (16384, [60, 40, 40, 40, 40, 40, 40, 60]),
    (32768, [60] + [40] * 14 + [60]),
]


def measure(degree, bits, samples):
    parms = seal.EncryptionParameters(seal.scheme_type.ckks)
    parms.set_poly_modulus_degree(degree)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(degree, bits))
    context = seal.SEALContext(parms, True, seal.sec_level_type.none)
    keygen = seal.KeyGenerator(context)
    encryptor = seal.Encryptor(context, keygen.create_public_key())
    encoder = seal.CKKSEncoder(context)
    evaluator = seal.Evaluator(context)
    ct = encryptor.encrypt(encoder.encode([0.5] * (degree // 2), 2.0 ** 30))
    limbs = 2 * (len(bits) - 1)
    forward, inverse = [], []
    # Each call transforms 2 x (k-1) limbs, at least ~100 us, so timing calls one by one costs under 0.2 %.
    # A sample is the mean over a batch of calls lasting a few milliseconds.
    batch = max(1, 2_000_000 // (degree * limbs))
    for round_index in range(samples + 2):
        spent_inverse = spent_forward = 0
        for _ in range(batch):
            t0 = time.perf_counter_ns()
            evaluator.transform_from_ntt_inplace(ct)
            t1 = time.perf_counter_ns()
            evaluator.transform_to_ntt_inplace(ct)
            t2 = time.perf_counter_ns()
            spent_inverse += t1 - t0
            spent_forward += t2 - t1
        if round_index >= 2:  # the first two rounds warm up
            inverse.append(spent_inverse / batch)
            forward.append(spent_forward / batch)
    log_q = sum(bits[:-1])
    prefix = f"n={degree} / log(q)={log_q} / NTT"
    for name, times in (("forward ciphertext", forward), ("inverse ciphertext", inverse)):
        median = statistics.median(times)
        print(json.dumps({"name": f"{prefix} / {name}", "engine": "SEAL 4.4 (seal-python)",
                          "median_ns": round(median), "units": limbs,
                          "median_ns_per_unit": round(median / limbs), "samples": len(times)}), flush=True)


def main(argv):
    quick = "--quick" in argv
    samples = 3 if quick else 15
    if "--samples" in argv:
        samples = int(argv[argv.index("--samples") + 1])
    for degree, bits in PARAMETER_SETS[:1] if quick else PARAMETER_SETS:
        measure(degree, bits, samples)


if __name__ == "__main__":
    main(sys.argv)
