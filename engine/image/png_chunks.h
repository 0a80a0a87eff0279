#pragma once
// Structural check of a PNG file before it is decoded (stb_image skips CRCs and may decode a
// truncated stream without complaint): the chunk sequence is walked from the signature to IEND.
//  * every chunk's length must fit in the file (else "truncated PNG: chunk 'IDAT' at byte 1234
//    declares 5000 bytes, only 200 remain"), the first chunk must be IHDR (13 bytes) and an IEND
//    chunk must be reached before the data end;
//  * a CRC mismatch in a critical chunk (upper-case first letter: IHDR, PLTE, IDAT, IEND) is an
//    error; in an ancillary chunk it is ignored, as libpng does;
//  * bytes after IEND are ignored.
// Returns the payload of an eXIf chunk, if any (for the orientation tag).
#include <cstddef>
#include <cstdint>
#include <string>

namespace gd {

struct PngLayout {
  int width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  bool interlaced = false;
  std::string exif;  // eXIf chunk payload (a TIFF structure), empty when absent
};

// data[0..n) starts with the PNG signature. Throws DataError naming `name` and the problem.
PngLayout check_png_chunks(const uint8_t* data, size_t n, const std::string& name);

}  // namespace gd
