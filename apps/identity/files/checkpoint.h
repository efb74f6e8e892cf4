// Checkpoints in the safetensors format: an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw little-endian data. Any
// safetensors reader (Python's safetensors, PyTorch) opens them.
//
// A checkpoint holds the model's parameters ("dense_0.weight" ...), the optimizer's state
// ("dense_0.weight.rms" ...), and in "__metadata__" the epoch, the optimizer's step count, the
// shuffling RNG's state, the run configuration and the per-epoch history, so a resumed run
// continues bitwise where the saved one stopped. Written atomically and durably.
//
// "__metadata__" also carries "checksum": the CRC-32 of the header as written without it,
// followed by every data byte. A torn, truncated or edited checkpoint (data or header) is
// refused on loading, as is one without a checksum.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "simdgrad/autograd/parameter.h"

namespace simdgrad::identity {

struct Checkpoint {
  std::map<std::string, std::string> metadata;
  std::map<std::string, Matrix<float>> tensors;
};

void save_checkpoint(const std::filesystem::path& file,
                     const std::vector<autograd::NamedTensor<float>>& tensors,
                     const std::map<std::string, std::string>& metadata);

// CRC-32 (zlib's) continued from `crc` over `bytes`, of any length; start from 0.
uint32_t crc32_of(uint32_t crc, std::string_view bytes);

// Throws std::runtime_error naming the file and what is wrong (the app exits 2 on it).
Checkpoint load_checkpoint(const std::filesystem::path& file);

// The checkpoint held in `bytes`, `name` standing for the file in messages. Without
// verify_checksum a wrong or missing checksum is accepted, which lets the fuzzer reach the
// parsing behind it; the app always verifies.
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& name,
                            bool verify_checksum = true);

// Copies checkpoint tensors into `targets` by name; every target must be present with the same
// shape (std::runtime_error naming the tensor otherwise).
void restore_tensors(const Checkpoint& checkpoint,
                     const std::vector<autograd::NamedTensor<float>>& targets,
                     const std::filesystem::path& file);

}  // namespace simdgrad::identity
