#include "core/json.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace mesh {
namespace {
// Debian's Abseil has its own string_view type; StrCat needs it.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

Json Json::Bool(bool v) {
  Json j;
  j.kind_ = Kind::kBool;
  j.bool_ = v;
  return j;
}

Json Json::U64(uint64_t v) {
  Json j;
  j.kind_ = Kind::kNumber;
  j.text_ = std::to_string(v);
  return j;
}

Json Json::Str(std::string_view v) {
  Json j;
  j.kind_ = Kind::kString;
  j.text_ = std::string(v);
  return j;
}

Json Json::Array(std::vector<Json> items) {
  Json j;
  j.kind_ = Kind::kArray;
  j.items_ = std::move(items);
  return j;
}

Json Json::Object() {
  Json j;
  j.kind_ = Kind::kObject;
  return j;
}

Json& Json::Add(std::string_view key, Json value) {
  MESH_CHECK(kind_ == Kind::kObject);
  MESH_CHECK(Find(key) == nullptr);
  members_.emplace_back(std::string(key), std::move(value));
  return *this;
}

Json& Json::Push(Json value) {
  MESH_CHECK(kind_ == Kind::kArray);
  items_.push_back(std::move(value));
  return *this;
}

namespace {

const char* KindName(Json::Kind k) {
  switch (k) {
    case Json::Kind::kNull: return "null";
    case Json::Kind::kBool: return "boolean";
    case Json::Kind::kNumber: return "number";
    case Json::Kind::kString: return "string";
    case Json::Kind::kArray: return "array";
    case Json::Kind::kObject: return "object";
  }
  return "?";
}

absl::Status WrongKind(Json::Kind got, std::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid type: ", KindName(got), ", expected ", Sv(want)));
}

}  // namespace

absl::StatusOr<uint64_t> Json::AsU64() const {
  if (kind_ != Kind::kNumber) return WrongKind(kind_, "u64");
  uint64_t v = 0;
  for (char c : text_) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid type: number ", text_, ", expected u64"));
    }
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return absl::InvalidArgumentError(
          absl::StrCat("number out of range for u64: ", text_));
    }
    v = v * 10 + d;
  }
  return v;
}

absl::StatusOr<bool> Json::AsBool() const {
  if (kind_ != Kind::kBool) return WrongKind(kind_, "a boolean");
  return bool_;
}

absl::StatusOr<std::string> Json::AsString() const {
  if (kind_ != Kind::kString) return WrongKind(kind_, "a string");
  return text_;
}

absl::StatusOr<const std::vector<Json>*> Json::AsArray() const {
  if (kind_ != Kind::kArray) return WrongKind(kind_, "a sequence");
  return &items_;
}

absl::StatusOr<const std::vector<Json::Member>*> Json::AsObject() const {
  if (kind_ != Kind::kObject) return WrongKind(kind_, "an object");
  return &members_;
}

const Json* Json::Find(std::string_view key) const {
  for (const Member& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

bool operator==(const Json& a, const Json& b) {
  return a.kind_ == b.kind_ && a.bool_ == b.bool_ && a.text_ == b.text_ &&
         a.items_ == b.items_ && a.members_ == b.members_;
}

// ---------------------------------------------------------------- writer

void WriteJsonString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void Json::WriteTo(std::string& out) const {
  switch (kind_) {
    case Kind::kNull: out += "null"; return;
    case Kind::kBool: out += bool_ ? "true" : "false"; return;
    case Kind::kNumber: out += text_; return;
    case Kind::kString: WriteJsonString(text_, out); return;
    case Kind::kArray:
      out.push_back('[');
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) out.push_back(',');
        items_[i].WriteTo(out);
      }
      out.push_back(']');
      return;
    case Kind::kObject:
      out.push_back('{');
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i > 0) out.push_back(',');
        WriteJsonString(members_[i].first, out);
        out.push_back(':');
        members_[i].second.WriteTo(out);
      }
      out.push_back('}');
      return;
  }
}

std::string Json::Write() const {
  std::string out;
  WriteTo(out);
  return out;
}

// ---------------------------------------------------------------- parser

class JsonParser {
 public:
  explicit JsonParser(std::string_view in) : in_(in) {}

  absl::StatusOr<Json> ParseDocument() {
    SkipSpace();
    MESH_ASSIGN_OR_RETURN(Json v, ParseValue(0));
    SkipSpace();
    if (pos_ != in_.size()) return Error("trailing characters");
    return v;
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON parse error at byte ", pos_, ": ", Sv(what)));
  }
  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek() const { return in_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }
  absl::Status Expect(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Error("invalid literal");
    pos_ += word.size();
    return absl::OkStatus();
  }

  absl::StatusOr<Json> ParseValue(int depth) {
    if (AtEnd()) return Error("unexpected end of input");
    switch (Peek()) {
      case 'n': MESH_RETURN_IF_ERROR(Expect("null")); return Json::Null();
      case 't': MESH_RETURN_IF_ERROR(Expect("true")); return Json::Bool(true);
      case 'f': MESH_RETURN_IF_ERROR(Expect("false")); return Json::Bool(false);
      case '"': {
        MESH_ASSIGN_OR_RETURN(std::string s, ParseString());
        return Json::Str(s);
      }
      case '[': return ParseArray(depth + 1);
      case '{': return ParseObject(depth + 1);
      default: return ParseNumber();
    }
  }

  absl::StatusOr<Json> ParseArray(int depth) {
    if (depth > Json::kMaxDepth) return Error("nesting too deep");
    ++pos_;  // '['
    Json arr = Json::Array();
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return arr;
    }
    while (true) {
      SkipSpace();
      MESH_ASSIGN_OR_RETURN(Json item, ParseValue(depth));
      arr.items_.push_back(std::move(item));
      SkipSpace();
      if (AtEnd()) return Error("unterminated array");
      char c = in_[pos_++];
      if (c == ']') return arr;
      if (c != ',') return Error("expected ',' or ']'");
    }
  }

  absl::StatusOr<Json> ParseObject(int depth) {
    if (depth > Json::kMaxDepth) return Error("nesting too deep");
    ++pos_;  // '{'
    Json obj = Json::Object();
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return obj;
    }
    while (true) {
      SkipSpace();
      if (AtEnd() || Peek() != '"') return Error("expected a string key");
      MESH_ASSIGN_OR_RETURN(std::string key, ParseString());
      if (obj.Find(key) != nullptr) {
        return Error(absl::StrCat("duplicate field `", key, "`"));
      }
      SkipSpace();
      if (AtEnd() || in_[pos_++] != ':') return Error("expected ':'");
      SkipSpace();
      MESH_ASSIGN_OR_RETURN(Json value, ParseValue(depth));
      obj.members_.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (AtEnd()) return Error("unterminated object");
      char c = in_[pos_++];
      if (c == '}') return obj;
      if (c != ',') return Error("expected ',' or '}'");
    }
  }

  // JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  absl::StatusOr<Json> ParseNumber() {
    size_t start = pos_;
    if (!AtEnd() && Peek() == '-') ++pos_;
    if (AtEnd() || !IsDigit(Peek())) return Error("invalid value");
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && IsDigit(Peek())) return Error("leading zero in number");
    } else {
      SkipDigits();
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("invalid number");
      SkipDigits();
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("invalid number");
      SkipDigits();
    }
    Json j;
    j.kind_ = Json::Kind::kNumber;
    j.text_ = std::string(in_.substr(start, pos_ - start));
    return j;
  }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  void SkipDigits() {
    while (!AtEnd() && IsDigit(Peek())) ++pos_;
  }

  absl::StatusOr<std::string> ParseString() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (AtEnd()) return Error("unterminated string");
      unsigned char c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) return Error("control character in string");
      if (c == '\\') {
        ++pos_;
        MESH_RETURN_IF_ERROR(ParseEscape(out));
      } else if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        ++pos_;
      } else {
        MESH_RETURN_IF_ERROR(CopyUtf8(out));
      }
    }
  }

  absl::Status ParseEscape(std::string& out) {
    if (AtEnd()) return Error("unterminated escape");
    char c = in_[pos_++];
    switch (c) {
      case '"': out.push_back('"'); return absl::OkStatus();
      case '\\': out.push_back('\\'); return absl::OkStatus();
      case '/': out.push_back('/'); return absl::OkStatus();
      case 'b': out.push_back('\b'); return absl::OkStatus();
      case 'f': out.push_back('\f'); return absl::OkStatus();
      case 'n': out.push_back('\n'); return absl::OkStatus();
      case 'r': out.push_back('\r'); return absl::OkStatus();
      case 't': out.push_back('\t'); return absl::OkStatus();
      case 'u': return ParseUnicodeEscape(out);
      default: return Error("invalid escape");
    }
  }

  absl::StatusOr<uint32_t> Hex4() {
    if (in_.size() - pos_ < 4) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      uint32_t d;
      if (c >= '0' && c <= '9') d = static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<uint32_t>(c - 'A' + 10);
      else return Error("invalid \\u escape");
      v = (v << 4) | d;
    }
    return v;
  }

  absl::Status ParseUnicodeEscape(std::string& out) {
    MESH_ASSIGN_OR_RETURN(uint32_t cp, Hex4());
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Error("lone surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (in_.substr(pos_, 2) != "\\u") return Error("lone surrogate");
      pos_ += 2;
      MESH_ASSIGN_OR_RETURN(uint32_t lo, Hex4());
      if (lo < 0xDC00 || lo > 0xDFFF) return Error("lone surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    AppendUtf8(cp, out);
    return absl::OkStatus();
  }

  static void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Copies one multi-byte UTF-8 sequence, rejecting overlong forms,
  // surrogates and code points above U+10FFFF.
  absl::Status CopyUtf8(std::string& out) {
    unsigned char c = static_cast<unsigned char>(in_[pos_]);
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return Error("invalid UTF-8");
    if (in_.size() - pos_ < static_cast<size_t>(len)) return Error("invalid UTF-8");
    for (int i = 1; i < len; ++i) {
      unsigned char cc = static_cast<unsigned char>(in_[pos_ + i]);
      if ((cc & 0xC0) != 0x80) return Error("invalid UTF-8");
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Error("invalid UTF-8");
    }
    out.append(in_.substr(pos_, len));
    pos_ += len;
    return absl::OkStatus();
  }

  std::string_view in_;
  size_t pos_ = 0;
};

absl::StatusOr<Json> Json::Parse(std::string_view text) {
  return JsonParser(text).ParseDocument();
}

// ---------------------------------------------------------------- fields

absl::StatusOr<JsonFields> JsonFields::Of(const Json& v, std::string_view type_name) {
  if (v.kind() != Json::Kind::kObject) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Error parsing into type ", Sv(type_name), ": invalid type: ", KindName(v.kind()),
        ", expected struct ", Sv(type_name)));
  }
  return JsonFields(&v, type_name);
}

absl::StatusOr<const Json*> JsonFields::Required(std::string_view key) {
  const std::vector<Json::Member>& members = obj_->members();
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].first == key) {
      used_[i] = true;
      return &members[i].second;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Error parsing into type ", type_name_, ": missing field `", Sv(key), "`"));
}

const Json* JsonFields::Optional(std::string_view key) {
  absl::StatusOr<const Json*> v = Required(key);
  if (!v.ok() || (*v)->IsNull()) return nullptr;
  return *v;
}

absl::StatusOr<std::string> JsonFields::String(std::string_view key) {
  MESH_ASSIGN_OR_RETURN(const Json* v, Required(key));
  absl::StatusOr<std::string> s = v->AsString();
  if (!s.ok()) return FieldError(key, s.status());
  return s;
}

absl::StatusOr<uint64_t> JsonFields::U64(std::string_view key) {
  MESH_ASSIGN_OR_RETURN(const Json* v, Required(key));
  absl::StatusOr<uint64_t> n = v->AsU64();
  if (!n.ok()) return FieldError(key, n.status());
  return n;
}

absl::StatusOr<std::vector<std::string>> JsonFields::StringList(std::string_view key) {
  MESH_ASSIGN_OR_RETURN(const Json* v, Required(key));
  absl::StatusOr<const std::vector<Json>*> arr = v->AsArray();
  if (!arr.ok()) return FieldError(key, arr.status());
  std::vector<std::string> out;
  for (const Json& item : **arr) {
    absl::StatusOr<std::string> s = item.AsString();
    if (!s.ok()) return FieldError(key, s.status());
    out.push_back(*std::move(s));
  }
  return out;
}

absl::Status JsonFields::Finish() const {
  const std::vector<Json::Member>& members = obj_->members();
  for (size_t i = 0; i < members.size(); ++i) {
    if (!used_[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Error parsing into type ", type_name_, ": unknown field `", members[i].first, "`"));
    }
  }
  return absl::OkStatus();
}

absl::Status JsonFields::FieldError(std::string_view key, const absl::Status& cause) const {
  return absl::InvalidArgumentError(absl::StrCat("Error parsing into type ", type_name_,
                                                 ": field `", Sv(key), "`: ", cause.message()));
}

absl::StatusOr<std::pair<std::string, const Json*>> JsonVariant(const Json& v,
                                                                std::string_view type_name) {
  if (v.kind() != Json::Kind::kObject || v.members().size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Error parsing into type ", Sv(type_name), ": expected an object with exactly one variant"));
  }
  const Json::Member& m = v.members().front();
  return std::make_pair(m.first, &m.second);
}

// ---------------------------------------------------------------- base64

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) {
      v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) {
      out.push_back(k <= n ? kB64[(v >> (18 - 6 * k)) & 0x3F] : '=');
    }
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return absl::InvalidArgumentError("base64: invalid length");
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = k < 4 - pad ? B64Value(text[i + k]) : 0;
      if (d < 0) return absl::InvalidArgumentError("base64: invalid character");
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    // Non-canonical trailing bits (e.g. "e31=") are rejected.
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) {
      return absl::InvalidArgumentError("base64: non-zero trailing bits");
    }
    for (size_t k = 0; k < 3 - pad; ++k) out.push_back(static_cast<char>((v >> (16 - 8 * k)) & 0xFF));
  }
  return out;
}

}  // namespace mesh
