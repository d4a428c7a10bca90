// SPDX-License-Identifier: MIT
//
// `bulkscore generate N OUT.csv [--seed S]`: writes a synthetic site in the native CSV format,
// for demos, benchmarks and trying the tool out.

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "bulkscore/site_generator.hpp"

#include "cli/commands.hpp"
#include "cli/progress_display.hpp"

namespace bulkscore::cli {

int run_generate(const GenerateArgs& args) {
    const auto started = std::chrono::steady_clock::now();
    SiteGeneratorOptions options;
    options.pages = args.pages;
    options.seed = args.seed;
    if (Status status = write_site_csv(args.out, options); !status.ok()) {
        fmt::print(stderr, "bulkscore: error: {}\n", status.message());
        return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailed;
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::error_code error;
    const auto bytes = std::filesystem::file_size(args.out, error);
    fmt::print("wrote {} pages (seed {}, {} bytes) to {} in {}\n", group_thousands(args.pages),
               args.seed, group_thousands(error ? 0 : static_cast<std::uint64_t>(bytes)), args.out,
               format_duration(elapsed));
    return kExitOk;
}

}  // namespace bulkscore::cli
