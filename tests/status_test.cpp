// SPDX-License-Identifier: MIT
//
// Tests of `Status`: how context is added to a message.

#include "bulkscore/status.hpp"

#include <catch2/catch.hpp>

using bulkscore::Status;
using bulkscore::StatusCode;

TEST_CASE("Status: context is put in front of the message, and an ok status stays ok", "[status]") {
    const Status error = bulkscore::data_loss_error("line 3: a quote is never closed");
    const Status named = error.with_context("pages.csv");
    CHECK(named.code() == StatusCode::kDataLoss);
    CHECK(named.message() == "pages.csv: line 3: a quote is never closed");
    CHECK(bulkscore::ok_status().with_context("pages.csv").ok());
}

TEST_CASE("Status: a message that already begins with the context does not get it twice",
          "[status]") {
    const Status error = bulkscore::data_loss_error("pages.csv: line 3: a quote is never closed");
    CHECK(error.with_context("pages.csv").message() == error.message());
    // Only a whole leading context counts, not a longer name that starts the same way.
    CHECK(error.with_context("pages").message() ==
          "pages: pages.csv: line 3: a quote is never closed");
}
