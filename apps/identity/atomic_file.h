// Writes a file so that readers see either the old content or the new, never a half-written
// file: the bytes go to a temporary file in the same folder, are flushed, then renamed over the
// target. A failure throws std::runtime_error naming the file and leaves the old one intact.
#pragma once

#include <filesystem>
#include <string_view>

namespace simdgrad::identity {

void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

}  // namespace simdgrad::identity
