// The regular expressions of the schema policy's `pattern` keyword: a
// bounded subset of ECMAScript syntax, matched without backtracking.
//
// std::regex backtracks: a pattern like "^(a+)+$" takes exponential time on
// a hostile string, and its recursion can overflow the stack on a long one.
// Request bodies are hostile by definition, so patterns compile here into a
// small NFA program run as a Thompson simulation (the set of live states
// advanced one code point at a time): time is linear in the string's length
// times the program's size, memory is the program's size, and there is no
// recursion at match time.
//
// Supported: literals; `.` (any code point but a line terminator); classes
// `[abc]`, `[^a-z]` with ranges; escapes `\d \D \w \W \s \S \t \n \r \f \v
// \0 \xHH \uHHHH` and an escaped punctuation character; anchors `^` and `$`
// (of the whole string); groups `(...)` and `(?:...)`; alternation `|`;
// quantifiers `* + ? {n} {n,} {n,m}` (a trailing `?` for laziness is
// accepted: it changes nothing for a yes/no answer). Refused with a clear
// error: backreferences, lookaround, `\b`, named groups and anything else.
// As in JSON Schema, a pattern matches anywhere in the string unless anchored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace apigw::policy {

class SchemaRegex {
 public:
  // Limits that keep a pattern's cost bounded.
  static constexpr size_t kMaxPatternBytes = 1024;
  static constexpr size_t kMaxProgram = 4096;   // instructions, counted repeats expanded
  static constexpr uint32_t kMaxRepeat = 1000;  // n and m of {n,m}
  static constexpr int kMaxNesting = 32;        // groups within groups

  // "" on success, else why `pattern` is refused.
  std::string compile(std::string_view pattern);

  // True when the pattern matches somewhere in `text` (UTF-8; a byte that
  // is not valid UTF-8 counts as one code point of its own).
  bool search(std::string_view text) const;

  struct Range {
    uint32_t lo, hi;
  };
  struct Inst {
    enum class Op : uint8_t { kChar, kAny, kClass, kSplit, kJump, kBegin, kEnd, kMatch };
    Op op;
    bool negated = false;  // kClass
    uint32_t a = 0;        // kChar: the code point; kClass: first range; kSplit, kJump: a target
    uint32_t b = 0;        // kClass: one past the last range; kSplit: the other target
  };

 private:
  std::vector<Inst> program_;
  std::vector<Range> ranges_;  // of every class, each sorted and merged
};

}  // namespace apigw::policy
