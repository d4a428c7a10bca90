// SPDX-License-Identifier: MIT
//
// libFuzzer target: the Search Analytics API JSON source (`--format gsc-api`): rows under `rows` or
// in a bare array (the default key), or under `pages`/`queries` as in a wrapper that a user names
// with `--rows-key`. The fuzzer's bytes are the whole file; the shared harness (fuzz_support.hpp)
// drains every batch and checks the source invariants over a first read, a re-read with another
// batch size and a resume.
//
// Thread safety: none; libFuzzer calls the entry point from one thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bulkscore/node_source.hpp"

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace bulkscore;
    const std::span<const std::uint8_t> bytes(data, size);
    fuzz::InputFile& file = fuzz::InputFile::instance();
    file.write(bytes);
    const fuzz::ReadPlan plan = fuzz::plan_for(bytes);
    SourceOptions options;
    options.path = file.path();
    options.format = InputFormat::kGscApi;
    constexpr std::string_view kRowsKeys[] = {"", "pages", "queries"};
    options.json_rows_key = kRowsKeys[plan.resume_pick % 3];
    options.read_buffer_bytes = plan.read_buffer_bytes;
    fuzz::exercise_source(options, plan);
    return 0;
}
