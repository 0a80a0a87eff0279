#pragma once
// Where the digit is: the bounding box of the ink that belongs to it, ignoring specks of noise and
// the dark edges a scanner leaves along the border.
//
// The mask is ink >= threshold (a fraction of full ink: a binarisation like the one NIST's
// originals had, so the box matches MNIST's box of the binary digit); its 8-connected components
// are measured (pixel count, ink mass, box). Then:
//  * scan-frame lines: a component lying wholly within the frame ring (max(2, 5% of the shorter
//    side) from an edge) and spanning at least a quarter of that edge's length is a frame
//    candidate; it is dropped when a clear gap (more than twice the ring width) separates it from
//    the remaining ink, and kept as part of the digit otherwise (a tightly cropped digit touches edges);
//  * specks: components whose ink mass is below min_fraction of the heaviest one are dropped
//    (dust, salt noise, isolated JPEG blocks), which keeps the broken strokes of a faint pen;
//  * dropped components are erased from the ink image (their mask pixels set to 0), so they do
//    not pull the centre of mass either;
//  * the box of the kept components then grows over the faint anti-aliased rim around them: each
//    side moves out while the line just outside holds any ink (> 0), by at most
//    max(1, 2% of the box's longer side) lines. MNIST's 20 px box is that of the whole digit,
//    faint edge pixels included, so a digit that is already anti-aliased keeps its size.
#include "engine/image/gray_image.h"

namespace gd {

struct InkRegion {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // bounding box, half-open [x0, x1) x [y0, y1)
  int components = 0;                  // components kept
  int dropped_specks = 0, dropped_frame = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};

// Requires some pixel of `ink` at or above `threshold` (the peak of an ink map is 1); modifies
// `ink` in place by erasing the dropped components.
InkRegion find_ink_region(FloatImage& ink, float threshold, double min_fraction);

}  // namespace gd
