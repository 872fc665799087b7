#!/usr/bin/env python3
"""isf_validate.py - checks ISF files against Volatility 3's JSON Schema.

usage: isf_validate.py [--schema PATH] FILE...

The schema is ../shared/isf/schema-6.3.0.json beside the repository (or
$CLOUDPROBE_ISF_SCHEMA, or --schema). A fresh clone elsewhere has neither
it nor, perhaps, python3-jsonschema: then this says so and exits 77
(skipped), which test_isf.c reports instead of failing.

Exit status: 0 all valid, 1 a file is invalid (the first error is printed),
2 usage, 77 skipped.
"""
import json
import os
import sys

SKIP = 77


def find_schema(explicit):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
    for path in (explicit, os.environ.get("CLOUDPROBE_ISF_SCHEMA"),
                 os.path.join(repo, "..", "shared", "isf", "schema-6.3.0.json")):
        if path and os.path.isfile(path):
            return os.path.normpath(path)
    return None


def main(argv):
    args = argv[1:]
    schema_path = None
    if len(args) >= 2 and args[0] == "--schema":
        schema_path, args = args[1], args[2:]
    if not args:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    schema_path = find_schema(schema_path)
    if not schema_path:
        print("isf_validate: SKIPPED: no ISF schema (../shared/isf is absent)")
        return SKIP
    try:
        import jsonschema
    except ImportError:
        print("isf_validate: SKIPPED: python3-jsonschema is not installed")
        return SKIP
    with open(schema_path) as f:
        schema = json.load(f)
    validator = jsonschema.Draft4Validator(schema)
    for path in args:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.path) or "(top)"
            print(f"isf_validate: {path}: INVALID at {where}: {e.message[:300]}"
                  f" ({len(errors)} errors)")
            return 1
        print(f"isf_validate: {path}: valid against {os.path.basename(schema_path)}"
              f" ({len(doc['user_types'])} user types, {len(doc['symbols'])} symbols)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
