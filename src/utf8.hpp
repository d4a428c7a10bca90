// SPDX-License-Identifier: MIT
//
// UTF-8 checks shared by the sources (rejection messages show what they can of a bad value) and
// the JSON Lines sink (JSON text must be valid UTF-8).
//
// Thread safety: pure functions.

#pragma once

#include <cstddef>
#include <string_view>

namespace bulkscore::detail {

/// U+FFFD, written in place of bytes that are not UTF-8.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

/// The length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629: no overlong
/// forms, no surrogates, nothing past U+10FFFF), or 0 when it does not start with one or is
/// empty.
std::size_t utf8_sequence_length(std::string_view text) noexcept;

}  // namespace bulkscore::detail
