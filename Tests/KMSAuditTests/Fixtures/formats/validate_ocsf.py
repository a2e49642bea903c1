#!/usr/bin/env python3
"""Validates every event of a kmsaudit OCSF report against the published OCSF JSON schema.

usage: validate_ocsf.py REPORT.ocsf.json

The schema comes from the PyPI package `ocsf-json-schema`, which ships the OCSF schema of every
release (1.0.0 .. 1.8.0) and generates JSON Schema (draft 2020-12) for a class with profiles;
the events are checked with `jsonschema`. Each event is validated against the class its
`class_uid` names, in the version its `metadata.version` names, with the profiles its
`metadata.profiles` lists. Prints one line per event class and count, one per error, and exits
0 when every event is valid, 1 when any is not, 3 when the packages are missing.
"""
import json
import sys

try:
    import jsonschema
    from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema
except ImportError as error:  # pragma: no cover
    print(f"missing Python package: {error.name} (pip install ocsf-json-schema jsonschema)")
    sys.exit(3)


def main(path):
    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    if not isinstance(events, list) or not events:
        print("the report is not a non-empty JSON array")
        return 1
    schemas = {}
    counts = {}
    errors = 0
    for index, event in enumerate(events):
        version = event.get("metadata", {}).get("version")
        profiles = tuple(sorted(event.get("metadata", {}).get("profiles", [])))
        key = (version, event.get("class_uid"), profiles)
        if key not in schemas:
            ocsf = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=version))
            name = ocsf.lookup_class_name_from_uid(event["class_uid"])
            schemas[key] = jsonschema.Draft202012Validator(
                ocsf.get_class_schema(name, list(profiles)), format_checker=jsonschema.FormatChecker())
        counts[key] = counts.get(key, 0) + 1
        for error in schemas[key].iter_errors(event):
            errors += 1
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"event {index} ({event.get('finding_info', {}).get('uid')}): {where}: {error.message[:300]}")
    for (version, class_uid, profiles), n in sorted(counts.items()):
        print(f"valid-against OCSF {version} class {class_uid} profiles {','.join(profiles)}: {n} events")
    print(f"{len(events)} events, {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
