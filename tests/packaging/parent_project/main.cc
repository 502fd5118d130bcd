// Built by a parent project that adds meshsec with add_subdirectory().
#include <iostream>

#include "core/amount.h"
#include "core/crypto.h"

int main() {
  int n = 2;
  {
    int n = 3;  // shadows on purpose (see CMakeLists.txt)
    std::cout << "inner=" << n << " ";
  }
  const mesh::Amount a = *mesh::Amount::Parse("18446744073709551616");  // 2^64
  std::cout << "sum=" << a.Add(a)->ToString() << " n=" << n
            << " ripemd160(abc)=" << mesh::ToHex(mesh::Ripemd160("abc")) << "\n";
  return 0;
}
