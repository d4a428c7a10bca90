# Warnings for the project's own targets; BULKSCORE_WERROR (on in CI) makes them errors.

function(bulkscore_set_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
        -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
        -Wimplicit-fallthrough)
    if(BULKSCORE_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
