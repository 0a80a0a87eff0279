# PNG and JPEG decoding for files from users (engine/image/png_decode.cpp, jpeg_decode.cpp):
# Debian's libpng-dev and libturbojpeg0-dev, both built and fuzzed for untrusted input. They reach
# gd_image through the interface target gd_image_codecs. GD_IMAGE_CODECS=AUTO builds without them
# where they are missing (the lent GPU machine): PNG and JPEG files are then refused with a clear
# error (engine/image/image_codecs_unavailable.cpp).
set(GD_IMAGE_CODECS "AUTO" CACHE STRING "PNG/JPEG decoding with libpng and libjpeg-turbo: AUTO (when found), ON (fail if missing), OFF")
set_property(CACHE GD_IMAGE_CODECS PROPERTY STRINGS AUTO ON OFF)
add_library(gd_image_codecs INTERFACE)
set(GD_CODEC_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/engine/image/png_decode.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/engine/image/jpeg_decode.cpp)
set(GD_CODEC_STUB ${CMAKE_CURRENT_SOURCE_DIR}/engine/image/image_codecs_unavailable.cpp)
if(NOT GD_IMAGE_CODECS STREQUAL "OFF")
  find_package(PNG)
  find_path(GD_TURBOJPEG_INCLUDE turbojpeg.h)
  find_library(GD_TURBOJPEG_LIB NAMES turbojpeg)
endif()
if(PNG_FOUND AND GD_TURBOJPEG_INCLUDE AND GD_TURBOJPEG_LIB)
  list(REMOVE_ITEM GD_IMAGE_SOURCES ${GD_CODEC_STUB})
  target_include_directories(gd_image_codecs SYSTEM INTERFACE ${GD_TURBOJPEG_INCLUDE})
  target_link_libraries(gd_image_codecs INTERFACE PNG::PNG ${GD_TURBOJPEG_LIB})
  set(GD_IMAGE_CODECS_SUMMARY "libpng ${PNG_VERSION_STRING}, ${GD_TURBOJPEG_LIB}")
elseif(GD_IMAGE_CODECS STREQUAL "ON")
  message(FATAL_ERROR "GD_IMAGE_CODECS=ON but libpng or libjpeg-turbo's TurboJPEG API (turbojpeg.h, libturbojpeg) "
    "was not found: install libpng-dev and libturbojpeg0-dev (./setup.sh)")
else()
  list(REMOVE_ITEM GD_IMAGE_SOURCES ${GD_CODEC_SOURCES})
  set(GD_IMAGE_CODECS_SUMMARY "off (libpng or libturbojpeg not found): PNG and JPEG files are refused")
endif()
