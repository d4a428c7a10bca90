// SPDX-License-Identifier: MIT
// Placeholder entry point replaced by the CLI work.
int main() { return 0; }
