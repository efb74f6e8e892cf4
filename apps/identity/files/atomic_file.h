// Writes a file so that readers see either the old content or the new, never a half-written
// file, even after a crash or a power cut: the bytes go to a temporary file in the same folder,
// are synced to disk, renamed over the target, and the folder is synced. A failure throws
// std::runtime_error naming the file and leaves the old one intact.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

namespace simdgrad::identity {

void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

// The same for content produced piece by piece: produce(write) calls write(bytes) for each
// piece in order, so a large file (a checkpoint) never has to be assembled in memory.
using ByteWriter = std::function<void(std::string_view)>;
void write_file_atomically(const std::filesystem::path& file,
                           const std::function<void(const ByteWriter&)>& produce);

}  // namespace simdgrad::identity
