// SPDX-License-Identifier: MIT
//
// The URL normalisation that joins a crawl to another export (`score --crawl`): two spellings
// of one address that a crawler and Search Console commonly differ in map to one text, and a
// 64-bit hash of that text keys the crawl index. docs/formats.md states the rules for users.
//
// Thread safety: pure functions over the caller's objects.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bulkscore::detail {

/// Appends the normal form of `url` to `out` (which keeps its earlier contents, so that many
/// URLs can share one buffer without allocating once it is warm):
///
/// - surrounding ASCII blanks are dropped, and so is a `#fragment`;
/// - the scheme and the host are lower-cased, and a port that is the scheme's default (`:80`
///   for http, `:443` for https) or empty is dropped; user info is kept as written;
/// - an empty path becomes `/`; a trailing slash stays significant;
/// - a percent-escape of an unreserved character (`A-Z a-z 0-9 - . _ ~`) is decoded, any other
///   escape has its hex digits upper-cased; a `%` not followed by two hex digits stays as it is.
///
/// Text without `scheme://` (a path, a CMS id) gets only the fragment and escape rules.
/// http and https, and a host with or without `www.`, stay different addresses.
void append_normalised_url(std::string_view url, std::string& out);

/// `append_normalised_url` into an empty string; for tests and messages.
std::string normalised_url(std::string_view url);

/// A 64-bit hash of a normalised URL: FNV-1a with a final avalanche, so that nearby texts
/// spread over the whole key range of the index.
std::uint64_t hash_url(std::string_view normalised) noexcept;

}  // namespace bulkscore::detail
