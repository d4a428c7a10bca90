// SPDX-License-Identifier: MIT
//
// Quoting for the commands the CLI prints for people to paste (`score`'s and `status`'s resume
// commands): POSIX shell words that read back as exactly the original text.
//
// Thread safety: pure functions, safe from any thread.

#pragma once

#include <string>
#include <string_view>

namespace bulkscore::cli {

/// `word` as one POSIX shell word: unchanged when it holds only characters no shell treats
/// specially (letters, digits and `_-./:=@%+,`), else in single quotes, each `'` written as `'\''`.
/// An empty word is `''`. Bytes outside ASCII (UTF-8 names) are quoted, never altered.
std::string shell_quote(std::string_view word);

/// As `shell_quote`, for a path given as the value of an option: a relative path that starts with
/// `-` gets a leading `./`, so that the command-line parser does not take it for a flag.
std::string shell_quote_path(std::string_view path);

}  // namespace bulkscore::cli
