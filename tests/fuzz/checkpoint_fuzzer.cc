// libFuzzer target: the safetensors checkpoint parser of the identity app on arbitrary bytes.
// The first byte chooses whether the checksum is verified: with it, almost every mutation
// stops at the checksum; without it, the fuzzer reaches the header and tensor parsing behind.
// A malformed checkpoint must end in std::runtime_error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "apps/identity/files/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool verify = data[0] & 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const auto checkpoint = simdgrad::identity::parse_checkpoint(bytes, "fuzz input", verify);
    for (const auto& [name, tensor] : checkpoint.tensors) {
      if (tensor.size() * sizeof(float) > bytes.size()) __builtin_trap();  // more than it held
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
