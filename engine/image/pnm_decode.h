#pragma once
// A validating reader for the Netpbm formats (stb_image reads neither ASCII PNM nor PBM):
//   P1 plain PBM, P2 plain PGM, P3 plain PPM (ASCII), P4 PBM, P5 PGM, P6 PPM (binary).
// Header: magic, width, height and (except PBM) maxval 1..65535, separated by whitespace, with
// '#' comments running to the end of the line allowed anywhere between the fields. Binary
// rasters follow exactly one whitespace byte after the last field; samples are 1 byte when
// maxval < 256, else 2 bytes big-endian; PBM rows are packed 8 pixels per byte, MSB first, each
// row padded to a whole byte. In PBM 1 means black. ASCII rasters are decimal numbers separated by
// whitespace (comments tolerated there too; plain PBM digits need no separator).
// Data after the first image (a multi-image file) is ignored.
//
// Every problem is a DataError naming the file, the format and what is wrong: a missing or
// non-numeric field (with its byte offset), zero or absurd sizes, maxval outside 1..65535, a
// sample above maxval (with its x, y), a truncated raster (bytes needed vs present, checked before
// anything is allocated), and images over the pixel limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gd {

struct PnmImage {
  char kind = '5';     // the digit after 'P'
  int width = 0, height = 0;
  int channels = 1;    // 1 (PBM, PGM) or 3 (PPM)
  int maxval = 255;    // 1 for PBM
  std::vector<uint16_t> samples;  // (height, width, channels), rescaled to 0..65535 (PBM: black 0, white 65535)
};

// data[0..n) must start with "P1".."P6"; `name` is used in messages. max_pixels: width * height
// above it is refused before allocating.
PnmImage decode_pnm(const uint8_t* data, size_t n, const std::string& name, int64_t max_pixels);

}  // namespace gd
