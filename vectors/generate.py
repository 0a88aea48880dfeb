#!/usr/bin/env python3
"""Regenerates the SEAL test vectors in this folder.

Usage:  pip install seal-python==4.4.0 && python3 vectors/generate.py [PART ...]

Each part lives in its own module beside this file (gen_<part>.py, with a `main(out_dir)` function) and
writes under vectors/<part>/. With no argument every part is regenerated. Vectors are never hand-edited.
"""
import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def parts():
    return sorted(p.stem[len("gen_"):] for p in HERE.glob("gen_*.py"))


def main(argv):
    wanted = argv[1:] or parts()
    sys.path.insert(0, str(HERE))
    for part in wanted:
        if part not in parts():
            sys.exit(f"generate.py: no part named {part!r} (have: {', '.join(parts())})")
        out = HERE / part
        out.mkdir(exist_ok=True)
        importlib.import_module(f"gen_{part}").main(out)
        print(f"generate.py: wrote vectors/{part}/")


if __name__ == "__main__":
    main(sys.argv)
