#!/usr/bin/env python3
"""Transform a SAM template into plain CloudFormation JSON, offline.

Uses the samtranslator package that cfn-lint bundles (the same library `sam deploy` runs
server-side as the AWS::Serverless transform). The tests use it to create the detector stack
in moto's CloudFormation, which has no SAM transform of its own.

usage: sam-translate.py TEMPLATE [--code-uri s3://bucket/key] [--param Name=Value ...] > out.json
"""
import argparse
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The templates name no AWS managed policies by short name, so nothing needs resolving."""

    def load(self):
        return {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("template")
    ap.add_argument("--code-uri", help="replace every function's CodeUri (as `sam package` would)")
    ap.add_argument("--param", action="append", default=[], help="Name=Value")
    args = ap.parse_args()
    with open(args.template) as f:
        tpl = yaml_parse(f.read())
    if args.code_uri:
        for res in tpl.get("Resources", {}).values():
            if res.get("Type") == "AWS::Serverless::Function":
                res["Properties"]["CodeUri"] = args.code_uri
    params = dict(p.split("=", 1) for p in args.param)
    # The translator reads the region from the boto3 session; the detector lives in us-east-1.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    out = transform(tpl, params, NoManagedPolicies())
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
