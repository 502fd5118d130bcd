#include "mesh/packets/version.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mesh::packets {
namespace {

ProtocolVersion Mesh(std::string v) { return ProtocolVersion{"mesh-security", std::move(v)}; }

void ExpectError(const absl::Status& st, const std::string& message) {
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(std::string(st.message()), message);
}

// 7-D D1 validate_works.
TEST(VersionTest, D1Validate) {
  absl::StatusOr<SemVer> v = Mesh("1.2.3").Validate();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (SemVer{1, 2, 3, "", ""}));
  EXPECT_TRUE(Mesh("1.3.2-alpha.1").Validate().ok());
  ExpectError(Mesh("1.2.3a").Validate().status(), "Invalid version: 1.2.3a");
  ExpectError(ProtocolVersion{"mashup-security", "1.2.3"}.Validate().status(),
              "Invalid protocol name: mashup-security");
}

// 7-D D2 to_string_works.
TEST(VersionTest, D2Encode) {
  EXPECT_EQ(Mesh("1.2.3").Encode(), R"({"protocol":"mesh-security","version":"1.2.3"})");
  EXPECT_EQ(ProtocolVersion::Supported().Encode(),
            R"({"protocol":"mesh-security","version":"0.11.0"})");
}

// 7-D D3 build_response_works (supported 1.2.3, min 1.0.2).
TEST(VersionTest, D3BuildResponse) {
  auto respond = [](std::string v) { return Mesh(std::move(v)).BuildResponse("1.2.3", "1.0.2"); };
  EXPECT_EQ(respond("1.2.3")->version, "1.2.3");
  EXPECT_EQ(respond("1.3.0")->version, "1.2.3");
  EXPECT_EQ(respond("1.0.7")->version, "1.0.7");
  EXPECT_EQ(respond("1.0.7")->protocol, "mesh-security");
  ExpectError(respond("2.0.0-alpha.1").status(),
              "Proposed version 2.0.0-alpha.1 has breaking changes ahead of supported 1.2.3");
  ExpectError(respond("1.0.0").status(), "Proposed version 1.0.0 older than min supported 1.0.2");
}

// 7-D D4 verify_compatibility (supported 1.2.3, min 1.0.2).
TEST(VersionTest, D4VerifyCompatibility) {
  auto verify = [](std::string v) { return Mesh(std::move(v)).VerifyCompatibility("1.2.3", "1.0.2"); };
  EXPECT_TRUE(verify("1.2.3").ok());
  ExpectError(verify("1.3.0"), "Proposed version 1.3.0 has breaking changes ahead of supported 1.2.3");
  EXPECT_TRUE(verify("1.0.7").ok());
  ExpectError(verify("2.0.0-alpha.1"),
              "Proposed version 2.0.0-alpha.1 has breaking changes ahead of supported 1.2.3");
  ExpectError(verify("1.0.0"), "Proposed version 1.0.0 older than min supported 1.0.2");
}

// §5.2: with supported = min = 0.11.0 only 0.11.0 can be negotiated.
TEST(VersionTest, ReferenceConstantsNegotiation) {
  auto respond = [](std::string v) {
    return Mesh(std::move(v)).BuildResponse(kSupportedVersion, kMinVersion);
  };
  EXPECT_EQ(respond("0.11.0")->Encode(), R"({"protocol":"mesh-security","version":"0.11.0"})");
  EXPECT_EQ(respond("0.11.5")->version, "0.11.0");
  EXPECT_EQ(respond("0.12.0")->version, "0.11.0");
  EXPECT_FALSE(respond("0.10.0").ok());
  ExpectError(respond("0.11.0-alpha").status(),
              "Proposed version 0.11.0-alpha older than min supported 0.11.0");
  ExpectError(respond("1.0.0").status(),
              "Proposed version 1.0.0 has breaking changes ahead of supported 0.11.0");
  // At OpenAck anything above 0.11.0 is too new.
  EXPECT_TRUE(Mesh("0.11.0").VerifyCompatibility(kSupportedVersion, kMinVersion).ok());
  EXPECT_FALSE(Mesh("0.11.1").VerifyCompatibility(kSupportedVersion, kMinVersion).ok());
}

TEST(VersionTest, DecodeIgnoresUnknownFieldsButNeedsBoth) {
  absl::StatusOr<ProtocolVersion> v =
      ProtocolVersion::Decode(R"({"version":"0.11.0","extra":[1],"protocol":"mesh-security"})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, ProtocolVersion::Supported());
  EXPECT_FALSE(ProtocolVersion::Decode("").ok());
  EXPECT_FALSE(ProtocolVersion::Decode("{}").ok());
  EXPECT_FALSE(ProtocolVersion::Decode(R"({"protocol":"mesh-security"})").ok());
  EXPECT_FALSE(ProtocolVersion::Decode(R"({"protocol":"mesh-security","version":1})").ok());
  EXPECT_FALSE(ProtocolVersion::Decode("ics20-1").ok());
}

TEST(VersionTest, SemVerParseStrict) {
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3",
                          " 1.2.3", "1.2.3 ", "1.2.3-", "1.2.3+", "1.2.3-a..b", "1.2.3-01",
                          "1.2.3-a_b", "1.2.3+a..b", "18446744073709551616.0.0", "-1.2.3"}) {
    EXPECT_FALSE(SemVer::Parse(bad).ok()) << bad;
  }
  absl::StatusOr<SemVer> v = SemVer::Parse("1.2.3-rc.1-x+build.007");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->pre, "rc.1-x");
  EXPECT_EQ(v->build, "build.007");
  EXPECT_EQ(v->ToString(), "1.2.3-rc.1-x+build.007");
  EXPECT_TRUE(SemVer::Parse("0.0.0").ok());
  EXPECT_TRUE(SemVer::Parse("18446744073709551615.0.0").ok());
}

TEST(VersionTest, SemVerOrdering) {
  // semver.org §11 example chain, then build metadata (semver crate order).
  std::vector<std::string> ascending = {
      "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
      "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.0+0", "1.0.0+00", "1.0.0+1", "1.0.0+01",
      "1.0.0+2", "1.0.0+10", "1.0.0+a", "1.0.0+a.1", "1.0.1", "1.1.0", "1.10.0", "2.0.0"};
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t k = 0; k < ascending.size(); ++k) {
      SemVer a = *SemVer::Parse(ascending[i]);
      SemVer b = *SemVer::Parse(ascending[k]);
      EXPECT_EQ(a < b, i < k) << ascending[i] << " vs " << ascending[k];
      EXPECT_EQ(a == b, i == k) << ascending[i] << " vs " << ascending[k];
    }
  }
}

}  // namespace
}  // namespace mesh::packets
