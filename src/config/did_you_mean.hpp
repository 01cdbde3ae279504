// "Did you mean" suggestions for misspelt keys and names.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace apigw::config {

// Case-insensitive Damerau (optimal string alignment) distance.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough: at most
// two edits, and at most half of the candidate (so "x" never suggests "id").
// Ties go to the earlier candidate. `candidates` is any range of strings.
template <class Range>
std::string closest(std::string_view word, const Range& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = 0;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(word, c);
    size_t allowed = std::min<size_t>(2, std::max<size_t>(1, c.size() / 2));
    if (d > allowed || (best && d >= best_distance)) continue;
    best = &c;
    best_distance = d;
  }
  return best ? *best : std::string();
}

// ` (did you mean "abc"?)` or "" when there is no close candidate.
std::string suggestion(const std::string& closest_candidate);

template <class Range>
std::string did_you_mean(std::string_view word, const Range& candidates) {
  return suggestion(closest(word, candidates));
}
inline std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  return suggestion(closest(word, candidates));
}

}  // namespace apigw::config
