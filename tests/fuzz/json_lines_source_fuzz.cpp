// SPDX-License-Identifier: MIT
//
// libFuzzer target: the JSON Lines source (`--format jsonl`). The fuzzer's bytes are the whole
// file; the shared harness (fuzz_support.hpp) drains every batch and checks the source invariants
// over a first read, a re-read with another batch size and a resume.
//
// Thread safety: none; libFuzzer calls the entry point from one thread.

#include <cstddef>
#include <cstdint>
#include <span>

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
    options.format = InputFormat::kJsonLines;
    options.read_buffer_bytes = plan.read_buffer_bytes;
    fuzz::exercise_source(options, plan);
    return 0;
}
