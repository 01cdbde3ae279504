#include "config/did_you_mean.hpp"

#include <algorithm>

#include "config/reader.hpp"

namespace apigw::config {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
// Longer words are never close to our keys; bounding them keeps the table small.
constexpr size_t kMaxWord = 64;
}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > kMaxWord || b.size() > kMaxWord) return std::max(a.size(), b.size());
  // Three rows of the DP table: two back (for transpositions), one back, current.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& closest_candidate) {
  return closest_candidate.empty() ? std::string() : " (did you mean " + quote(closest_candidate) + "?)";
}

}  // namespace apigw::config
