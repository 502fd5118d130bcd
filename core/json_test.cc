#include "core/json.h"

#include <string>

#include "gtest/gtest.h"

namespace mesh {
namespace {

Json ParseOk(std::string_view s) {
  absl::StatusOr<Json> j = Json::Parse(s);
  EXPECT_TRUE(j.ok()) << s << ": " << j.status();
  return j.ok() ? *j : Json();
}

void ExpectRejected(std::string_view s) {
  absl::StatusOr<Json> j = Json::Parse(s);
  EXPECT_FALSE(j.ok()) << "accepted: " << s;
  if (!j.ok()) {
    EXPECT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(JsonTest, WritesCompactInInsertionOrder) {
  Json coin = Json::Object();
  coin.Add("denom", Json::Str("uosmo")).Add("amount", Json::Str("1000"));
  Json body = Json::Object();
  body.Add("tx_id", Json::U64(17)).Add("stake", coin).Add("list", Json::Array());
  body.Add("none", Json::Null()).Add("yes", Json::Bool(true)).Add("no", Json::Bool(false));
  EXPECT_EQ(body.Write(),
            R"({"tx_id":17,"stake":{"denom":"uosmo","amount":"1000"},"list":[],)"
            R"("none":null,"yes":true,"no":false})");
  EXPECT_EQ(Json::Object().Write(), "{}");
}

TEST(JsonTest, U64AboveTwoToThe53RoundTripsExactly) {
  // 2^53 + 1 is not representable as a double; 2^63 is the first external
  // staking tx id; 2^64 - 1 is the largest u64.
  for (uint64_t v : {uint64_t{9007199254740993ULL}, uint64_t{9223372036854775808ULL},
                     uint64_t{9223372036854775809ULL}, UINT64_MAX, uint64_t{0}}) {
    std::string text = std::to_string(v);
    Json j = ParseOk(text);
    ASSERT_TRUE(j.AsU64().ok());
    EXPECT_EQ(*j.AsU64(), v);
    EXPECT_EQ(j.Write(), text);
    EXPECT_EQ(Json::U64(v).Write(), text);
  }
}

TEST(JsonTest, AsU64RejectsNonIntegersAndOverflow) {
  EXPECT_FALSE(ParseOk("18446744073709551616").AsU64().ok());  // 2^64
  EXPECT_FALSE(ParseOk("-1").AsU64().ok());
  EXPECT_FALSE(ParseOk("1.0").AsU64().ok());
  EXPECT_FALSE(ParseOk("1e2").AsU64().ok());
  EXPECT_FALSE(ParseOk("\"5\"").AsU64().ok());
  EXPECT_FALSE(ParseOk("null").AsU64().ok());
  // Other numbers are kept verbatim.
  EXPECT_EQ(ParseOk("-12.5e-3").Write(), "-12.5e-3");
}

TEST(JsonTest, StrictGrammar) {
  for (const char* bad :
       {"", " ", "{", "[1,]", "{\"a\":1,}", "01", "+1", "1.", ".5", "1e", "NaN", "Infinity",
        "nul", "tru", "[1 2]", "{\"a\" 1}", "{a:1}", "'x'", "\"abc", "1 2", "{}x", "// c\n1",
        "\"\\x\"", "\"\\u12\"", "\"a\tb\"", "{\"a\":1,\"a\":2}"}) {
    ExpectRejected(bad);
  }
  ParseOk(" \n\t{ \"a\" : [ 1 , 2 ] }\r\n");
}

TEST(JsonTest, StringEscapesRoundTrip) {
  Json j = ParseOk(R"("q\"b\\s\/n\nt\tu\u0041\u00e9\ud83d\ude00\u0001")");
  EXPECT_EQ(j.text(), "q\"b\\s/n\nt\tuA\xC3\xA9\xF0\x9F\x98\x80\x01");
  // serde-json-wasm output: '/' unescaped, non-ASCII raw, \u00XX upper case.
  EXPECT_EQ(j.Write(), "\"q\\\"b\\\\s/n\\nt\\tuA\xC3\xA9\xF0\x9F\x98\x80\\u0001\"");
  EXPECT_EQ(Json::Str("\x1f\b\f\r").Write(), R"("\u001F\b\f\r")");
}

TEST(JsonTest, RejectsBadUnicode) {
  ExpectRejected(R"("\ud83d")");         // lone high surrogate
  ExpectRejected(R"("\ude00")");         // lone low surrogate
  ExpectRejected(R"("\ud83d\u0041")");   // high surrogate + non-surrogate
  ExpectRejected("\"\xC0\xAF\"");        // overlong '/'
  ExpectRejected("\"\xED\xA0\x80\"");    // UTF-8 encoded surrogate
  ExpectRejected("\"\xF4\x90\x80\x80\"");  // above U+10FFFF
  ExpectRejected("\"\xE2\x82\"");        // truncated
  ExpectRejected("\"\x80\"");            // bare continuation byte
}

TEST(JsonTest, NestingLimit) {
  std::string ok(Json::kMaxDepth, '[');
  ok += std::string(Json::kMaxDepth, ']');
  ParseOk(ok);
  std::string deep(Json::kMaxDepth + 1, '[');
  deep += std::string(Json::kMaxDepth + 1, ']');
  ExpectRejected(deep);
}

TEST(JsonTest, FieldsStrictAndOptional) {
  Json j = ParseOk(R"({"a":"x","b":7,"c":null,"l":["p","q"]})");
  absl::StatusOr<JsonFields> f = JsonFields::Of(j, "T");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f->String("a"), "x");
  EXPECT_EQ(*f->U64("b"), 7u);
  EXPECT_EQ(f->Optional("c"), nullptr);
  EXPECT_EQ(f->Optional("zz"), nullptr);
  // "l" was not read yet: a strict type rejects it.
  absl::Status st = f->Finish();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown field `l`"), std::string::npos) << st;
  EXPECT_EQ(*f->StringList("l"), (std::vector<std::string>{"p", "q"}));
  EXPECT_TRUE(f->Finish().ok());
  EXPECT_NE(f->String("missing").status().message().find("missing field `missing`"),
            std::string::npos);
  EXPECT_FALSE(f->String("b").ok());  // wrong type
  EXPECT_FALSE(JsonFields::Of(ParseOk("[]"), "T").ok());
}

TEST(JsonTest, Variant) {
  auto v = JsonVariant(ParseOk(R"({"stake":{}})"), "P");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first, "stake");
  EXPECT_FALSE(JsonVariant(ParseOk(R"({"a":{},"b":{}})"), "P").ok());
  EXPECT_FALSE(JsonVariant(ParseOk(R"({})"), "P").ok());
  EXPECT_FALSE(JsonVariant(ParseOk(R"("stake")"), "P").ok());
}

TEST(JsonTest, Base64) {
  EXPECT_EQ(Base64Encode("{}"), "e30=");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("\xff\xfe\xfd"), "//79");
  EXPECT_EQ(*Base64Decode("e30="), "{}");
  EXPECT_EQ(*Base64Decode("Zg=="), "f");
  EXPECT_EQ(*Base64Decode("Zm9v"), "foo");
  EXPECT_EQ(*Base64Decode(""), "");
  for (const char* bad : {"e30", "e31=", "Zh==", "Zg=", "Z===", "e3=0", "e30=e30=", "e3 0=",
                          "e30-"}) {
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mesh
