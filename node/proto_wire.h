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

inline void PutVarint(std::string& out, uint64_t v) {
  char buf[10];  // a u64 takes at most 10 bytes
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

inline uint64_t Tag(int field, uint32_t wire_type) {
  return (static_cast<uint64_t>(field) << 3) | wire_type;
}

// A length-delimited field (string, bytes or message) of `len` bytes, whole.
inline size_t LengthDelimitedSize(int field, size_t len) {
  return VarintSize(Tag(field, kLengthDelimited)) + VarintSize(len) + len;
}

// The tag and length of a length-delimited field; its `len` bytes follow.
inline void PutHeader(std::string& out, int field, size_t len) {
  PutVarint(out, Tag(field, kLengthDelimited));
  PutVarint(out, len);
}

// A proto3 string or bytes field: nothing when empty.
inline size_t StringSize(int field, std::string_view s) {
  return s.empty() ? 0 : LengthDelimitedSize(field, s.size());
}
inline void PutString(std::string& out, int field, std::string_view s) {
  if (s.empty()) return;
  PutHeader(out, field, s.size());
  out.append(s);
}

}  // namespace mesh::node::wire

#endif  // MESHSEC_NODE_PROTO_WIRE_H_
