#!/usr/bin/env python3
"""Checks that every target's dependencies in Package.swift are exactly the modules its sources import.

SwiftPM's --explicit-target-dependency-import-check only reports an import of a package target that is not
reachable at all; it accepts a module that comes in through another dependency (InferenceBenchmarks importing NTT
through CKKS) and says nothing about a dependency that no file imports. This script checks both directions, for the
fuzz targets too (declared only with PRIVDNN_FUZZ=1). Usage: python3 .ci/check-imports.py (from the package root).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# Modules of the toolchain and the platform, which no manifest declares.
SYSTEM = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Dispatch", "Glibc", "Musl",
    "Darwin", "Synchronization", "Testing", "XCTest", "_Concurrency",
}
IMPORT = re.compile(r"^\s*(?:@testable\s+|@_implementationOnly\s+|(?:public|package|internal)\s+)?import\s+"
                    r"(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?://.*)?$")


def manifest(fuzz):
    env = dict(os.environ, PRIVDNN_FUZZ="1" if fuzz else "0")
    # A scratch path of its own: reading the manifest need not wait for a build holding .build's lock.
    with tempfile.TemporaryDirectory() as scratch:
        out = subprocess.run(["swift", "package", "--scratch-path", scratch, "dump-package"], env=env, check=True,
                             capture_output=True, text=True)
    return json.loads(out.stdout)


def declared(target):
    names = set()
    for dependency in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.add(dependency[kind][0])
    return names


def imported(folder):
    names = set()
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".swift"):
                with open(os.path.join(root, name), encoding="utf-8") as source:
                    for line in source:
                        match = IMPORT.match(line)
                        if match:
                            names.add(match.group(1))
    return names - SYSTEM


def main():
    problems = []
    seen = set()
    for fuzz in (False, True):
        for target in manifest(fuzz)["targets"]:
            if target["type"] in ("system", "binary", "plugin") or target["name"] in seen:
                continue
            seen.add(target["name"])
            folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources",
                                                        target["name"])
            uses, has = imported(folder), declared(target)
            for name in sorted(uses - has):
                problems.append(f"{target['name']} imports {name} without declaring it")
            for name in sorted(has - uses):
                problems.append(f"{target['name']} declares {name} but no file imports it")
    for problem in problems:
        print(f"Package.swift: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
