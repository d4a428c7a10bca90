# libFuzzer builds (BULKSCORE_FUZZ, off by default; the `fuzz` preset turns it on with clang-14).
#
# When on, every target of the tree is compiled with coverage instrumentation for libFuzzer
# (`-fsanitize=fuzzer-no-link`) plus AddressSanitizer and UndefinedBehaviorSanitizer, so that the
# library code the fuzz targets reach is both guided and checked. UB aborts instead of printing
# and going on, so that libFuzzer records it as a crash. The targets themselves (tests/fuzz) add
# `-fsanitize=fuzzer` at link time, which brings libFuzzer's `main`.
#
# Include it before the library is defined: the flags are directory-wide.

option(BULKSCORE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(BULKSCORE_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR
            "BULKSCORE_FUZZ needs clang (libFuzzer); this is ${CMAKE_CXX_COMPILER_ID}. Configure "
            "with the `fuzz` preset, or -DCMAKE_CXX_COMPILER=clang++-14 after "
            "`scripts/install-deps --fuzz`.")
    endif()
    # Workaround: clang 14 fails on C++20 coroutines (src/engine/engine_pipeline.cpp) with
    # "error: Cannot represent a difference across sections" when UBSan's `function` check is on
    # (llvm/llvm-project#49689). That check only covers calls through mistyped function pointers;
    # turn it back on once the fuzz build moves to a clang that compiles coroutines with it.
    set(BULKSCORE_FUZZ_SANITIZERS
        -fsanitize=address,undefined
        -fno-sanitize=function
        -fno-sanitize-recover=undefined
        -fno-omit-frame-pointer)
    add_compile_options(-fsanitize=fuzzer-no-link ${BULKSCORE_FUZZ_SANITIZERS})
    add_link_options(-fsanitize=address,undefined)
endif()
