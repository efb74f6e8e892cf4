#include "apps/identity/files/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace simdgrad::identity {

void write_file_atomically(const std::filesystem::path& file, std::string_view bytes) {
  write_file_atomically(file, [&](const ByteWriter& write) { write(bytes); });
}

void write_file_atomically(const std::filesystem::path& file,
                           const std::function<void(const ByteWriter&)>& produce) {
  const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  std::string temp = (folder / ("." + file.filename().string() + ".XXXXXX")).string();
  const int fd = mkstemp(temp.data());
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) close(fd);
    unlink(temp.c_str());
    throw std::runtime_error(file.string() + ": " + what + ": " + reason);
  };
  if (fd < 0) fail("cannot create a temporary file");
  try {
    produce([&](std::string_view bytes) {
      size_t done = 0;
      while (done < bytes.size()) {
        const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
          if (errno == EINTR) continue;
          fail("write failed");
        }
        done += size_t(n);
      }
    });
  } catch (...) {
    // fail() already removed the temporary file; anything the producer threw leaves one.
    if (access(temp.c_str(), F_OK) == 0) {
      close(fd);
      unlink(temp.c_str());
    }
    throw;
  }
  if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) fail("cannot flush");
  if (close(fd) != 0) {
    unlink(temp.c_str());
    throw std::runtime_error(file.string() + ": cannot close: " + std::strerror(errno));
  }
  if (std::rename(temp.c_str(), file.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    unlink(temp.c_str());
    throw std::runtime_error(file.string() + ": cannot rename into place: " + reason);
  }
  // The rename is durable only once the folder's entry is on disk too (a power cut could
  // otherwise bring back the old file, or none). Some file systems cannot sync a folder
  // (EINVAL); there is nothing more to do on those.
  const int folder_fd = open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (folder_fd < 0) {
    throw std::runtime_error(folder.string() +
                             ": cannot open the folder to sync it: " + std::strerror(errno));
  }
  if (fsync(folder_fd) != 0 && errno != EINVAL) {
    const std::string reason = std::strerror(errno);
    close(folder_fd);
    throw std::runtime_error(folder.string() + ": cannot sync the folder: " + reason);
  }
  close(folder_fd);
}

}  // namespace simdgrad::identity
