"""NTT-layer vectors from seal-python 4.4.0 (SEAL 4.4): primes and negacyclic NTT pairs.

Writes into vectors/ntt/:
- primes.json: for many (N, bit sizes), the primes `CoeffModulus.Create` returns (null where SEAL throws
  for lack of primes), plus the
  `CoeffModulus.MaxBitCount` table for N = 1024..32768 at tc128/tc192/tc256.
- pairs.json + pair_<name>_ntt.bin / pair_<name>_coeff.bin: a fresh CKKS ciphertext (NTT form, as SEAL keeps
  CKKS ciphertexts) and the same ciphertext after `Evaluator.transform_from_ntt`, as raw little-endian words
  in SEAL's order (poly p, prime j, coefficient i at word p*k*N + j*N + i). The words are parsed from the
  saved ciphertext bytes (seal-compat.md section 1.4), and the header fields are checked on the way.

The ciphertexts are random (seal-python has no fixed seed); the pair relation is what the tests check.
"""
import json
import random
import struct

import seal

PRIME_CASES = [
    (2, [2]), (2, [3, 3]), (4, [3, 5]), (16, [5, 5, 5]), (1024, [12]), (8, [10, 10, 10]),
    (1024, [27]), (1024, [20, 20, 20]), (1024, [30, 30]),
    (2048, [54]), (2048, [20, 34]), (2048, [50, 40, 50]),
    (4096, [36, 36, 37]), (4096, [60, 40, 40, 60]), (4096, [30, 20, 30, 20, 30]),
    (8192, [60, 40, 40, 60]), (8192, [43, 43, 44, 44, 44]), (8192, [60, 50, 50, 50, 60]),
    (16384, [60, 40, 40, 40, 40, 40, 40, 60]), (16384, [49] * 9),
    (32768, [60] + [40] * 18 + [60]), (32768, [55] * 16),
    (65536, [60, 60, 60]), (131072, [60, 60]),
]

PAIR_CASES = [
    ("n1024", 1024, [30, 30, 30]),
    ("n2048", 2048, [50, 40, 50]),
    ("n4096", 4096, [60, 40, 40, 60]),
]

SECURITY = {"tc128": seal.sec_level_type.tc128, "tc192": seal.sec_level_type.tc192,
            "tc256": seal.sec_level_type.tc256}


def ciphertext_words(data):
    """Parses a saved non-seeded SEAL 4.x ciphertext (compr none) and returns (metadata, words)."""
    magic, header_size, major, minor, compr, _, total = struct.unpack_from("<HBBBBHQ", data, 0)
    assert magic == 0xA15E and header_size == 16 and major == 4 and compr == 0 and total == len(data)
    off = 16 + 32  # header, parms_id
    is_ntt = data[off] != 0
    off += 1
    size, degree, k = struct.unpack_from("<QQQ", data, off)
    off += 24 + 8 + 8  # scale, correction factor
    off += 16  # DynArray header
    (count,) = struct.unpack_from("<Q", data, off)
    off += 8
    assert count == size * degree * k and off + 8 * count == len(data)
    words = list(struct.unpack_from(f"<{count}Q", data, off))
    return {"is_ntt_form": is_ntt, "size": size, "degree": degree, "k": k}, words


def write_words(path, words):
    path.write_bytes(struct.pack(f"<{len(words)}Q", *words))


def main(out_dir):
    primes = []
    for degree, bits in PRIME_CASES:
        try:
            chosen = [m.value() for m in seal.CoeffModulus.Create(degree, bits)]
        except RuntimeError:  # "failed to find enough qualifying primes": recorded as null
            chosen = None
        primes.append({"degree": degree, "bitSizes": bits, "primes": chosen})
    max_bits = [{"degree": n, **{name: seal.CoeffModulus.MaxBitCount(n, level) for name, level in SECURITY.items()}}
                for n in [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]]
    (out_dir / "primes.json").write_text(json.dumps({"create": primes, "maxBitCount": max_bits},
                                                    separators=(",", ":")) + "\n")

    rng = random.Random(20240611)
    pairs = []
    for name, degree, bits in PAIR_CASES:
        parms = seal.EncryptionParameters(seal.scheme_type.ckks)
        parms.set_poly_modulus_degree(degree)
        parms.set_coeff_modulus(seal.CoeffModulus.Create(degree, bits))
        context = seal.SEALContext(parms, True, seal.sec_level_type.none)
        keygen = seal.KeyGenerator(context)
        public_key = keygen.create_public_key()
        encoder = seal.CKKSEncoder(context)
        encryptor = seal.Encryptor(context, public_key)
        evaluator = seal.Evaluator(context)
        values = [rng.uniform(-1, 1) for _ in range(degree // 2)]
        ct = encryptor.encrypt(encoder.encode(values, 2.0 ** 20))
        meta_ntt, ntt_words = ciphertext_words(ct.to_string())
        coeff = evaluator.transform_from_ntt(ct)
        meta_coeff, coeff_words = ciphertext_words(coeff.to_string())
        assert meta_ntt["is_ntt_form"] and not meta_coeff["is_ntt_form"]
        data_primes = [m.value() for m in context.first_context_data().parms().coeff_modulus()]
        assert meta_ntt["k"] == len(data_primes)
        write_words(out_dir / f"pair_{name}_ntt.bin", ntt_words)
        write_words(out_dir / f"pair_{name}_coeff.bin", coeff_words)
        pairs.append({"name": name, "degree": degree, "primes": data_primes, "size": meta_ntt["size"],
                      "ntt": f"pair_{name}_ntt.bin", "coeff": f"pair_{name}_coeff.bin"})
    (out_dir / "pairs.json").write_text(json.dumps({"pairs": pairs}, indent=1) + "\n")
