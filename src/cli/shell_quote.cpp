// SPDX-License-Identifier: MIT
//
// POSIX shell quoting for printed commands.

#include "cli/shell_quote.hpp"

namespace bulkscore::cli {

std::string shell_quote(std::string_view word) {
    constexpr std::string_view kPlain =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
        "OPQRSTUVWXYZ0123456789_-./:=@%+,";
    if (!word.empty() && word.find_first_not_of(kPlain) == std::string_view::npos) {
        return std::string(word);
    }
    std::string quoted = "'";
    for (const char c : word) {
        if (c == '\'') {
            quoted += "'\\''";  // Close the quote, an escaped quote, open again.
        } else {
            quoted.push_back(c);
        }
    }
    quoted.push_back('\'');
    return quoted;
}

std::string shell_quote_path(std::string_view path) {
    if (!path.empty() && path.front() == '-') {
        return shell_quote("./" + std::string(path));
    }
    return shell_quote(path);
}

}  // namespace bulkscore::cli
