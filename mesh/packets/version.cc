#include "mesh/packets/version.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/status.h"

namespace mesh::packets {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsIdentChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

absl::StatusOr<uint64_t> ParseNumeric(std::string_view s) {
  if (!IsDigits(s) || (s.size() > 1 && s[0] == '0')) {
    return absl::InvalidArgumentError("bad numeric field");
  }
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return absl::InvalidArgumentError("numeric overflow");
    v = v * 10 + d;
  }
  return v;
}

// Dot-separated, non-empty identifiers of [0-9A-Za-z-]; pre-release numeric
// identifiers may not have leading zeros.
bool ValidIdentifiers(std::string_view s, bool is_pre) {
  for (std::string_view id : SplitDots(s)) {
    if (id.empty()) return false;
    for (char c : id) {
      if (!IsIdentChar(c)) return false;
    }
    if (is_pre && IsDigits(id) && id.size() > 1 && id[0] == '0') return false;
  }
  return true;
}

std::strong_ordering CompareNumericText(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() <=> b.size();
  return a.compare(b) <=> 0;
}

std::strong_ordering ComparePre(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() <=> b.empty();  // release > pre
  std::vector<std::string_view> x = SplitDots(a), y = SplitDots(b);
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    bool xn = IsDigits(x[i]), yn = IsDigits(y[i]);
    std::strong_ordering o = std::strong_ordering::equal;
    if (xn && yn) o = CompareNumericText(x[i], y[i]);
    else if (xn != yn) o = xn ? std::strong_ordering::less : std::strong_ordering::greater;
    else o = x[i].compare(y[i]) <=> 0;
    if (o != 0) return o;
  }
  return x.size() <=> y.size();
}

std::strong_ordering CompareBuild(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return !a.empty() <=> !b.empty();  // absent is least
  std::vector<std::string_view> x = SplitDots(a), y = SplitDots(b);
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    bool xn = IsDigits(x[i]), yn = IsDigits(y[i]);
    std::strong_ordering o = std::strong_ordering::equal;
    if (xn && yn) {
      // By value (leading zeros ignored), then the shorter text first.
      std::string_view xv = x[i].substr(std::min(x[i].find_first_not_of('0'), x[i].size()));
      std::string_view yv = y[i].substr(std::min(y[i].find_first_not_of('0'), y[i].size()));
      o = CompareNumericText(xv, yv);
      if (o == 0) o = x[i].size() <=> y[i].size();
    } else if (xn != yn) {
      o = xn ? std::strong_ordering::less : std::strong_ordering::greater;
    } else {
      o = x[i].compare(y[i]) <=> 0;
    }
    if (o != 0) return o;
  }
  return x.size() <=> y.size();
}

absl::Status TooOld(std::string_view proposed, std::string_view min) {
  return absl::InvalidArgumentError(absl::StrCat("Proposed version ", Sv(proposed),
                                                 " older than min supported ", Sv(min)));
}

absl::Status TooNew(std::string_view proposed, std::string_view supported) {
  return absl::InvalidArgumentError(absl::StrCat(
      "Proposed version ", Sv(proposed), " has breaking changes ahead of supported ", Sv(supported)));
}

}  // namespace

absl::StatusOr<SemVer> SemVer::Parse(std::string_view s) {
  absl::Status bad = absl::InvalidArgumentError(absl::StrCat("Invalid version: ", Sv(s)));
  SemVer v;
  size_t plus = s.find('+');
  if (plus != std::string_view::npos) {
    v.build = std::string(s.substr(plus + 1));
    if (!ValidIdentifiers(v.build, false)) return bad;
    s = s.substr(0, plus);
  }
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    v.pre = std::string(s.substr(dash + 1));
    if (!ValidIdentifiers(v.pre, true)) return bad;
    s = s.substr(0, dash);
  }
  std::vector<std::string_view> core = SplitDots(s);
  if (core.size() != 3) return bad;
  absl::StatusOr<uint64_t> major = ParseNumeric(core[0]);
  absl::StatusOr<uint64_t> minor = ParseNumeric(core[1]);
  absl::StatusOr<uint64_t> patch = ParseNumeric(core[2]);
  if (!major.ok() || !minor.ok() || !patch.ok()) return bad;
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  return v;
}

std::string SemVer::ToString() const {
  std::string out = absl::StrCat(major, ".", minor, ".", patch);
  if (!pre.empty()) absl::StrAppend(&out, "-", pre);
  if (!build.empty()) absl::StrAppend(&out, "+", build);
  return out;
}

std::strong_ordering operator<=>(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major <=> b.major;
  if (a.minor != b.minor) return a.minor <=> b.minor;
  if (a.patch != b.patch) return a.patch <=> b.patch;
  std::strong_ordering o = ComparePre(a.pre, b.pre);
  if (o != 0) return o;
  return CompareBuild(a.build, b.build);
}

ProtocolVersion ProtocolVersion::Supported() {
  return ProtocolVersion{std::string(kProtocolName), std::string(kSupportedVersion)};
}

std::string ProtocolVersion::Encode() const {
  Json j = Json::Object();
  j.Add("protocol", Json::Str(protocol)).Add("version", Json::Str(version));
  return j.Write();
}

absl::StatusOr<ProtocolVersion> ProtocolVersion::Decode(std::string_view json) {
  MESH_ASSIGN_OR_RETURN(Json j, Json::Parse(json));
  MESH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j, "ProtocolVersion"));
  ProtocolVersion v;
  MESH_ASSIGN_OR_RETURN(v.protocol, f.String("protocol"));
  MESH_ASSIGN_OR_RETURN(v.version, f.String("version"));
  return v;  // not strict: f.Finish() deliberately not called
}

absl::StatusOr<SemVer> ProtocolVersion::Validate() const {
  if (protocol != kProtocolName) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid protocol name: ", protocol));
  }
  return SemVer::Parse(version);
}

absl::StatusOr<ProtocolVersion> ProtocolVersion::BuildResponse(std::string_view supported,
                                                               std::string_view min) const {
  MESH_ASSIGN_OR_RETURN(SemVer proposed, Validate());
  MESH_ASSIGN_OR_RETURN(SemVer sup, SemVer::Parse(supported));
  MESH_ASSIGN_OR_RETURN(SemVer lowest, SemVer::Parse(min));
  if (proposed < lowest) return TooOld(version, min);
  if (proposed.major > sup.major) return TooNew(version, supported);
  const SemVer& chosen = proposed < sup ? proposed : sup;
  return ProtocolVersion{std::string(kProtocolName), chosen.ToString()};
}

absl::Status ProtocolVersion::VerifyCompatibility(std::string_view supported,
                                                  std::string_view min) const {
  MESH_ASSIGN_OR_RETURN(SemVer v, Validate());
  MESH_ASSIGN_OR_RETURN(SemVer sup, SemVer::Parse(supported));
  MESH_ASSIGN_OR_RETURN(SemVer lowest, SemVer::Parse(min));
  if (v < lowest) return TooOld(version, min);
  if (v > sup) return TooNew(version, supported);
  return absl::OkStatus();
}

}  // namespace mesh::packets
