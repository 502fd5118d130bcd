"""Generates the python stubs the python3-grpcio tests import.

    gen_stubs.py --out DIR --protoc PROTOC --plugin GRPC_PYTHON_PLUGIN \
                 --wkt WKT_INCLUDE --path ROOT [--path ROOT ...] FILE...

FILE: the .proto files whose services the tests call, relative to one of the
--path roots (the project's proto/ dir, the Cosmos SDK npm tree, ...).
protoc resolves their imports; every imported file (except the well-known
google/protobuf types, which the python protobuf runtime ships) is generated
too, messages with --python_out and services with grpc_python_plugin.
Nothing generated is committed: DIR is in the build tree.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from google.protobuf import __version__ as protobuf_version
from google.protobuf import descriptor_pb2


def protoc(args, cmd):
    # The well-known types first: the ones matching the python runtime win
    # over any copy in the other roots.
    full = [args.protoc, f"--proto_path={args.wkt}"]
    full += [f"--proto_path={p}" for p in args.path]
    subprocess.run(full + cmd, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--protoc", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--wkt", required=True)
    ap.add_argument("--path", action="append", default=[])
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    # Generated code needs a runtime at least as new as the generator:
    # protoc 3.X.Y (or X.Y) pairs with the python runtime 4.X.Y.
    out = subprocess.run([args.protoc, "--version"], check=True, capture_output=True, text=True)
    protoc_minor = int(out.stdout.split()[-1].split(".")[-2])
    runtime_minor = int(protobuf_version.split(".")[1])
    print(f"gen_stubs: {out.stdout.strip()}, python protobuf {protobuf_version}")
    if runtime_minor < protoc_minor:
        sys.exit(f"gen_stubs: python protobuf {protobuf_version} is older than {out.stdout.strip()}")

    # The import closure, from protoc itself.
    with tempfile.TemporaryDirectory() as tmp:
        desc = os.path.join(tmp, "set.pb")
        protoc(args, ["--include_imports", f"--descriptor_set_out={desc}"] + args.files)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(desc, "rb") as f:
            fds.ParseFromString(f.read())
    files = [f.name for f in fds.file if not f.name.startswith("google/protobuf/")]
    with_services = [f.name for f in fds.file if f.service and f.name in files]

    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    protoc(args, [f"--python_out={args.out}"] + files)
    protoc(args, [f"--plugin=protoc-gen-grpc_python={args.plugin}",
                  f"--grpc_python_out={args.out}"] + with_services)
    print(f"gen_stubs: {len(files)} files, {len(with_services)} with services -> {args.out}")


if __name__ == "__main__":
    sys.exit(main())
