// Checks for flag values whose messages say what is allowed. CLI11 puts the flag's name in front
// ("--batch: not a number: '12x'"); its own checks would say "not in range" for a typo, or print
// an enum's internal values.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace simdgrad::identity::cli {

// A whole number in [lowest, highest]: "12x" is not a number, "1.5" not a whole number.
CLI::Validator whole_number(int64_t lowest, int64_t highest);
// A seed: any whole number from 0 to 2^64 - 1.
CLI::Validator seed_number();
// A finite real number in [lowest, highest].
CLI::Validator real_number(double lowest, double highest);
// A finite real number above zero.
CLI::Validator positive_number();

// "a, b or c": the allowed words, as messages list them.
std::string one_of(const std::vector<std::string>& words);

// One of `names` (any case), turned into its enum value; otherwise the names are listed.
template <class E>
CLI::Validator choice(std::vector<std::pair<std::string, E>> names) {
  std::vector<std::string> words;
  for (const auto& name : names) words.push_back(name.first);
  const std::string listed = one_of(words);
  return CLI::Validator(
      [names, listed](std::string& text) {
        for (const auto& [name, value] : names) {
          if (CLI::detail::to_lower(text) == name) {
            text = std::to_string(static_cast<int64_t>(value));
            return std::string();
          }
        }
        return "'" + text + "' is not one of " + listed;
      },
      listed);
}

}  // namespace simdgrad::identity::cli
