// SPDX-License-Identifier: MIT

#include "sources/crawl_url.hpp"

namespace bulkscore::detail {
namespace {

constexpr std::string_view kHexDigits = "0123456789ABCDEF";

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool is_unreserved(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view strip(std::string_view text) noexcept {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// Appends a path, query or id with its escapes normalised.
void append_escaped(std::string_view text, std::string& out) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const int high = c == '%' && i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
        const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
        if (low < 0) {
            out.push_back(c);
            continue;
        }
        const char decoded = static_cast<char>(high * 16 + low);
        if (is_unreserved(decoded)) {
            out.push_back(decoded);
        } else {
            out.push_back('%');
            out.push_back(kHexDigits[static_cast<std::size_t>(high)]);
            out.push_back(kHexDigits[static_cast<std::size_t>(low)]);
        }
        i += 2;
    }
}

// The length of a `scheme:` prefix (the colon excluded) followed by `//`, or 0.
std::size_t scheme_length(std::string_view url) noexcept {
    if (url.empty() || !((url[0] >= 'A' && url[0] <= 'Z') || (url[0] >= 'a' && url[0] <= 'z'))) {
        return 0;
    }
    for (std::size_t i = 1; i < url.size(); ++i) {
        const char c = url[i];
        if (c == ':') {
            return url.substr(i + 1).starts_with("//") ? i : 0;
        }
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
        if (!allowed) {
            return 0;
        }
    }
    return 0;
}

// Appends `user@host:port` with the host lower-cased and a default or empty port dropped.
void append_authority(std::string_view scheme, std::string_view authority, std::string& out) {
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        out.append(authority.substr(0, at + 1));
        authority.remove_prefix(at + 1);
    }
    // A port follows the last colon, unless that colon is inside an IPv6 literal (`[::1]`).
    std::string_view port;
    const std::size_t colon = authority.rfind(':');
    const std::size_t bracket = authority.rfind(']');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        port = authority.substr(colon + 1);
        authority = authority.substr(0, colon);
    }
    for (const char c : authority) {
        out.push_back(lower(c));
    }
    const bool default_port =
        port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    if (!default_port) {
        out.push_back(':');
        out.append(port);
    }
}

}  // namespace

void append_normalised_url(std::string_view url, std::string& out) {
    url = strip(url);
    url = url.substr(0, url.find('#'));

    const std::size_t scheme_end = scheme_length(url);
    if (scheme_end == 0) {
        append_escaped(url, out);
        return;
    }
    const std::size_t scheme_begin = out.size();
    for (const char c : url.substr(0, scheme_end)) {
        out.push_back(lower(c));
    }
    // Copied out before `out` grows further and may move.
    const std::string_view written = std::string_view(out).substr(scheme_begin);
    const std::string_view scheme =
        written == "http" ? "http" : (written == "https" ? "https" : "");
    out.append("://");

    std::string_view rest = url.substr(scheme_end + 3);
    const std::size_t authority_end = rest.find_first_of("/?");
    append_authority(scheme, rest.substr(0, authority_end), out);
    rest =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (rest.empty() || rest.front() == '?') {
        out.push_back('/');
    }
    append_escaped(rest, out);
}

std::string normalised_url(std::string_view url) {
    std::string out;
    append_normalised_url(url, out);
    return out;
}

std::uint64_t hash_url(std::string_view normalised) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : normalised) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    // The finaliser of splitmix64: FNV-1a alone leaves the high bits of short texts alike.
    hash ^= hash >> 30;
    hash *= 0xbf58476d1ce4e5b9ULL;
    hash ^= hash >> 27;
    hash *= 0x94d049bb133111ebULL;
    hash ^= hash >> 31;
    return hash;
}

}  // namespace bulkscore::detail
