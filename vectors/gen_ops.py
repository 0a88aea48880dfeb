"""CKKS encoder and evaluator vectors made by seal-python 4.4.0 (`python3 vectors/generate.py ops`).

For each parameter set this writes, under vectors/ops/<set>/:
  parms.bin            SEAL-saved EncryptionParameters
  sk.bin               the secret key (so Swift can decrypt SEAL's ciphertexts and SEAL's outputs)
  pt_real.bin ...      SEAL encodes of the input values in inputs.json
  c1.bin, c2.bin       SEAL encryptions (random: SEAL has no fixed seed in Python) of pt_complex / pt2
  ev_<op>.bin          SEAL's output of each deterministic evaluator op on those inputs
  inputs.json          parameters, primes, scale, input values, the op list with each output's sha256,
                       and SEAL's decode of one decrypted plaintext (exact doubles via repr)

The small set (N=4096) commits every file. The large set (N=8192, [60,40,40,60]) commits only the inputs
(parameters, sk, pt2, c1, c2) and sha256 digests of SEAL's encodes and outputs (key-switching ops at N=8192 are covered by vectors/seal-4.1.2-seeded/).
Every file is written with compression none, so headers carry SEAL version 4.4 (5E A1 10 04 04 ...).
"""
import hashlib
import json
import math
import pathlib

import numpy as np
import seal

SETS = [
    # name, N, bit sizes, log2 scale, rotation steps with Galois keys, write every output file
    ("n4096", 4096, [40, 30, 39], 30, [1, -1, 4], True),
    ("n8192", 8192, [60, 40, 40, 60], 40, [], False),
]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def ct_bytes(ct):
    return ct.to_string(seal.compr_mode_type.none)


def pt_bytes(pt):
    return pt.to_bytes(seal.compr_mode_type.none)


def make_set(out_dir, name, n, bits, log_scale, steps, write_outputs):
    out = out_dir / name
    out.mkdir(parents=True, exist_ok=True)
    parms = seal.EncryptionParameters(seal.scheme_type.ckks)
    parms.set_poly_modulus_degree(n)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(n, bits))
    ctx = seal.SEALContext(parms)
    assert ctx.parameters_set(), ctx.parameter_error_message()
    scale = 2.0**log_scale
    slots = n // 2

    encoder = seal.CKKSEncoder(ctx)
    keygen = seal.KeyGenerator(ctx)
    sk = keygen.secret_key()
    pk = keygen.create_public_key()
    rk = keygen.create_relin_keys()
    encryptor = seal.Encryptor(ctx, pk)
    decryptor = seal.Decryptor(ctx, sk)
    ev = seal.Evaluator(ctx)

    # Inputs: deterministic formulas, stored as exact doubles.
    i = np.arange(slots, dtype=np.float64)
    real = np.cos(0.003 * i) - 0.25
    cre = 0.5 - 0.0004 * i
    cim = np.sin(0.007 * i)
    complex_values = cre + 1j * cim
    values2 = np.sin(0.011 * i + 0.3)
    const = -1.375
    cconst = complex(0.625, -0.125)

    pt_real = encoder.encode(real, scale)
    pt_complex = encoder.encode_complex(complex_values, scale)
    pt2 = encoder.encode(values2, scale)
    pt_const = encoder.encode(const, scale)
    pt_cconst = encoder.encode_complex(cconst, scale)
    plains = {"pt_real": pt_real, "pt_complex": pt_complex, "pt2": pt2, "pt_const": pt_const,
              "pt_cconst": pt_cconst}

    c1 = encryptor.encrypt(pt_complex)
    c2 = encryptor.encrypt(pt2)

    files = {}

    def put(fname, data, always=False):
        files[fname] = sha256(data)
        if write_outputs or always:
            (out / fname).write_bytes(data)

    (out / "parms.bin").write_bytes(parms.to_bytes(seal.compr_mode_type.none))
    sk.save(str(out / "sk.bin"))
    files["sk.bin"] = sha256((out / "sk.bin").read_bytes())
    for key, pt in plains.items():
        put(key + ".bin", pt_bytes(pt), always=(key == "pt2"))
    put("c1.bin", ct_bytes(c1), always=True)
    put("c2.bin", ct_bytes(c2), always=True)

    ops = []

    def op(fname, description, result, inputs):
        data = ct_bytes(result) if isinstance(result, seal.Ciphertext) else pt_bytes(result)
        put(fname, data)
        ops.append({"file": fname, "op": description, "inputs": inputs, "sha256": sha256(data)})

    op("ev_add.bin", "add", ev.add(c1, c2), ["c1.bin", "c2.bin"])
    op("ev_sub.bin", "sub", ev.sub(c1, c2), ["c1.bin", "c2.bin"])
    op("ev_negate.bin", "negate", ev.negate(c1), ["c1.bin"])
    mul = ev.multiply(c1, c2)
    op("ev_mul.bin", "multiply", mul, ["c1.bin", "c2.bin"])
    op("ev_square.bin", "square", ev.square(c1), ["c1.bin"])
    op("ev_mulplain.bin", "multiply-plain", ev.multiply_plain(c1, pt2), ["c1.bin", "pt2.bin"])
    op("ev_addplain.bin", "add-plain", ev.add_plain(c1, pt2), ["c1.bin", "pt2.bin"])
    op("ev_subplain.bin", "sub-plain", ev.sub_plain(c1, pt2), ["c1.bin", "pt2.bin"])
    switched = ev.mod_switch_to_next(c1)
    op("ev_modswitch.bin", "mod-switch", switched, ["c1.bin"])
    pt2_switched = ev.mod_switch_to_next(pt2)
    op("pt2_modswitch.bin", "mod-switch", pt2_switched, ["pt2.bin"])
    op("ev_rescale_mul.bin", "rescale", ev.rescale_to_next(mul), ["ev_mul.bin"])
    if write_outputs:
        (out / "rk.bin").write_bytes(rk.to_string())
        files["rk.bin"] = sha256(rk.to_string())
        relin = ev.relinearize(mul, rk)
        op("ev_relin.bin", "relinearize", relin, ["ev_mul.bin", "rk.bin"])
        rescaled = ev.rescale_to_next(relin)
        op("ev_rescale.bin", "rescale", rescaled, ["ev_relin.bin"])
        op("dec_rescale.bin", "decrypt", decryptor.decrypt(rescaled), ["ev_rescale.bin", "sk.bin"])
    if steps:
        gk = seal.GaloisKeys()
        keygen.create_galois_keys(steps + [0], gk)
        (out / "gk.bin").write_bytes(gk.to_string())
        files["gk.bin"] = sha256(gk.to_string())
        op("ev_rot1.bin", "rotate 1", ev.rotate_vector(c1, 1, gk), ["c1.bin", "gk.bin"])
        op("ev_rotm1.bin", "rotate -1", ev.rotate_vector(c1, -1, gk), ["c1.bin", "gk.bin"])
        op("ev_rot3.bin", "rotate 3", ev.rotate_vector(c1, 3, gk), ["c1.bin", "gk.bin"])
        op("ev_conj.bin", "conjugate", ev.complex_conjugate(c1, gk), ["c1.bin", "gk.bin"])
        op("ev_rot1_level1.bin", "rotate 1", ev.rotate_vector(switched, 1, gk), ["ev_modswitch.bin", "gk.bin"])

    dec_c1 = decryptor.decrypt(c1)
    decoded = encoder.decode(dec_c1)
    doc = {
        "seal_version": seal.__version__,
        "poly_modulus_degree": n,
        "bit_sizes": bits,
        "coeff_modulus": [m.value() for m in parms.coeff_modulus()],
        "scale": scale,
        "rotation_steps_with_keys": steps,
        "values": {
            "pt_real": [float(x) for x in real],
            "pt_complex": {"real": [float(x) for x in cre], "imag": [float(x) for x in cim]},
            "pt2": [float(x) for x in values2],
            "pt_const": const,
            "pt_cconst": {"real": cconst.real, "imag": cconst.imag},
        },
        "encrypted": {"c1.bin": "pt_complex.bin", "c2.bin": "pt2.bin"},
        "ops": ops,
        "decrypt_c1_sha256": sha256(pt_bytes(dec_c1)),
        "decode_decrypt_c1": [float(x) for x in decoded],
        "files_sha256": files,
    }
    assert all(math.isfinite(x) for x in doc["decode_decrypt_c1"])
    (out / "inputs.json").write_text(json.dumps(doc, indent=1) + "\n")


def main(out_dir):
    out_dir = pathlib.Path(out_dir)
    for spec in SETS:
        make_set(out_dir, *spec)


if __name__ == "__main__":
    main(pathlib.Path(__file__).resolve().parent / "ops")
