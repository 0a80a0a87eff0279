# PNG and JPEG decoding for files from users (engine/image/png_decode.cpp, jpeg_decode.cpp):
# Debian's libpng-dev and libturbojpeg0-dev, both built and fuzzed for untrusted input. They reach
# gd_image through the interface target gd_image_codecs.
find_package(PNG REQUIRED)
find_path(GD_TURBOJPEG_INCLUDE turbojpeg.h)
find_library(GD_TURBOJPEG_LIB NAMES turbojpeg)
if(NOT GD_TURBOJPEG_INCLUDE OR NOT GD_TURBOJPEG_LIB)
  message(FATAL_ERROR "libjpeg-turbo's TurboJPEG API (turbojpeg.h, libturbojpeg) not found: install "
    "libturbojpeg0-dev (./setup.sh), or set GD_TURBOJPEG_INCLUDE and GD_TURBOJPEG_LIB")
endif()
add_library(gd_image_codecs INTERFACE)
target_include_directories(gd_image_codecs SYSTEM INTERFACE ${GD_TURBOJPEG_INCLUDE})
target_link_libraries(gd_image_codecs INTERFACE PNG::PNG ${GD_TURBOJPEG_LIB})
set(GD_IMAGE_CODECS_SUMMARY "libpng ${PNG_VERSION_STRING}, ${GD_TURBOJPEG_LIB}")
