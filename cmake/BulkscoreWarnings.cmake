# Warnings for the project's own targets; BULKSCORE_WERROR (on in CI) makes them errors.
#
# -Wnull-dereference is left out: with g++ 12 at -O2 it fires inside Boost.Asio's and
# libstdc++'s shared_ptr code after inlining (false positives we cannot silence per header).
# Revisit with a newer compiler.

function(bulkscore_set_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
        -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
        -Wimplicit-fallthrough)
    if(BULKSCORE_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
