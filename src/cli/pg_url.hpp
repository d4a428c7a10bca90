// SPDX-License-Identifier: MIT
//
// PostgreSQL URLs on the command line's output: commands that `score --pg` and `status --pg`
// print must never carry the password the user typed.
//
// Thread safety: a pure function.

#pragma once

#include <string>
#include <string_view>

namespace bulkscore::cli {

/// `url` without its password: `postgresql://user:secret@host/db` becomes
/// `postgresql://user@host/db`, and a `password=...` setting (in a URL's query or a libpq
/// `key=value` string) is dropped. The result connects with the password from PGPASSWORD or
/// ~/.pgpass instead.
std::string without_password(std::string_view url);

/// Whether `url` held a password that `without_password` removed.
bool has_password(std::string_view url);

}  // namespace bulkscore::cli
