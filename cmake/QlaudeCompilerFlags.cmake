# Warning and hardening flags shared by every Qlaude target (see docs/STYLE.md).
add_library(qlaude_flags INTERFACE)
target_compile_options(qlaude_flags INTERFACE
    -Wall -Wextra -Wformat=2 -Wnon-virtual-dtor -Woverloaded-virtual
    -fstack-protector-strong)
target_compile_definitions(qlaude_flags INTERFACE
    QT_NO_CAST_TO_ASCII QT_NO_URL_CAST_FROM_STRING QT_USE_QSTRINGBUILDER
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    QLAUDE_VERSION="${PROJECT_VERSION}")
if(QLAUDE_WERROR)
    target_compile_options(qlaude_flags INTERFACE -Werror)
endif()
if(QLAUDE_PACKAGING)
    # Packaged files name no folder of the machine that built them (OpenSSL's allocation macros
    # expand __FILE__; scripts/package checks every installed file).
    target_compile_options(qlaude_flags INTERFACE -ffile-prefix-map=${CMAKE_SOURCE_DIR}/=
        -ffile-prefix-map=${CMAKE_BINARY_DIR}/=)
endif()
if(QLAUDE_SANITIZE)
    target_compile_options(qlaude_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(qlaude_flags INTERFACE -fsanitize=address,undefined)
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        # Coverage counters for the libFuzzer targets in tests/fuzz (only they link libFuzzer).
        target_compile_options(qlaude_flags INTERFACE -fsanitize=fuzzer-no-link)
    endif()
endif()

# qlaude_add_library(NAME DIR LIBS...): a static library from every .cpp/.h in DIR (not recursive).
function(qlaude_add_library name dir)
    file(GLOB _srcs CONFIGURE_DEPENDS ${dir}/*.cpp ${dir}/*.h)
    if(_srcs)
        add_library(${name} STATIC ${_srcs})
        target_include_directories(${name} PUBLIC ${dir})
        target_link_libraries(${name} PUBLIC qlaude_flags ${ARGN})
    else()
        add_library(${name} INTERFACE)
        target_link_libraries(${name} INTERFACE qlaude_flags ${ARGN})
    endif()
endfunction()
