// SPDX-License-Identifier: MIT

#include "cli/pg_url.hpp"

#include <cctype>

namespace bulkscore::cli {
namespace {

// Removes every `password=VALUE` item: `&`-separated in a URL's query, blank-separated (value
// possibly single-quoted) in a key=value string.
std::string drop_password_settings(std::string text, bool uri) {
    const char separator = uri ? '&' : ' ';
    std::size_t at = 0;
    while ((at = text.find("password=", at)) != std::string::npos) {
        const bool starts_item = at == 0 || text[at - 1] == separator ||
                                 (uri && text[at - 1] == '?') ||
                                 (!uri && std::isspace(static_cast<unsigned char>(text[at - 1])));
        if (!starts_item) {
            at += 9;
            continue;
        }
        std::size_t end = at + 9;
        if (!uri && end < text.size() && text[end] == '\'') {
            ++end;
            while (end < text.size() && text[end] != '\'') {
                end += text[end] == '\\' ? 2U : 1U;
            }
            end = std::min(end + 1, text.size());
        } else {
            while (end < text.size() && text[end] != separator &&
                   !(!uri && std::isspace(static_cast<unsigned char>(text[end])))) {
                ++end;
            }
        }
        // Take one separator along, before or after, so that none is left doubled.
        if (end < text.size() && (text[end] == separator || text[end] == ' ')) {
            ++end;
        } else if (at > 0 && (text[at - 1] == separator || text[at - 1] == ' ')) {
            --at;
        }
        text.erase(at, end - at);
    }
    if (uri && !text.empty() && text.back() == '?') {
        text.pop_back();
    }
    return text;
}

}  // namespace

std::string without_password(std::string_view url) {
    std::string text(url);
    const std::size_t scheme = text.find("://");
    if (scheme == std::string::npos) {
        return drop_password_settings(std::move(text), false);
    }
    const std::size_t authority = scheme + 3;
    const std::size_t authority_end = text.find_first_of("/?", authority);
    const std::size_t at =
        text.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at != std::string::npos && at >= authority) {
        const std::size_t colon = text.find(':', authority);
        if (colon != std::string::npos && colon < at) {
            text.erase(colon, at - colon);
        }
    }
    return drop_password_settings(std::move(text), true);
}

bool has_password(std::string_view url) {
    return without_password(url) != url;
}

}  // namespace bulkscore::cli
