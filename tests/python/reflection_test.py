"""meshd's server reflection, used the way grpcurl uses it: `list` (every
service the node serves) and `describe` (the file descriptors of each
service, with everything they import, resolved into a descriptor pool).

    reflection_test.py GEN_DIR HOST:PORT

GEN_DIR holds the stubs gen_stubs.py generated (including the reflection
protocol's own messages). Each service's definition as served must equal the
one compiled from the same .proto files here. Prints "N passed, N failed";
exits 1 on any failure.
"""
import importlib
import os
import sys

GEN = sys.argv[1] if len(sys.argv) > 1 else ""
sys.path.insert(0, GEN)
import grpc  # noqa: E402

grpc.__path__.append(os.path.join(GEN, "grpc"))  # grpc.health.v1 (see grpc_query_test.py)

from google.protobuf import descriptor_pb2  # noqa: E402
from google.protobuf import descriptor_pool  # noqa: E402
from grpc_reflection.v1alpha import reflection_pb2 as refl  # noqa: E402
from grpc_reflection.v1alpha import reflection_pb2_grpc as refl_g  # noqa: E402



def load_generated():
    """Imports every generated *_pb2 module in GEN: their descriptors, in the
    default pool, are the definitions the served ones must equal."""
    for root, _, files in os.walk(GEN):
        for f in sorted(files):
            if f.endswith("_pb2.py"):
                rel = os.path.relpath(os.path.join(root, f[:-3]), GEN)
                importlib.import_module(rel.replace(os.sep, "."))


# Every service meshd must list and describe. More may be listed (each of
# them must be describable too).
EXPECTED = [
    "cosmos.staking.v1beta1.Query",
    "cosmos.bank.v1beta1.Query",
    "cosmos.auth.v1beta1.Query",
    "cosmos.base.tendermint.v1beta1.Service",
    "grpc.health.v1.Health",
    "meshsec.v1.Query",
    "meshsec.v1.Tx",
    "meshsec.v1.ProviderQuery",
    "meshsec.v1.ConsumerQuery",
    "meshsec.v1.SharedSecurityQuery",
    "grpc.reflection.v1alpha.ServerReflection",
]
# Message symbols described the same way (grpcurl describe <message>).
MESSAGES = [
    "cosmos.staking.v1beta1.QueryValidatorsRequest",
    "cosmos.staking.v1beta1.Validator",
    "cosmos.auth.v1beta1.BaseAccount",
    "meshsec.v1.QueryAccountResponse",
]

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


class Reflection:
    """One ServerReflectionInfo stream, one request at a time (as grpcurl)."""

    def __init__(self, address):
        self.channel = grpc.insecure_channel(address)
        self.stub = refl_g.ServerReflectionStub(self.channel)

    def ask(self, **request):
        replies = list(self.stub.ServerReflectionInfo(
            iter([refl.ServerReflectionRequest(**request)]), timeout=10))
        assert len(replies) == 1, f"{len(replies)} replies to one request"
        return replies[0]

    def list_services(self):
        r = self.ask(list_services="")
        return [s.name for s in r.list_services_response.service]

    def files_of(self, symbol):
        """The served FileDescriptorProtos for `symbol`, or an error string."""
        r = self.ask(file_containing_symbol=symbol)
        if r.WhichOneof("message_response") == "error_response":
            return f"error {r.error_response.error_code}: {r.error_response.error_message}"
        return [descriptor_pb2.FileDescriptorProto.FromString(b)
                for b in r.file_descriptor_response.file_descriptor_proto]


def resolve(files, symbol):
    """Adds `files` to a fresh pool in dependency order (as grpcurl does) and
    finds `symbol` there; imports not served are an error."""
    pool = descriptor_pool.DescriptorPool()
    by_name = {f.name: f for f in files}
    added = set()

    def add(name):
        if name in added:
            return
        if name not in by_name:
            raise LookupError(f"import {name} not served")
        for dep in by_name[name].dependency:
            add(dep)
        pool.Add(by_name[name])
        added.add(name)

    for f in files:
        add(f.name)
    return pool


def describe_service(r, name):
    files = r.files_of(name)
    if isinstance(files, str):
        check(False, f"describe {name}: {files}")
        return
    check(len(files) > 0, f"describe {name}: files served")
    package, _, short = name.rpartition(".")
    declaring = [f for f in files if f.package == package and any(s.name == short for s in f.service)]
    check(len(declaring) == 1, f"describe {name}: the declaring file is served first of all: "
                               f"{[f.name for f in files]}")
    if not declaring:
        return
    check(files[0].name == declaring[0].name, f"describe {name}: first file {files[0].name}")
    try:
        pool = resolve(files, name)
        svc = pool.FindServiceByName(name)
    except (LookupError, KeyError, TypeError) as e:
        check(False, f"describe {name}: does not resolve: {e}")
        return
    check(len(svc.methods) > 0, f"describe {name}: methods")
    for m in svc.methods:  # every request/response type resolves
        check(m.input_type.full_name != "" and m.output_type.full_name != "",
              f"{name}/{m.name} types")
    # The served definition equals the one compiled here from the same files.
    served = descriptor_pb2.ServiceDescriptorProto()
    svc.CopyToProto(served)
    try:
        local_svc = descriptor_pool.Default().FindServiceByName(name)
    except KeyError:
        # A service this checkout has no .proto for: described, not compared.
        check(name not in EXPECTED, f"describe {name}: no local definition to compare")
        print(f"{name}: no local definition (served: {[m.name for m in svc.methods]})")
        return
    local = descriptor_pb2.ServiceDescriptorProto()
    local_svc.CopyToProto(local)
    check(served == local, f"describe {name}: served definition differs from the .proto:\n"
                           f"served {served}\nlocal {local}")


def main():
    if len(sys.argv) != 3:
        print("usage: reflection_test.py GEN_DIR HOST:PORT", file=sys.stderr)
        return 2
    load_generated()
    r = Reflection(sys.argv[2])
    listed = r.list_services()
    print(f"list: {', '.join(listed)}")
    for name in EXPECTED:
        check(name in listed, f"list: {name} missing")
    check(len(set(listed)) == len(listed), "list: no duplicates")
    for name in listed:
        describe_service(r, name)
    for msg in MESSAGES:
        files = r.files_of(msg)
        if isinstance(files, str):
            check(False, f"describe {msg}: {files}")
            continue
        try:
            d = resolve(files, msg).FindMessageTypeByName(msg)
            check(len(d.fields) > 0, f"describe {msg}: fields")
        except (LookupError, KeyError, TypeError) as e:
            check(False, f"describe {msg}: {e}")
    # grpcurl: "Symbol not found" for what the node does not serve.
    unknown = r.ask(file_containing_symbol="no.such.Service")
    check(unknown.WhichOneof("message_response") == "error_response" and
          unknown.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0],
          f"unknown symbol: NOT_FOUND error, got {unknown}")
    # Files by name, as a client following imports does.
    by_name = r.ask(file_by_filename="cosmos/staking/v1beta1/staking.proto")
    got = [descriptor_pb2.FileDescriptorProto.FromString(b).name
           for b in by_name.file_descriptor_response.file_descriptor_proto]
    check(got[:1] == ["cosmos/staking/v1beta1/staking.proto"], f"file_by_filename: {got[:3]}")
    r.channel.close()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
