// SPDX-License-Identifier: MIT

#include "bulkscore/text_arena.hpp"

#include <algorithm>
#include <cstring>

namespace bulkscore {

std::string_view TextArena::store(std::string_view text) {
    if (text.empty()) {
        return {};
    }
    while (current_ < chunks_.size() && chunks_[current_].size - used_ < text.size()) {
        // A string that does not fit moves on to the next retained chunk; the few bytes left
        // behind are cheaper than tracking holes.
        if (used_ == 0 && chunks_[current_].size < text.size()) {
            break;
        }
        ++current_;
        used_ = 0;
    }
    if (current_ == chunks_.size() || chunks_[current_].size - used_ < text.size()) {
        const std::size_t size = std::max(kChunkBytes, text.size());
        chunks_.insert(
            chunks_.begin() + static_cast<std::ptrdiff_t>(std::min(current_, chunks_.size())),
            Chunk{std::make_unique<char[]>(size), size});
        used_ = 0;
    }
    char* destination = chunks_[current_].data.get() + used_;
    std::memcpy(destination, text.data(), text.size());
    used_ += text.size();
    return {destination, text.size()};
}

void TextArena::clear() noexcept {
    std::erase_if(chunks_, [](const Chunk& chunk) { return chunk.size > kChunkBytes; });
    current_ = 0;
    used_ = 0;
}

std::size_t TextArena::capacity_bytes() const noexcept {
    std::size_t total = 0;
    for (const Chunk& chunk : chunks_) {
        total += chunk.size;
    }
    return total;
}

}  // namespace bulkscore
