"""Relinearization of a size-4 ciphertext with keys for s^2 and s^3 (`python3 vectors/generate.py relin4`).

SEAL's public API makes relinearization keys for s^2 only, so the keys come from our tool:
`privdnn ckks keygen --relin-max-power 3` (build it first: `swift build -c release --product privdnn`; set
PRIVDNN to use another binary). seal-python 4.4.0 loads them and does everything else. Writes vectors/relin4/:
  parms.bin   SEAL EncryptionParameters, N = 4096, [40, 30, 39]
  sk.bin      the secret key (Swift-made; SEAL loads it to encrypt and decrypt)
  rk.bin      Swift-made RelinKeys with two entries: index 0 = s^2, index 1 = s^3 (SEAL's KSwitchKeys layout)
  c.bin       a SEAL encryption of `values` at scale 2^22
  relin.bin   SEAL's relinearization of c^2 * c (size 4) switching c3 with s^3, then c2 with s^2
  inputs.json parameters, values, and sha256 digests of SEAL's c^2, c^2 * c and its native relinearize

relin.bin is made with SEAL's own key switching, one component at a time: relinearize((c0, c1, c3)) with a
RelinKeys holding only the s^3 entry, then relinearize((c0', c1', c2)) with rk. SEAL 4.4's relinearize of the
size-4 ciphertext itself passes c3 as the target of both steps (relinearize_internal never moves its iterator)
and never switches c2, so its output decrypts wrongly; inputs.json records its digest and decode error.
"""
import hashlib
import json
import math
import os
import pathlib
import subprocess
import tempfile

import numpy as np
import seal

N = 4096
BITS = [40, 30, 39]
LOG_SCALE = 22
REPO = pathlib.Path(__file__).resolve().parent.parent


def u64(blob, offset):
    return int.from_bytes(blob[offset:offset + 8], "little")


def with_size(header, body):
    """A SEAL object: its 16-byte header with the total size replaced, then the body."""
    return header[:8] + (16 + len(body)).to_bytes(8, "little") + body


def components(ct):
    """Splits a 4.4 ciphertext file into its metadata (up to the data words) and its polynomials."""
    blob = ct.to_string(seal.compr_mode_type.none)
    size, n, k = u64(blob, 49), u64(blob, 57), u64(blob, 65)
    assert u64(blob, 105) == size * n * k, "unexpected ciphertext layout"
    poly = 8 * n * k
    return blob[:113], [blob[113 + i * poly:113 + (i + 1) * poly] for i in range(size)]


def ciphertext(ctx, meta, polys):
    """A ciphertext file with `meta`'s level and scale and the given polynomials."""
    words = sum(len(p) for p in polys) // 8
    array = with_size(meta[89:105], words.to_bytes(8, "little") + b"".join(polys))
    body = meta[16:49] + len(polys).to_bytes(8, "little") + meta[57:89] + array
    ct = seal.Ciphertext()
    ct.load_bytes(ctx, with_size(meta[:16], body))
    return ct


def relin_entry(ctx, blob, index, path):
    """RelinKeys holding only entry `index` of the KSwitchKeys file `blob` (at index 0), loaded by SEAL."""
    # Header (16), parms_id (32), the entry count (8), then per entry its key count and that many keys, each a
    # complete object whose header holds its size.
    entries = []
    count = u64(blob, 48)
    pos = 56
    for _ in range(count):
        start = pos
        keys = u64(blob, pos)
        pos += 8
        for _ in range(keys):
            pos += u64(blob, pos + 8)
        entries.append(blob[start:pos])
    path.write_bytes(with_size(blob[:16], blob[16:48] + (1).to_bytes(8, "little") + entries[index]))
    rk = seal.RelinKeys()
    rk.load(ctx, str(path))
    return rk


def main(out):
    parms = seal.EncryptionParameters(seal.scheme_type.ckks)
    parms.set_poly_modulus_degree(N)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(N, BITS))
    ctx = seal.SEALContext(parms)
    assert ctx.parameters_set(), ctx.parameter_error_message()
    parms.save(str(out / "parms.bin"), seal.compr_mode_type.none)

    tool = os.environ.get("PRIVDNN", str(REPO / ".build/release/privdnn"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [tool, "ckks", "keygen", "--params", str(out / "parms.bin"), "--out", tmp, "--relin-max-power", "3",
             "--rotations", "1"], check=True, stdout=subprocess.DEVNULL)
        tmp = pathlib.Path(tmp)
        (out / "sk.bin").write_bytes((tmp / "secret.key").read_bytes())
        (out / "rk.bin").write_bytes((tmp / "relin.key").read_bytes())
        sk = seal.SecretKey()
        sk.load(ctx, str(out / "sk.bin"))
        rk = seal.RelinKeys()
        rk.load(ctx, str(out / "rk.bin"))
        assert rk.size() == 2
        rk_s3 = relin_entry(ctx, (out / "rk.bin").read_bytes(), 1, tmp / "rk_s3.bin")

    encoder = seal.CKKSEncoder(ctx)
    encryptor = seal.Encryptor(ctx, seal.KeyGenerator(ctx, sk).create_public_key())
    decryptor = seal.Decryptor(ctx, sk)
    evaluator = seal.Evaluator(ctx)
    scale = 2.0**LOG_SCALE
    values = [math.sin(0.37 * i) * 0.9 for i in range(N // 2)]
    c = encryptor.encrypt(encoder.encode(np.array(values), scale))
    square = evaluator.square(c)
    cube = evaluator.multiply(square, c)
    assert cube.size() == 4

    meta, (c0, c1, c2, c3) = components(cube)
    step = evaluator.relinearize(ciphertext(ctx, meta, [c0, c1, c3]), rk_s3)
    _, (d0, d1) = components(step)
    relin = evaluator.relinearize(ciphertext(ctx, meta, [d0, d1, c2]), rk)
    native = evaluator.relinearize(cube, rk)

    expected = np.array(values) ** 3

    def decode_error(ct):
        return float(np.max(np.abs(encoder.decode(decryptor.decrypt(ct)) - expected)))

    def digest(ct):
        return hashlib.sha256(ct.to_string(seal.compr_mode_type.none)).hexdigest()

    c.save(str(out / "c.bin"), seal.compr_mode_type.none)
    relin.save(str(out / "relin.bin"), seal.compr_mode_type.none)
    info = {
        "degree": N,
        "bit_sizes": BITS,
        "coeff_modulus": [m.value() for m in parms.coeff_modulus()],
        "scale": scale,
        "values": values,
        "square_sha256": digest(square),
        "cube_sha256": digest(cube),
        "relin_decode_error": decode_error(relin),
        "native_relin_sha256": digest(native),
        "native_relin_decode_error": decode_error(native),
    }
    (out / "inputs.json").write_text(json.dumps(info, indent=1) + "\n")
