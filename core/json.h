// Json: a small deterministic JSON value, a strict parser and a compact
// writer whose bytes match what the reference contracts emit (CosmWasm's
// serde-json-wasm): no whitespace, object members in insertion order.
//
// Numbers are kept as their exact text (never converted through double), so
// u64 values above 2^53 survive a round trip; AsU64() reads an integer
// without precision loss. Uint128 and Decimal values are JSON strings in the
// reference and are handled by their owners, not here.
//
// Parser (RFC 8259, strict): one value with optional surrounding whitespace;
// no comments, trailing commas, NaN, leading '+' or leading zeros in numbers;
// strings must be valid UTF-8 without raw control characters; \u escapes are
// decoded (surrogate pairs joined, lone surrogates rejected); duplicate object
// keys are rejected; nesting deeper than kMaxDepth is rejected. All parse
// errors are InvalidArgument.
//
// Writer: strings escape '"', '\\', and control characters (\b \t \n \f \r,
// others as \u00XX with upper-case hex, as serde-json-wasm does); all other
// characters, including '/' and non-ASCII UTF-8, are written as they are.
//
// Value type; thread-compatible; deterministic.
#ifndef MESHSEC_CORE_JSON_H_
#define MESHSEC_CORE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mesh {

class Json {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Json>;

  static constexpr int kMaxDepth = 64;

  Json() = default;  // null
  static Json Null() { return Json(); }
  static Json Bool(bool v);
  static Json U64(uint64_t v);
  static Json Str(std::string_view v);
  static Json Array(std::vector<Json> items = {});
  static Json Object();

  // Appends a member (objects only; REQUIRES: kind() == kObject and the key is
  // not present yet). Returns *this so objects can be built in one
  // expression, in the order the fields must be written.
  Json& Add(std::string_view key, Json value);
  // Appends an item (arrays only).
  Json& Push(Json value);

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }

  // Typed reads; InvalidArgument when the kind does not match.
  // AsU64 accepts only an integer number without sign, fraction or exponent
  // that fits in 64 bits (like serde for u64: `1.0`, `1e2`, `-1` fail).
  absl::StatusOr<uint64_t> AsU64() const;
  absl::StatusOr<bool> AsBool() const;
  absl::StatusOr<std::string> AsString() const;
  absl::StatusOr<const std::vector<Json>*> AsArray() const;
  absl::StatusOr<const std::vector<Member>*> AsObject() const;

  // The exact number text (kNumber) or the decoded string (kString).
  const std::string& text() const { return text_; }
  const std::vector<Json>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }
  // The member value, or nullptr if absent (or not an object).
  const Json* Find(std::string_view key) const;

  // Compact serialisation (see the file comment).
  std::string Write() const;
  void WriteTo(std::string& out) const;

  static absl::StatusOr<Json> Parse(std::string_view text);

  friend bool operator==(const Json& a, const Json& b);

 private:
  friend class JsonParser;
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Json> items_;
  std::vector<Member> members_;
};

// Appends `s` as a JSON string literal (quotes and escapes) to `out`.
void WriteJsonString(std::string_view s, std::string& out);

// Reads the fields of a JSON object the way the reference's derived
// deserialisers do: a field may be read once; Finish() rejects members that
// were never read when the type is strict ("unknown field `x`").
// Errors are InvalidArgument and name the type being parsed.
class JsonFields {
 public:
  // InvalidArgument unless `v` is an object.
  static absl::StatusOr<JsonFields> Of(const Json& v, std::string_view type_name);

  // The member's value; InvalidArgument "missing field `key`" if absent.
  absl::StatusOr<const Json*> Required(std::string_view key);
  // The member's value, or nullptr when absent or null (Option<T>).
  const Json* Optional(std::string_view key);

  // Typed shorthands for required fields.
  absl::StatusOr<std::string> String(std::string_view key);
  absl::StatusOr<uint64_t> U64(std::string_view key);
  absl::StatusOr<std::vector<std::string>> StringList(std::string_view key);

  // Strict types: InvalidArgument if some member was not read.
  absl::Status Finish() const;
  // Wraps an error about this type's field `key` with the type name.
  absl::Status FieldError(std::string_view key, const absl::Status& cause) const;

 private:
  JsonFields(const Json* obj, std::string_view type_name)
      : obj_(obj), type_name_(type_name), used_(obj->members().size(), false) {}
  const Json* obj_;
  std::string type_name_;
  std::vector<bool> used_;
};

// Reads an externally tagged enum value `{"variant": body}`: an object with
// exactly one member. Returns the variant name and its body.
absl::StatusOr<std::pair<std::string, const Json*>> JsonVariant(
    const Json& v, std::string_view type_name);

// Standard base64 (RFC 4648 alphabet, '=' padding), as the reference's
// Binary type uses. Decode is canonical: padding required, no whitespace,
// non-zero trailing bits rejected (InvalidArgument).
std::string Base64Encode(std::string_view bytes);
absl::StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace mesh

#endif  // MESHSEC_CORE_JSON_H_
