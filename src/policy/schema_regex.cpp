#include "policy/schema_regex.hpp"

#include <algorithm>
#include <limits>

namespace apigw::policy {
namespace {

using Range = SchemaRegex::Range;
using Inst = SchemaRegex::Inst;
using Op = Inst::Op;

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kInvalidByteBase = 0x110000;  // a stray byte b decodes as this + b
constexpr uint32_t kUnbounded = std::numeric_limits<uint32_t>::max();

// One code point of UTF-8 at text[*pos], advancing *pos; a byte that does
// not start a well-formed sequence is a code point of its own.
uint32_t decode(std::string_view text, size_t* pos) noexcept {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const size_t i = *pos;
  const uint8_t b0 = byte(i);
  size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 1) {
    *pos = i + 1;
    return b0;
  }
  uint32_t cp = len == 2 ? (b0 & 0x1Fu) : len == 3 ? (b0 & 0x0Fu) : (b0 & 0x07u);
  bool ok = len != 0 && i + len <= text.size();
  for (size_t k = 1; ok && k < len; ++k) {
    ok = (byte(i + k) & 0xC0) == 0x80;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
  static constexpr uint32_t kMinOfLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (ok && (cp < kMinOfLength[len] || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
  if (!ok) {
    *pos = i + 1;
    return kInvalidByteBase + b0;
  }
  *pos = i + len;
  return cp;
}

bool is_line_terminator(uint32_t c) noexcept { return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029; }

void add_digits(std::vector<Range>& r) { r.push_back({'0', '9'}); }
void add_word(std::vector<Range>& r) {
  r.insert(r.end(), {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}});
}
void add_space(std::vector<Range>& r) {  // ECMAScript WhiteSpace and LineTerminator
  r.insert(r.end(), {{'\t', '\r'}, {' ', ' '}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x2000, 0x200A},
                     {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}});
}

void normalise(std::vector<Range>& r) {
  std::sort(r.begin(), r.end(), [](Range a, Range b) { return a.lo < b.lo; });
  std::vector<Range> out;
  for (Range x : r) {
    if (!out.empty() && x.lo <= out.back().hi + 1) out.back().hi = std::max(out.back().hi, x.hi);
    else out.push_back(x);
  }
  r = std::move(out);
}

// Everything up to the stray-byte code points that `r` does not hold.
std::vector<Range> complement(std::vector<Range> r) {
  normalise(r);
  std::vector<Range> out;
  uint32_t next = 0;
  for (Range x : r) {
    if (x.lo > next) out.push_back({next, x.lo - 1});
    next = x.hi + 1;
  }
  if (next <= kInvalidByteBase + 0xFF) out.push_back({next, kInvalidByteBase + 0xFF});
  return out;
}

// The pattern as a tree, before it becomes a program.
struct Node {
  enum class Kind : uint8_t { kEmpty, kChar, kAny, kClass, kBegin, kEnd, kConcat, kAlt, kRepeat };
  Kind kind = Kind::kEmpty;
  bool negated = false;
  uint32_t a = 0, b = 0;  // kChar: a; kClass: ranges [a, b); kRepeat: min a, max b
  std::vector<Node> kids;
};

class Parser {
 public:
  Parser(std::string_view pattern, std::vector<Range>* ranges) : ranges_(ranges) {
    for (size_t pos = 0; pos < pattern.size();) cps_.push_back(decode(pattern, &pos));
  }

  // "" when the whole pattern parsed into *out.
  std::string parse(Node* out) {
    *out = alternation(0);
    if (error_.empty() && i_ < cps_.size()) fail("unmatched ')'");
    return error_;
  }

 private:
  bool done() const { return i_ >= cps_.size() || !error_.empty(); }
  uint32_t peek() const { return cps_[i_]; }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why) + " at offset " + std::to_string(i_);
  }

  Node alternation(int depth) {
    if (depth > SchemaRegex::kMaxNesting) {
      fail("groups nested deeper than " + std::to_string(SchemaRegex::kMaxNesting));
      return {};
    }
    Node alt{Node::Kind::kAlt};
    alt.kids.push_back(concatenation(depth));
    while (!done() && peek() == '|') {
      ++i_;
      alt.kids.push_back(concatenation(depth));
    }
    return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
  }

  Node concatenation(int depth) {
    Node cat{Node::Kind::kConcat};
    while (!done() && peek() != '|' && peek() != ')') {
      grouped_ = false;
      Node atom = this->atom(depth);
      if (!error_.empty()) break;
      cat.kids.push_back(quantified(std::move(atom)));
    }
    return cat;
  }

  Node quantified(Node atom) {
    const bool assertion = !grouped_ && (atom.kind == Node::Kind::kBegin || atom.kind == Node::Kind::kEnd);
    bool repeated = false;
    while (!done()) {
      uint32_t c = peek(), min = 0, max = kUnbounded;
      if (c == '*') {
        ++i_;
      } else if (c == '+') {
        min = 1;
        ++i_;
      } else if (c == '?') {
        max = 1;
        ++i_;
      } else if (c == '{') {
        if (!counted(&min, &max)) return atom;
      } else {
        return atom;
      }
      if (assertion || repeated) {  // "^*" and "a**" are errors in ECMAScript too
        fail("nothing to repeat");
        return atom;
      }
      repeated = true;
      if (!done() && peek() == '?') ++i_;  // lazy: the same yes/no answer
      Node rep{Node::Kind::kRepeat};
      rep.a = min;
      rep.b = max;
      rep.kids.push_back(std::move(atom));
      atom = std::move(rep);
    }
    return atom;
  }

  // {n}, {n,} or {n,m} at i_; false (with the error set) when malformed.
  bool counted(uint32_t* min, uint32_t* max) {
    ++i_;
    auto number = [&](uint32_t* out) {
      size_t start = i_;
      uint64_t v = 0;
      while (i_ < cps_.size() && cps_[i_] >= '0' && cps_[i_] <= '9') {
        v = std::min<uint64_t>(v * 10 + (cps_[i_] - '0'), uint64_t{1} << 32);
        ++i_;
      }
      *out = static_cast<uint32_t>(std::min<uint64_t>(v, kUnbounded));
      return i_ > start;
    };
    if (!number(min)) {
      fail("'{' must be escaped unless it starts a quantifier {n}, {n,} or {n,m}");
      return false;
    }
    *max = *min;
    if (i_ < cps_.size() && cps_[i_] == ',') {
      ++i_;
      if (!number(max)) *max = kUnbounded;
    }
    if (i_ >= cps_.size() || cps_[i_] != '}') {
      fail("unterminated quantifier {n,m}");
      return false;
    }
    ++i_;
    if (*min > SchemaRegex::kMaxRepeat || (*max != kUnbounded && *max > SchemaRegex::kMaxRepeat)) {
      fail("repeat count above " + std::to_string(SchemaRegex::kMaxRepeat));
      return false;
    }
    if (*min > *max) {
      fail("quantifier {n,m} with n > m");
      return false;
    }
    return true;
  }

  Node atom(int depth) {
    uint32_t c = peek();
    switch (c) {
      case '(': {
        ++i_;
        if (!done() && peek() == '?') {
          if (i_ + 1 < cps_.size() && cps_[i_ + 1] == ':') {
            i_ += 2;
          } else {
            fail("lookaround and named groups are not supported");
            return {};
          }
        }
        Node inner = alternation(depth + 1);
        if (!error_.empty()) return {};
        if (done() || peek() != ')') {
          fail("missing ')'");
          return {};
        }
        ++i_;
        grouped_ = true;
        return inner;
      }
      case '[': return char_class();
      case '.': ++i_; return Node{Node::Kind::kAny};
      case '^': ++i_; return Node{Node::Kind::kBegin};
      case '$': ++i_; return Node{Node::Kind::kEnd};
      case '*':
      case '+':
      case '?': fail("nothing to repeat"); return {};
      case '{': fail("'{' must be escaped unless it starts a quantifier {n}, {n,} or {n,m}"); return {};
      case '\\': {
        ++i_;
        std::vector<Range> set;
        uint32_t lit = 0;
        if (!escape(false, &set, &lit)) return {};
        if (set.empty()) return literal(lit);
        return class_node(std::move(set), false);
      }
      default: ++i_; return literal(c);
    }
  }

  static Node literal(uint32_t c) {
    Node n{Node::Kind::kChar};
    n.a = c;
    return n;
  }

  Node class_node(std::vector<Range> set, bool negated) {
    normalise(set);
    Node n{Node::Kind::kClass};
    n.negated = negated;
    n.a = static_cast<uint32_t>(ranges_->size());
    ranges_->insert(ranges_->end(), set.begin(), set.end());
    n.b = static_cast<uint32_t>(ranges_->size());
    return n;
  }

  // After a '\': a shorthand class (added to *set) or one literal (*lit).
  bool escape(bool in_class, std::vector<Range>* set, uint32_t* lit) {
    if (i_ >= cps_.size()) {
      fail("pattern ends with '\\'");
      return false;
    }
    uint32_t c = cps_[i_++];
    std::vector<Range> shorthand;
    switch (c) {
      case 'd': add_digits(*set); return true;
      case 'w': add_word(*set); return true;
      case 's': add_space(*set); return true;
      case 'D': add_digits(shorthand); break;
      case 'W': add_word(shorthand); break;
      case 'S': add_space(shorthand); break;
      case 't': *lit = '\t'; return true;
      case 'n': *lit = '\n'; return true;
      case 'r': *lit = '\r'; return true;
      case 'f': *lit = '\f'; return true;
      case 'v': *lit = '\v'; return true;
      case '0': *lit = 0; return true;
      case 'x': return hex(2, lit);
      case 'u': return hex(4, lit);
      default:
        if (in_class && c == 'b') {
          *lit = '\b';
          return true;
        }
        if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
          *lit = c;  // escaped punctuation stands for itself
          return true;
        }
        --i_;
        fail(std::string("escape \\") + (c < 0x80 ? std::string(1, static_cast<char>(c)) : "...") +
             " is not supported (no backreferences or word boundaries)");
        return false;
    }
    auto rest = complement(std::move(shorthand));
    set->insert(set->end(), rest.begin(), rest.end());
    return true;
  }

  bool hex(int digits, uint32_t* out) {
    uint32_t v = 0;
    for (int k = 0; k < digits; ++k, ++i_) {
      uint32_t c = i_ < cps_.size() ? cps_[i_] : 0;
      int d = c >= '0' && c <= '9' ? int(c - '0') : c >= 'a' && c <= 'f' ? int(c - 'a' + 10)
            : c >= 'A' && c <= 'F' ? int(c - 'A' + 10) : -1;
      if (d < 0) {
        fail("expected " + std::to_string(digits) + " hex digits");
        return false;
      }
      v = v * 16 + static_cast<uint32_t>(d);
    }
    *out = v;
    return true;
  }

  Node char_class() {
    ++i_;  // '['
    bool negated = false;
    if (i_ < cps_.size() && cps_[i_] == '^') {
      negated = true;
      ++i_;
    }
    std::vector<Range> set;
    // One class item: a literal (returned true, in *lit) or a shorthand set.
    auto item = [&](uint32_t* lit, bool* is_literal) {
      uint32_t c = cps_[i_];
      if (c != '\\') {
        ++i_;
        *lit = c;
        *is_literal = true;
        return true;
      }
      ++i_;
      size_t before = set.size();
      if (!escape(true, &set, lit)) return false;
      *is_literal = set.size() == before;
      return true;
    };
    for (;;) {
      if (i_ >= cps_.size()) {
        fail("missing ']'");
        return {};
      }
      if (cps_[i_] == ']') {
        ++i_;
        break;
      }
      uint32_t lo = 0;
      bool lo_literal = false;
      if (!item(&lo, &lo_literal)) return {};
      bool range = lo_literal && i_ + 1 < cps_.size() && cps_[i_] == '-' && cps_[i_ + 1] != ']';
      if (!range) {
        if (lo_literal) set.push_back({lo, lo});
        continue;
      }
      ++i_;  // '-'
      uint32_t hi = 0;
      bool hi_literal = false;
      if (!item(&hi, &hi_literal)) return {};
      if (!hi_literal) {
        fail("a class range cannot end in a shorthand such as \\d");
        return {};
      }
      if (hi < lo) {
        fail("class range out of order");
        return {};
      }
      set.push_back({lo, hi});
    }
    return class_node(std::move(set), negated);
  }

  std::vector<uint32_t> cps_;
  size_t i_ = 0;
  bool grouped_ = false;  // the last atom was a group: "(^)*" is fine
  std::string error_;
  std::vector<Range>* ranges_;
};

class Emitter {
 public:
  explicit Emitter(std::vector<Inst>* program) : p_(program) {}
  bool too_big() const { return too_big_; }

  void emit(const Node& n) {
    if (too_big_) return;
    switch (n.kind) {
      case Node::Kind::kEmpty: return;
      case Node::Kind::kChar: add({Op::kChar, false, n.a, 0}); return;
      case Node::Kind::kAny: add({Op::kAny}); return;
      case Node::Kind::kClass: add({Op::kClass, n.negated, n.a, n.b}); return;
      case Node::Kind::kBegin: add({Op::kBegin}); return;
      case Node::Kind::kEnd: add({Op::kEnd}); return;
      case Node::Kind::kConcat:
        for (const Node& k : n.kids) emit(k);
        return;
      case Node::Kind::kAlt: {
        // split L1, next; L1: kid; jump end; next: split ...; last kid; end:
        std::vector<size_t> jumps;
        for (size_t k = 0; k + 1 < n.kids.size() && !too_big_; ++k) {
          size_t split = add({Op::kSplit});
          at(split).a = here();
          emit(n.kids[k]);
          jumps.push_back(add({Op::kJump}));
          at(split).b = here();
        }
        emit(n.kids.back());
        for (size_t j : jumps) at(j).a = here();
        return;
      }
      case Node::Kind::kRepeat: return repeat(n.kids[0], n.a, n.b);
    }
  }

 private:
  void repeat(const Node& kid, uint32_t min, uint32_t max) {
    for (uint32_t k = 0; k < min && !too_big_; ++k) emit(kid);
    if (max == kUnbounded) {
      // loop: split body, out; body: kid; jump loop; out:
      size_t loop = add({Op::kSplit});
      at(loop).a = here();
      emit(kid);
      add({Op::kJump, false, static_cast<uint32_t>(loop), 0});
      at(loop).b = here();
      return;
    }
    std::vector<size_t> splits;  // each optional copy may be skipped to the end
    for (uint32_t k = min; k < max && !too_big_; ++k) {
      size_t split = add({Op::kSplit});
      at(split).a = here();
      emit(kid);
      splits.push_back(split);
    }
    for (size_t s : splits) at(s).b = here();
  }

  size_t add(Inst inst) {
    if (p_->size() >= SchemaRegex::kMaxProgram) {
      too_big_ = true;
      return scratch();
    }
    p_->push_back(inst);
    return p_->size() - 1;
  }
  // Where instructions go once the program is too big (it is thrown away).
  size_t scratch() {
    if (p_->size() == SchemaRegex::kMaxProgram) p_->push_back({Op::kMatch});
    return SchemaRegex::kMaxProgram;
  }
  Inst& at(size_t i) { return (*p_)[i]; }
  uint32_t here() const { return static_cast<uint32_t>(p_->size()); }

  std::vector<Inst>* p_;
  bool too_big_ = false;
};

// A set of program counters with O(1) insert, test and clear.
struct StateSet {
  std::vector<uint32_t> dense, sparse;
  size_t size = 0;
  void reset(size_t capacity) {
    if (sparse.size() < capacity) {
      sparse.resize(capacity);
      dense.resize(capacity);
    }
    size = 0;
  }
  bool insert(uint32_t pc) {
    uint32_t slot = sparse[pc];
    if (slot < size && dense[slot] == pc) return false;
    sparse[pc] = static_cast<uint32_t>(size);
    dense[size++] = pc;
    return true;
  }
};

struct MatchScratch {
  StateSet current, next;
  std::vector<uint32_t> stack;
};

}  // namespace

std::string SchemaRegex::compile(std::string_view pattern) {
  program_.clear();
  ranges_.clear();
  if (pattern.size() > kMaxPatternBytes) return "pattern longer than " + std::to_string(kMaxPatternBytes) + " bytes";
  Node tree;
  std::string why = Parser(pattern, &ranges_).parse(&tree);
  if (!why.empty()) return why;
  Emitter emitter(&program_);
  emitter.emit(tree);
  if (emitter.too_big()) {
    program_.clear();
    return "pattern too large once its repeats are expanded (more than " + std::to_string(kMaxProgram) +
           " steps)";
  }
  program_.push_back({Op::kMatch});
  return "";
}

bool SchemaRegex::search(std::string_view text) const {
  if (program_.empty()) return false;
  // One scratch per thread: policies are shared by the workers, and a
  // search never runs inside another.
  thread_local MatchScratch s;
  s.current.reset(program_.size());
  s.next.reset(program_.size());
  bool matched = false;
  // Adds pc and every state reachable from it without consuming input.
  auto follow = [&](StateSet& set, uint32_t start, bool at_begin, bool at_end) {
    s.stack.clear();
    s.stack.push_back(start);
    while (!s.stack.empty()) {
      uint32_t pc = s.stack.back();
      s.stack.pop_back();
      if (!set.insert(pc)) continue;
      const Inst& in = program_[pc];
      switch (in.op) {
        case Op::kJump: s.stack.push_back(in.a); break;
        case Op::kSplit:
          s.stack.push_back(in.b);
          s.stack.push_back(in.a);
          break;
        case Op::kBegin:
          if (at_begin) s.stack.push_back(pc + 1);
          break;
        case Op::kEnd:
          if (at_end) s.stack.push_back(pc + 1);
          break;
        case Op::kMatch: matched = true; break;
        default: break;  // consumes a code point: stays for the next step
      }
    }
  };
  const bool anchored = program_[0].op == Op::kBegin;
  follow(s.current, 0, true, text.empty());
  for (size_t pos = 0; pos < text.size() && !matched;) {
    if (anchored && s.current.size == 0) return false;
    uint32_t c = decode(text, &pos);
    const bool at_end = pos == text.size();
    s.next.size = 0;
    for (size_t k = 0; k < s.current.size && !matched; ++k) {
      uint32_t pc = s.current.dense[k];
      const Inst& in = program_[pc];
      bool take = false;
      switch (in.op) {
        case Op::kChar: take = c == in.a; break;
        case Op::kAny: take = !is_line_terminator(c); break;
        case Op::kClass: {
          bool inside = false;
          for (uint32_t r = in.a; r < in.b && !inside; ++r) inside = c >= ranges_[r].lo && c <= ranges_[r].hi;
          take = inside != in.negated;
          break;
        }
        default: break;
      }
      if (take) follow(s.next, pc + 1, false, at_end);
    }
    if (!anchored && !matched) follow(s.next, 0, false, at_end);  // a match may start here too
    std::swap(s.current, s.next);
  }
  return matched;
}

}  // namespace apigw::policy
