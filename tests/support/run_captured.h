// Runs shell commands (a program of the project, mpiexec) for end-to-end tests and captures
// what they print.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace simdgrad::testing {

struct CliResult {
  int exit_code;  // -1 when the shell itself was killed
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& file) {
  std::stringstream s;
  s << std::ifstream(file).rdbuf();
  return s.str();
}

// `command` through the shell, its standard output and error captured.
inline CliResult run_captured(const std::string& command) {
  // Per process: CTest runs test cases as separate processes, two at a time.
  const auto folder = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(getpid());
  const auto out = folder / ("simdgrad-cli-" + tag + ".out");
  const auto err = folder / ("simdgrad-cli-" + tag + ".err");
  const int status =
      std::system(("(" + command + ") >" + out.string() + " 2>" + err.string()).c_str());
  CliResult result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(out), read_text(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return result;
}

}  // namespace simdgrad::testing
