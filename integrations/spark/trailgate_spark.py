#!/usr/bin/env python3
"""Run trailgate as a Spark job: spread trail objects over executors, scan each partition with
the trailgate binary, and write the findings as JSON Lines.

The rules run in trailgate itself (one binary, the single source of truth for their meaning);
Spark only lists the objects, hands each executor its share on standard input
(`trailgate scan --paths-from -`), and collects what the binaries print. Merge the output into
any report format with `trailgate report --from OUTPUT/part-* --format sarif` (see
docs/scale-out.md).

    spark-submit --files /path/to/trailgate integrations/spark/trailgate_spark.py \\
        --input s3://my-trail-bucket/AWSLogs/ --output s3://my-results/run-1/ \\
        --since 2024-05-01 --until 2024-06-01

Everything after `--` is passed to `trailgate scan` as it is (rule selection, --rules,
--endpoint-url, --s3-concurrency, ...).
"""

import argparse
import os
import shutil
import stat
import subprocess
import sys

# Trail file names, as trailgate's own discovery recognises them (src/source/discover.rs).
TRAIL_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")
# trailgate's exit codes that still mean "the scan ran": 0 clean, 1 findings, 3 some inputs
# unreadable (reported in the output as `error` lines).
SCAN_RAN = (0, 1, 3)


def is_trail_name(key):
    name = key.rsplit("/", 1)[-1]
    return not name.startswith(".") and name.lower().endswith(TRAIL_SUFFIXES)


def list_inputs(inputs, endpoint_url=None):
    """Every trail object or file under each input (s3:// prefix, directory or file), sorted."""
    paths = []
    for item in inputs:
        if item.startswith("s3://"):
            paths.extend(list_s3(item, endpoint_url))
        elif os.path.isdir(item):
            for root, dirs, files in os.walk(item):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                paths.extend(os.path.join(root, f) for f in sorted(files) if is_trail_name(f))
        else:
            paths.append(item)
    return sorted(set(paths))


def list_s3(url, endpoint_url=None):
    import boto3  # on EMR, Glue and Databricks; only needed for s3:// inputs

    bucket, _, prefix = url[len("s3://"):].partition("/")
    client = boto3.client("s3", endpoint_url=endpoint_url)
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(
            "s3://%s/%s" % (bucket, o["Key"])
            for o in page.get("Contents", [])
            if is_trail_name(o["Key"])
        )
    return keys


def read_manifest(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def resolve_binary(name):
    """The trailgate binary on this executor: a path, a file shipped with --files, or PATH."""
    if os.path.isfile(name):
        return name
    try:
        from pyspark import SparkFiles

        shipped = SparkFiles.get(os.path.basename(name))
        if os.path.isfile(shipped):
            # Files shipped with --files may lose their execute bit.
            mode = os.stat(shipped).st_mode
            if not mode & stat.S_IXUSR:
                os.chmod(shipped, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            return shipped
    except Exception:  # not inside Spark, or nothing shipped under that name
        pass
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(
        "trailgate binary %r not found on this executor: ship it with spark-submit --files "
        "(or --py-files/--archives) or install it on every node" % name
    )


def scan_partition(binary, scan_args):
    """A mapPartitions function: scans the partition's paths, yields JSON Lines."""

    def run(paths):
        paths = list(paths)
        if not paths:
            return
        command = [resolve_binary(binary), "scan", "--paths-from", "-", "--quiet",
                   "--fail-on", "never", "-o", "jsonl=-"] + scan_args
        process = subprocess.run(
            command,
            input="\n".join(paths) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        if process.returncode not in SCAN_RAN:
            raise RuntimeError(
                "trailgate exited with %d on %d paths: %s"
                % (process.returncode, len(paths), process.stderr.strip()[-2000:])
            )
        for line in process.stdout.splitlines():
            if line:
                yield line

    return run


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", action="append", help="s3:// prefix, directory or file (repeatable)")
    source.add_argument("--manifest", help="a file listing the paths or s3:// URLs to scan, one a line")
    parser.add_argument("--output", required=True, help="directory for the JSON Lines part files")
    parser.add_argument("--trailgate", default="trailgate", help="the binary: a path, a name shipped with --files, or on PATH")
    parser.add_argument("--partitions", type=int, default=0, help="partitions (default: objects / 64, at least the default parallelism)")
    parser.add_argument("--endpoint-url", help="S3-compatible endpoint, for listing and for trailgate")
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--account", action="append", default=[])
    parser.add_argument("--region", action="append", default=[])
    parser.add_argument("--master", help="Spark master (default: whatever spark-submit set)")
    # Glue adds arguments of its own (--JOB_NAME, --TempDir, ...): noted, not fatal.
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print("trailgate_spark: ignoring arguments %s" % " ".join(unknown), file=sys.stderr)

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("trailgate")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    sc = spark.sparkContext

    paths = read_manifest(args.manifest) if args.manifest else list_inputs(args.input, args.endpoint_url)
    scan_args = list(extra)
    # One trailgate per task slot: as many threads as a task has cores, not the whole node's.
    if not any(a in ("-j", "--threads") or a.startswith(("--threads=", "-j")) for a in extra):
        scan_args += ["--threads", sc.getConf().get("spark.task.cpus", "1")]
    if args.endpoint_url:
        scan_args += ["--endpoint-url", args.endpoint_url]
    for flag, value in (("--since", args.since), ("--until", args.until)):
        if value:
            scan_args += [flag, value]
    for account in args.account:
        scan_args += ["--account", account]
    for region in args.region:
        scan_args += ["--region", region]

    partitions = args.partitions or max(sc.defaultParallelism, (len(paths) + 63) // 64)
    partitions = max(1, min(partitions, len(paths) or 1))
    lines = sc.parallelize(paths, partitions).mapPartitions(scan_partition(args.trailgate, scan_args))
    lines.saveAsTextFile(args.output)
    print("trailgate_spark: %d paths in %d partitions -> %s" % (len(paths), partitions, args.output))
    spark.stop()


if __name__ == "__main__":
    main()
