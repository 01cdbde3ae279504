// The document is validated and its keys decoded by simdjson's DOM; a small
// scanner walks the source text in step with it to find where each value
// starts and ends. A change is an edit of the source (a byte range and its
// replacement), so everything no pointer touches is copied as it was:
// numbers keep their spelling, strings their escapes, the document its
// whitespace.
#include "policy/json_redact.hpp"

#include <simdjson.h>

#include <algorithm>

namespace apigw::policy {

std::string parse_json_pointer(std::string_view text, JsonPointer* out) {
  if (text.empty()) return "the whole document cannot be removed or masked; point inside it, e.g. \"/password\"";
  if (text[0] != '/') return "a JSON pointer starts with \"/\", e.g. \"/user/password\"";
  JsonPointer p;
  size_t begin = 1;
  for (;;) {
    size_t end = text.find('/', begin);
    if (end == std::string_view::npos) end = text.size();
    if (p.segments.size() == kMaxJsonPointerSegments)
      return "more than " + std::to_string(kMaxJsonPointerSegments) + " segments";
    const std::string_view raw = text.substr(begin, end - begin);
    JsonPointerSegment seg;
    seg.any = raw == "*";
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        seg.key += raw[i];
      } else if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        seg.key += raw[++i] == '0' ? '~' : '/';
      } else {
        return "\"~\" must be followed by 0 (for \"~\") or 1 (for \"/\")";
      }
    }
    // RFC 6901 array indexes: digits without a leading zero.
    const bool digits = !raw.empty() && raw.size() <= 18 && (raw.size() == 1 || raw[0] != '0') &&
                        std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) seg.index = std::stoll(std::string(raw));
    p.segments.push_back(std::move(seg));
    if (end == text.size()) break;
    begin = end + 1;
  }
  *out = std::move(p);
  return "";
}

namespace {

constexpr std::string_view kMasked = "\"***\"";
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";  // allowed by RFC 8259, refused by simdjson
// Documents larger than this do not keep their parser memory for the next one.
constexpr size_t kKeepCapacity = 64 * 1024;

struct Edit {
  size_t begin;
  size_t end;
  std::string_view text;
};

// A pointer still being followed, and what it does where it ends.
struct Active {
  const JsonPointer* pointer;
  bool remove;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_number_char(char c) { return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

// RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < s.size() && s[i] == '.' && (++i, !digits())) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

}  // namespace

struct JsonRedactor::Impl {
  simdjson::dom::parser parser;
  std::string padded;
  std::string_view src;
  std::vector<Edit> edits;
  std::vector<Active> active;  // a stack: each level's pointers follow its parent's
  bool broken = false;         // the scanner lost step with the DOM (never on valid JSON)

  // Removed members or elements of one object or array. A run of removed
  // entries is cut up to the next kept entry, with its commas; a run at the
  // end is cut from the end of the last kept entry, taking the comma before it.
  struct Removals {
    size_t last_kept_end = std::string_view::npos;
    size_t run_start = std::string_view::npos;
    size_t last_end = 0;
  };

  RedactResult run(std::string_view doc, const JsonRedactRules& rules, std::string* out) {
    // simdjson reads a padded copy; edits are offsets into `doc` itself.
    padded.assign(doc);
    padded.append(simdjson::SIMDJSON_PADDING, '\0');
    if (doc.substr(0, 3) == kByteOrderMark) padded.replace(0, 3, "   ");
    simdjson::dom::element root;
    auto error = parser.parse(padded.data(), doc.size(), false).get(root);
    if (error == simdjson::NUMBER_ERROR && zero_numbers(doc.size()))
      error = parser.parse(padded.data(), doc.size(), false).get(root);
    src = doc;
    RedactResult result = error == simdjson::SUCCESS ? redact(root, rules, out) : RedactResult::kMalformed;
    if (doc.size() > kKeepCapacity) {
      parser = simdjson::dom::parser{};
      std::string().swap(padded);
    }
    return result;
  }

  // simdjson's DOM refuses numbers beyond 64-bit integers and doubles
  // ("1e400", a 30-digit id), which JSON allows. The transform never reads
  // numbers, so each well-formed one is written as 0 and spaces (the same
  // length) for a second parse; malformed ones stay and still fail.
  // Returns whether any changed.
  bool zero_numbers(size_t size) {
    bool changed = false;
    bool in_string = false;
    for (size_t i = 0; i < size; ++i) {
      const char c = padded[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        size_t end = i;
        while (end < size && is_number_char(padded[end])) ++end;
        if (is_json_number(std::string_view(padded).substr(i, end - i))) {
          padded[i] = '0';
          std::fill(padded.begin() + static_cast<std::ptrdiff_t>(i) + 1, padded.begin() + static_cast<std::ptrdiff_t>(end), ' ');
          changed = true;
        }
        i = end - 1;
      }
    }
    return changed;
  }

  RedactResult redact(simdjson::dom::element root, const JsonRedactRules& rules, std::string* out) {
    edits.clear();
    active.clear();
    broken = false;
    for (const JsonPointer& p : rules.remove) active.push_back({&p, true});
    for (const JsonPointer& p : rules.mask) active.push_back({&p, false});
    size_t pos = src.substr(0, 3) == kByteOrderMark ? 3 : 0;
    walk(root, skip_space(pos), 0, 0, active.size());
    if (broken) return RedactResult::kMalformed;
    if (edits.empty()) return RedactResult::kUnchanged;
    std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
    out->clear();
    out->reserve(src.size());
    size_t at = 0;
    for (const Edit& e : edits) {
      if (e.begin < at) return RedactResult::kMalformed;  // overlapping edits: a bug, never half a document
      out->append(src.substr(at, e.begin - at));
      out->append(e.text);
      at = e.end;
    }
    out->append(src.substr(at));
    return RedactResult::kChanged;
  }

  // The value at `pos` is `value`; pointers [first, last) have matched up to
  // `depth`. Returns the offset just after the value.
  size_t walk(simdjson::dom::element value, size_t pos, size_t depth, size_t first, size_t last) {
    simdjson::dom::object object;
    simdjson::dom::array array;
    if (value.get(object) == simdjson::SUCCESS) {
      expect(pos, '{');
      pos = skip_space(pos + 1);
      Removals removals;
      for (simdjson::dom::key_value_pair field : object) {
        const size_t start = pos;
        pos = skip_space(string_end(pos));
        expect(pos, ':');
        pos = skip_space(pos + 1);
        auto matches = [&](const JsonPointerSegment& s) { return s.any || s.key == field.key; };
        pos = after_separator(child(field.value, start, pos, depth, first, last, matches, removals));
      }
      expect(pos, '}');
      finish(removals);
      return pos + 1;
    }
    if (value.get(array) == simdjson::SUCCESS) {
      expect(pos, '[');
      pos = skip_space(pos + 1);
      Removals removals;
      int64_t index = 0;
      for (simdjson::dom::element item : array) {
        auto matches = [&](const JsonPointerSegment& s) { return s.any || s.index == index; };
        pos = after_separator(child(item, pos, pos, depth, first, last, matches, removals));
        ++index;
      }
      expect(pos, ']');
      finish(removals);
      return pos + 1;
    }
    return value_end(pos);  // a pointer that goes on into a scalar matches nothing
  }

  // One member (starting at `start`, its value at `pos`) or element.
  template <class Matches>
  size_t child(simdjson::dom::element value, size_t start, size_t pos, size_t depth, size_t first, size_t last,
               const Matches& matches, Removals& removals) {
    const size_t child_first = active.size();
    bool remove = false, mask = false;
    for (size_t k = first; k < last; ++k) {
      const Active a = active[k];
      if (!matches(a.pointer->segments[depth])) continue;
      if (depth + 1 < a.pointer->segments.size()) active.push_back(a);
      else (a.remove ? remove : mask) = true;
    }
    size_t end;
    if (remove || mask) {
      end = value_end(pos);
      if (!remove) edits.push_back({pos, end, kMasked});
    } else if (active.size() > child_first) {
      end = walk(value, pos, depth + 1, child_first, active.size());
    } else {
      end = value_end(pos);
    }
    active.resize(child_first);
    if (remove) {
      if (removals.run_start == std::string_view::npos) removals.run_start = start;
    } else {
      if (removals.run_start != std::string_view::npos) edits.push_back({removals.run_start, start, {}});
      removals.run_start = std::string_view::npos;
      removals.last_kept_end = end;
    }
    removals.last_end = end;
    return end;
  }

  void finish(const Removals& r) {
    if (r.run_start == std::string_view::npos) return;
    size_t from = r.last_kept_end != std::string_view::npos ? r.last_kept_end : r.run_start;
    edits.push_back({from, r.last_end, {}});
  }

  // Past the whitespace and the comma after a value, to the next entry or the closing bracket.
  size_t after_separator(size_t pos) {
    pos = skip_space(pos);
    return pos < src.size() && src[pos] == ',' ? skip_space(pos + 1) : pos;
  }

  void expect(size_t pos, char c) {
    if (pos >= src.size() || src[pos] != c) broken = true;
  }

  size_t skip_space(size_t pos) const {
    while (pos < src.size() && is_space(src[pos])) ++pos;
    return pos;
  }

  // `pos` is at an opening quote; returns the offset after the closing one.
  size_t string_end(size_t pos) {
    expect(pos, '"');
    for (++pos; pos < src.size(); ++pos) {
      if (src[pos] == '\\') ++pos;
      else if (src[pos] == '"') return pos + 1;
    }
    broken = true;
    return src.size();
  }

  // Any value, without recursion (documents may nest 1024 levels deep).
  size_t value_end(size_t pos) {
    if (pos >= src.size()) {
      broken = true;
      return pos;
    }
    const char c = src[pos];
    if (c == '"') return string_end(pos);
    if (c != '{' && c != '[') {  // a number, true, false or null
      while (pos < src.size() && !is_space(src[pos]) && src[pos] != ',' && src[pos] != '}' && src[pos] != ']') ++pos;
      return pos;
    }
    size_t depth = 0;
    while (pos < src.size()) {
      const char d = src[pos];
      if (d == '"') {
        pos = string_end(pos);
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if ((d == '}' || d == ']') && --depth == 0) return pos + 1;
      ++pos;
    }
    broken = true;
    return pos;
  }
};

JsonRedactor::JsonRedactor() : impl_(std::make_unique<Impl>()) {}
JsonRedactor::~JsonRedactor() = default;

RedactResult JsonRedactor::apply(std::string_view doc, const JsonRedactRules& rules, std::string* out) {
  if (rules.empty()) return RedactResult::kUnchanged;
  return impl_->run(doc, rules, out);
}

}  // namespace apigw::policy
