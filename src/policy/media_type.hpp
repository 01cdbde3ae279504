// Media types ("application/json; charset=utf-8") for the schema policy's
// content_types, matched as Kong's request-validator matches them: type and
// subtype case-insensitively (`*` in the allowed type matches any), and the
// parameters strictly: the same names (case-insensitive) with the same values
// (the charset's case-insensitive), so "application/json; charset=utf-8" is
// not "application/json". Parsing never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

namespace apigw::policy {

struct MediaType {
  static constexpr size_t kMaxParams = 8;
  std::string_view type, subtype;
  std::array<std::pair<std::string_view, std::string_view>, kMaxParams> params{};  // values unquoted
  size_t param_count = 0;
};

// RFC 9110 media-type: token "/" token *( OWS ";" OWS token "=" ( token / quoted-string ) ).
// False when `text` is not one (or has more than kMaxParams parameters).
bool parse_media_type(std::string_view text, MediaType* out) noexcept;

// True when `got` (a request's) is what `allowed` (a configured one) allows.
bool media_type_allows(const MediaType& allowed, const MediaType& got) noexcept;

}  // namespace apigw::policy
