#pragma once
// The EXIF orientation tag (0x0112 in IFD0 of the TIFF structure carried by a JPEG APP1 "Exif"
// segment or a PNG eXIf chunk) and its application, so a phone photo shows the digit upright as
// image viewers display it. Values (how the stored image must be transformed for display):
//   1 as stored            2 mirror left-right        3 rotate 180            4 mirror top-bottom
//   5 transpose            6 rotate 90 clockwise      7 transverse            8 rotate 90 counter-clockwise
// A malformed or truncated EXIF block is ignored (orientation 1), as image viewers do: the pixels
// themselves are still valid.
#include <string>

#include "engine/image/gray_image.h"

namespace gd {

// 1..8 from a TIFF structure ("II*\0" or "MM\0*" header, IFD0 entries); 1 when absent or malformed.
int exif_orientation(const std::string& tiff);

// The displayed image for a stored one (orientation outside 1..8 is treated as 1).
GrayImage16 apply_orientation(const GrayImage16& stored, int orientation);

}  // namespace gd
