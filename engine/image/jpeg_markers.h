#pragma once
// Structural walk of a JPEG file's marker segments, before decoding: stb_image pads a truncated
// entropy-coded stream with zeros and returns a half-grey picture, so truncation is detected here.
// From SOI, every segment's length must fit in the file, each scan's entropy-coded data is skipped
// (stuffed FF 00 bytes, fill bytes and RSTn markers inside it), and the end-of-image marker (EOI)
// must be reached; bytes after EOI are ignored. A missing EOI is reported as truncation.
// Also returns the EXIF block of the first APP1 "Exif" segment (for the orientation tag) and
// whether the frame is baseline or progressive.
#include <cstddef>
#include <cstdint>
#include <string>

namespace gd {

struct JpegLayout {
  bool progressive = false;  // SOF2 (or another progressive SOF)
  int sof_marker = 0;        // 0xC0..0xCF of the frame header, 0 when none was seen
  int scans = 0;             // SOS segments
  std::string exif;          // the TIFF structure after "Exif\0\0", empty when absent
};

// data[0..n) starts with FF D8. Throws DataError naming `name` and the problem.
JpegLayout check_jpeg_markers(const uint8_t* data, size_t n, const std::string& name);

}  // namespace gd
