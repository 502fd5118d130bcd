// Protobuf wire encoding, by hand, for the few query answers that are
// written straight into their response bytes instead of being built as
// generated messages and serialized (node/cosmos_staking_service.cc,
// "Answers written as wire bytes"). Field numbers come from the generated
// classes' k<Field>FieldNumber constants, never typed here; the bytes are
// the canonical encoding the generated serializer writes (fields in number
// order, minimal varints, proto3 empty strings left out), which the tests
// check byte for byte against it. Only length-delimited fields are written
// this way; a message with other fields is serialized by its generated
// class and appended (PutHeader, then its bytes).
#ifndef MESHSEC_NODE_PROTO_WIRE_H_
#define MESHSEC_NODE_PROTO_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace mesh::node::wire {

inline constexpr uint32_t kLengthDelimited = 2;  // the wire type of strings and messages

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes into bytes the caller has sized beforehand (with the sizes below):
// no capacity check per field, which appending field by field to a string
// costs (a page of ten delegations writes 160 varints).
class Cursor {
 public:
  explicit Cursor(char* at) : at_(at) {}
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *at_++ = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
      v >>= 7;
    }
    *at_++ = static_cast<char>(v);
  }
  void Bytes(std::string_view s) {
    if (!s.empty()) std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  inline void Header(int field, size_t len);
  inline void String(int field, std::string_view s);
  char* at() const { return at_; }

 private:
  char* at_;
};

inline uint64_t Tag(int field, uint32_t wire_type) {
  return (static_cast<uint64_t>(field) << 3) | wire_type;
}

// A length-delimited field (string, bytes or message) of `len` bytes, whole.
inline size_t LengthDelimitedSize(int field, size_t len) {
  return VarintSize(Tag(field, kLengthDelimited)) + VarintSize(len) + len;
}

inline void Cursor::Header(int field, size_t len) {
  Varint(Tag(field, kLengthDelimited));
  Varint(len);
}
inline void Cursor::String(int field, std::string_view s) {
  if (s.empty()) return;
  Header(field, s.size());
  Bytes(s);
}

// Appends `size` bytes to `out`, written by `write(Cursor&)`, which must
// write exactly that many (checked: a short or long write is a bug of the
// size computed beforehand, and aborts rather than send a corrupt answer).
template <typename Write>
void Append(std::string& out, size_t size, Write write) {
  const size_t at = out.size();
  out.resize(at + size);  // grows the capacity geometrically, as append does
  Cursor c(out.data() + at);
  write(c);
  if (c.at() != out.data() + out.size()) std::abort();
}

// One field (or varint) appended at a time, through the cursor.
inline void PutVarint(std::string& out, uint64_t v) {
  Append(out, VarintSize(v), [&](Cursor& c) { c.Varint(v); });
}

// The tag and length of a length-delimited field; its `len` bytes follow.
inline void PutHeader(std::string& out, int field, size_t len) {
  Append(out, VarintSize(Tag(field, kLengthDelimited)) + VarintSize(len),
         [&](Cursor& c) { c.Header(field, len); });
}

// A proto3 string or bytes field: nothing when empty.
inline size_t StringSize(int field, std::string_view s) {
  return s.empty() ? 0 : LengthDelimitedSize(field, s.size());
}
inline void PutString(std::string& out, int field, std::string_view s) {
  Append(out, StringSize(field, s), [&](Cursor& c) { c.String(field, s); });
}

}  // namespace mesh::node::wire

#endif  // MESHSEC_NODE_PROTO_WIRE_H_
