// Misclassified-sample selection and gallery HTML (see misclassified_gallery.h).
#include "engine/report/misclassified_gallery.h"

#include <algorithm>

#include "engine/core/error.h"
#include "engine/report/digit_image.h"
#include "engine/report/html_escape.h"
#include "engine/report/html_fragments.h"

namespace gd::report {

std::vector<Misclassified> select_misclassified(const Predictions& p, const std::vector<uint8_t>& labels, int limit) {
  GD_CHECK_SHAPE(limit >= 0, "misclassified gallery: limit must be >= 0, got " << limit);
  GD_CHECK_SHAPE(static_cast<int64_t>(labels.size()) == p.n,
                 "misclassified gallery: " << p.n << " predictions but " << labels.size() << " labels");
  std::vector<Misclassified> all;
  for (int64_t i = 0; i < p.n; ++i) {
    const int t = labels[static_cast<size_t>(i)];
    const int pred = p.label[static_cast<size_t>(i)];
    if (t == pred) continue;
    GD_CHECK_T(t < p.num_classes, DataError,
               "misclassified gallery: sample " << i << " has label " << t << " but there are " << p.num_classes
                                                << " classes");
    all.push_back({i, t, pred, p.confidence(i), p.prob(i, t)});
  }
  const size_t keep = std::min(all.size(), static_cast<size_t>(limit));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    [](const Misclassified& a, const Misclassified& b) {
                      if (a.confidence != b.confidence) return a.confidence > b.confidence;
                      return a.index < b.index;
                    });
  all.resize(keep);
  return all;
}

std::string misclassified_gallery(const Dataset& images, const std::vector<Misclassified>& items,
                                  const std::vector<std::string>& class_names) {
  auto name = [&](int c) {
    return c >= 0 && static_cast<size_t>(c) < class_names.size() ? class_names[static_cast<size_t>(c)] : std::to_string(c);
  };
  std::string h = "<div class=\"gallery\" id=\"misclassified-gallery\">\n";
  for (const Misclassified& m : items) {
    const GrayImage img = sample_image(images, m.index);
    const std::string alt = "sample " + std::to_string(m.index) + ": true " + name(m.true_label) + ", predicted " +
                            name(m.predicted) + " with confidence " + percent(m.confidence, 1);
    h += "<figure class=\"digit\" title=\"" + html_escape(alt + "; p(true) = " + percent(m.true_prob, 2)) + "\">" +
         digit_img_tag(img, 3 * img.width, alt) + "<figcaption><span class=\"true\">" + html_escape(name(m.true_label)) +
         "</span> &rarr; <span class=\"pred\">" + html_escape(name(m.predicted)) + "</span><span class=\"conf\">conf. " +
         html_escape(percent(m.confidence, 1)) + "</span><span class=\"conf\">p(true) " +
         html_escape(percent(m.true_prob, 1)) + "</span></figcaption></figure>\n";
  }
  h += "</div>\n";
  return h;
}

}  // namespace gd::report
