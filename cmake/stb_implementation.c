/* The implementation of the stb single-header libraries gpudigits uses, for machines where Debian's
 * libstb (which already contains it) is not installed: CMakeLists.txt compiles this file only then. */
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"
#define STB_TRUETYPE_IMPLEMENTATION
#include "stb_truetype.h"
