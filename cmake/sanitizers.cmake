# Sanitizer and fuzzing builds (issue 19). Both apply to every target, so they are set before any
# target is defined; both want a build directory of their own.
#
#   GD_SANITIZE=ON  AddressSanitizer + UndefinedBehaviorSanitizer over the whole build (engine,
#                   apps, tests); any UB report aborts (-fno-sanitize-recover). README: "Sanitizer
#                   build". GCC or Clang.
#   GD_FUZZ=ON      the libFuzzer targets of tests/fuzz, with ASan + UBSan; Clang only (Debian's
#                   clang-14 and libclang-rt-14-dev, which ships libFuzzer). The targets' smoke
#                   runs are ctest tests labelled "fuzz".
option(GD_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(GD_FUZZ "Build the libFuzzer targets in tests/fuzz with ASan + UBSan (needs clang)" OFF)

if(GD_SANITIZE OR GD_FUZZ)
  set(GD_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${GD_SANITIZER_FLAGS}>")  # not for nvcc
  add_link_options(-fsanitize=address,undefined)
endif()
if(GD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GD_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang-14 "
      "-DCMAKE_CXX_COMPILER=clang++-14 (./setup.sh installs clang-14 and libclang-rt-14-dev)")
  endif()
  # Coverage instrumentation for every library; only the fuzz targets link libFuzzer's main.
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=fuzzer-no-link>")
endif()
set(GD_SANITIZE_SUMMARY "off")
if(GD_SANITIZE)
  set(GD_SANITIZE_SUMMARY "ASan + UBSan (GD_SANITIZE=ON)")
endif()
if(GD_FUZZ)
  set(GD_SANITIZE_SUMMARY "ASan + UBSan, libFuzzer targets in tests/fuzz (GD_FUZZ=ON)")
endif()
