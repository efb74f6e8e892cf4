// libFuzzer target: the IDX reader on arbitrary bytes. Inputs that start with the gzip magic
// go through zlib, the rest are read raw, as read_idx decides for a real file. A malformed
// file must end in std::runtime_error; anything else (a crash, a sanitizer report, another
// exception, a huge allocation) is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "simdgrad/idx_reader.h"
#include "tests/fuzz/scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const simdgrad::fuzzing::ScratchFile file("idx");
  file.write(data, size);
  try {
    const simdgrad::IdxArray array = simdgrad::read_idx(file.path());
    size_t elements = array.dims.empty() ? 0 : 1;
    for (uint32_t d : array.dims) elements *= d;
    if (elements != array.data.size()) __builtin_trap();  // the reader's own promise
  } catch (const std::runtime_error&) {
  }
  return 0;
}
