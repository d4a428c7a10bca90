// SPDX-License-Identifier: MIT
//
// `TextArena`: stable storage for the text of one batch (ids, urls, rejection details).
// Text is copied into large chunks that never move, so views handed out stay valid until
// `clear()`; `clear()` keeps the chunks, so a reused batch allocates nothing per node.
//
// Thread safety: none; one arena belongs to one batch, used by one thread at a time.

#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace bulkscore {

class TextArena {
public:
    /// Chunks are at least this large; a larger string gets a chunk of its own.
    static constexpr std::size_t kChunkBytes = 64 * 1024;

    TextArena() = default;
    TextArena(const TextArena&) = delete;
    TextArena& operator=(const TextArena&) = delete;
    TextArena(TextArena&&) noexcept = default;
    TextArena& operator=(TextArena&&) noexcept = default;
    ~TextArena() = default;

    /// Copies `text` into the arena and returns a view of the copy, valid until `clear()`.
    std::string_view store(std::string_view text);

    /// Forgets all stored text. Keeps ordinary chunks for reuse; releases oversized ones so
    /// that one huge field does not pin its memory for the rest of the run.
    void clear() noexcept;

    /// Bytes held by the arena's chunks (used or not).
    std::size_t capacity_bytes() const noexcept;

private:
    struct Chunk {
        std::unique_ptr<char[]> data;
        std::size_t size = 0;
    };

    std::vector<Chunk> chunks_;
    std::size_t current_ = 0;  // Index of the chunk being filled.
    std::size_t used_ = 0;     // Bytes used in `chunks_[current_]`.
};

}  // namespace bulkscore
