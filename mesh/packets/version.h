// The mesh-security channel version and its negotiation rules
// (mesh-consumer-ibc.md §5.2, test vectors §7-D).
//
// The channel version string is the compact JSON of ProtocolVersion,
// `{"protocol":"mesh-security","version":"<semver>"}`. Parsing it is NOT
// strict: unknown fields are ignored for forward compatibility (the only
// non-strict wire type). Versions are compared as semantic versions with the
// ordering of the Rust `semver` crate the reference uses: pre-releases sort
// before the release, and build metadata also takes part in the ordering.
//
// Value types; deterministic; thread-compatible.
#ifndef MESHSEC_MESH_PACKETS_VERSION_H_
#define MESHSEC_MESH_PACKETS_VERSION_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mesh::packets {

inline constexpr std::string_view kProtocolName = "mesh-security";
// Both ends of the reference use 0.11.0 as supported and minimum version
// (its docs say 1.0.0; the code wins, mesh-consumer-ibc.md §8.2).
inline constexpr std::string_view kSupportedVersion = "0.11.0";
inline constexpr std::string_view kMinVersion = "0.11.0";

// A semantic version (semver.org 2.0.0): MAJOR.MINOR.PATCH[-PRE][+BUILD].
// Parse is strict: no leading zeros in numeric fields or numeric pre-release
// identifiers, no empty identifiers, no 'v' prefix, no whitespace.
struct SemVer {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  std::string pre;    // dot-separated identifiers, "" if none
  std::string build;  // dot-separated identifiers, "" if none

  static absl::StatusOr<SemVer> Parse(std::string_view s);
  std::string ToString() const;

  friend bool operator==(const SemVer&, const SemVer&) = default;
  // major, minor, patch numerically; then pre-release (a version without one
  // is greater; identifiers compared numerically / in ASCII order, numeric <
  // alphanumeric, a longer list is greater); then build metadata (absent is
  // least; numeric identifiers by value then by length, numeric <
  // alphanumeric).
  friend std::strong_ordering operator<=>(const SemVer& a, const SemVer& b);
};

struct ProtocolVersion {
  std::string protocol;
  std::string version;

  // The reference's own version: {"protocol":"mesh-security","version":"0.11.0"}.
  static ProtocolVersion Supported();

  // Compact JSON, fields in the order protocol, version.
  std::string Encode() const;
  // Parses the JSON object; unknown fields are ignored; both fields are
  // required strings. InvalidArgument otherwise (an empty string too).
  static absl::StatusOr<ProtocolVersion> Decode(std::string_view json);

  // protocol must be "mesh-security" ("Invalid protocol name: <p>") and
  // version a semantic version ("Invalid version: <v>"). InvalidArgument.
  absl::StatusOr<SemVer> Validate() const;

  // The answer to a proposal at OpenInit / OpenTry: validate; proposed <
  // min -> "Proposed version <p> older than min supported <min>"; proposed
  // major > supported major -> "Proposed version <p> has breaking changes
  // ahead of supported <s>"; else min(proposed, supported).
  // Errors are InvalidArgument.
  absl::StatusOr<ProtocolVersion> BuildResponse(std::string_view supported,
                                                std::string_view min) const;

  // The check at OpenAck: validate; < min -> too old (as above); > supported
  // (full comparison) -> too new (as above). InvalidArgument.
  absl::Status VerifyCompatibility(std::string_view supported, std::string_view min) const;

  friend bool operator==(const ProtocolVersion&, const ProtocolVersion&) = default;
};

}  // namespace mesh::packets

#endif  // MESHSEC_MESH_PACKETS_VERSION_H_
