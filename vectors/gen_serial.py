"""Serialization vectors: SEAL parameter files and the same SEAL objects in all three compression modes.

Writes into vectors/serial/:
- params_<name>.bin: `EncryptionParameters.save` by seal-python 4.4.0 (SEAL 4.4, compression none) for several
  (N, bit sizes); `params.json` lists each case's N, bit sizes, the primes SEAL chose and its key parms_id.
- <object>_zstd.bin for object in parms, sk, pk, rk, gk, pt, ct, ct3: made and saved by the SEAL 4.3 that the
  PyPI wheel `tenseal==0.3.18` bundles (its `tenseal.sealapi` module). That build has zlib and zstd compiled in
  and `save(path)` uses SEAL's default mode, zstd, so these are real SEAL-compressed files (header 4.3, mode 2).
  N = 4096, CoeffModulus.Create(4096, [36, 36, 37]); gk holds step 1 only; pt encodes 0.001 i at scale 2^30;
  ct encrypts it with the public key; ct3 = ct * ct before relinearization (size 3).
- <object>_none.bin: the same object uncompressed, as SEAL 4.3 writes it with compr_mode none: the zstd frame
  inflated (PyPI `zstandard`) behind a header with mode 0 and the exact size (members are deterministic, so
  this is byte for byte SEAL's none output).
- <object>_v44.bin: <object>_none.bin loaded by seal-python 4.4.0 (whose wheel has no zstd) and saved again
  (header 4.4 in every nested object): what our writer must reproduce with SEALVersion.v4_4.
- <object>_zlib.bin: the member bytes of <object>_none.bin compressed as SEAL's zlib mode frames them
  (`Serialization::Save` with compr_mode_type::zlib: the 16-byte header with mode 1 and the compressed size,
  then one zlib stream of the members at Z_DEFAULT_COMPRESSION, nested headers left as they are). Neither
  wheel lets Python pick zlib, so Python's zlib does the deflating; SEAL's reader accepts any valid stream.

Keys and encryptions are random (neither wheel takes a fixed seed here): regenerate the folder as a whole.
"""
import json
import struct
import zlib

import zstandard

import seal
import tenseal.sealapi as ts

PARAM_CASES = [
    ("n4096_36_36_37", 4096, [36, 36, 37]),
    ("n4096_30_20_30_20", 4096, [30, 20, 30, 20]),
    ("n8192_60_40_40_60", 8192, [60, 40, 40, 60]),
    ("n8192_43_43_44_44_44", 8192, [43, 43, 44, 44, 44]),
    ("n16384_60_40x6_60", 16384, [60] + [40] * 6 + [60]),
]

OBJECT_DEGREE = 4096
OBJECT_BITS = [36, 36, 37]
SCALE = 2.0 ** 30


def hex_parms_id(words):
    return " ".join(f"{w:016x}" for w in words)


def write_params(out_dir):
    cases = {}
    for name, n, bits in PARAM_CASES:
        parms = seal.EncryptionParameters(seal.scheme_type.ckks)
        parms.set_poly_modulus_degree(n)
        parms.set_coeff_modulus(seal.CoeffModulus.Create(n, bits))
        parms.save(str(out_dir / f"params_{name}.bin"))
        context = seal.SEALContext(parms, True, seal.sec_level_type.none)
        cases[name] = {
            "degree": n,
            "bits": bits,
            "primes": [q.value() for q in parms.coeff_modulus()],
            "key_parms_id": hex_parms_id(context.key_context_data().parms_id()),
            "first_parms_id": hex_parms_id(context.first_parms_id()),
        }
    (out_dir / "params.json").write_text(json.dumps(cases, indent=2) + "\n")


def make_tenseal_objects(out_dir):
    parms = ts.EncryptionParameters(ts.SCHEME_TYPE.CKKS)
    parms.set_poly_modulus_degree(OBJECT_DEGREE)
    parms.set_coeff_modulus(ts.CoeffModulus.Create(OBJECT_DEGREE, OBJECT_BITS))
    context = ts.SEALContext(parms, True, ts.SEC_LEVEL_TYPE.TC128)
    keygen = ts.KeyGenerator(context)
    sk = keygen.secret_key()
    pk = ts.PublicKey()
    keygen.create_public_key(pk)
    rk = ts.RelinKeys()
    keygen.create_relin_keys(rk)
    gk = ts.GaloisKeys()
    # This overload takes Galois elements (it gave element 1 for [1]): element 3 is the rotation by one step.
    keygen.create_galois_keys([3], gk)
    assert gk.has_key(3) and not gk.has_key(1)
    encoder = ts.CKKSEncoder(context)
    pt = ts.Plaintext()
    encoder.encode([0.001 * i for i in range(OBJECT_DEGREE // 2)], SCALE, pt)
    ct = ts.Ciphertext()
    ts.Encryptor(context, pk).encrypt(pt, ct)
    ct3 = ts.Ciphertext()
    ts.Evaluator(context).multiply(ct, ct, ct3)
    for name, obj in [("parms", parms), ("sk", sk), ("pk", pk), ("rk", rk), ("gk", gk), ("pt", pt), ("ct", ct),
                      ("ct3", ct3)]:
        obj.save(str(out_dir / f"{name}_zstd.bin"))
        header = (out_dir / f"{name}_zstd.bin").read_bytes()[:6]
        assert header[:2] == b"\x5e\xa1" and header[5] == 2, (name, header)


NAMES = ["parms", "sk", "pk", "rk", "gk", "pt", "ct", "ct3"]


def inflate_zstd(out_dir):
    for name in NAMES:
        data = (out_dir / f"{name}_zstd.bin").read_bytes()
        magic, header_size, major, minor, mode, _reserved, size = struct.unpack("<HBBBBHQ", data[:16])
        assert (magic, header_size, mode, size) == (0xA15E, 16, 2, len(data)), name
        members = zstandard.ZstdDecompressor().decompressobj().decompress(data[16:])
        header = struct.pack("<HBBBBHQ", magic, header_size, major, minor, 0, 0, 16 + len(members))
        (out_dir / f"{name}_none.bin").write_bytes(header + members)


def resave_v44(out_dir):
    parms = seal.EncryptionParameters(seal.scheme_type.ckks)
    parms.load(str(out_dir / "parms_none.bin"))
    parms.save(str(out_dir / "parms_v44.bin"))
    context = seal.SEALContext(parms, True, seal.sec_level_type.tc128)
    for name, cls in [("sk", seal.SecretKey), ("pk", seal.PublicKey), ("rk", seal.RelinKeys),
                      ("gk", seal.GaloisKeys), ("pt", seal.Plaintext), ("ct", seal.Ciphertext),
                      ("ct3", seal.Ciphertext)]:
        obj = cls()
        obj.load(context, str(out_dir / f"{name}_none.bin"))
        obj.save(str(out_dir / f"{name}_v44.bin"))
        header = (out_dir / f"{name}_v44.bin").read_bytes()[:6]
        assert header == b"\x5e\xa1\x10\x04\x04\x00", (name, header)


def reframe_zlib(out_dir):
    for name in NAMES:
        data = (out_dir / f"{name}_none.bin").read_bytes()
        magic, header_size, major, minor, mode, _reserved, size = struct.unpack("<HBBBBHQ", data[:16])
        assert (magic, header_size, mode, size) == (0xA15E, 16, 0, len(data)), name
        packed = zlib.compress(data[16:], zlib.Z_DEFAULT_COMPRESSION)
        header = struct.pack("<HBBBBHQ", magic, header_size, major, minor, 1, 0, 16 + len(packed))
        (out_dir / f"{name}_zlib.bin").write_bytes(header + packed)


def main(out_dir):
    write_params(out_dir)
    make_tenseal_objects(out_dir)
    inflate_zstd(out_dir)
    resave_v44(out_dir)
    reframe_zlib(out_dir)
