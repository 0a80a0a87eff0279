#include "engine/data/idx.h"

#include "engine/core/error.h"
#include "engine/data/file_bytes.h"

namespace gd {

namespace {

constexpr uint32_t kImagesMagic = 2051;  // 0x00000803
constexpr uint32_t kLabelsMagic = 2049;  // 0x00000801

uint32_t read_be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

const char* describe_magic(uint32_t magic) {
  if (magic == kImagesMagic) return " (an IDX image file)";
  if (magic == kLabelsMagic) return " (an IDX label file)";
  if ((magic >> 16) == 0x1f8bu) return " (gzip inside gzip?)";
  return " (not an IDX file)";
}

constexpr int64_t kMaxPayload = int64_t{1} << 40;

// The `dims` sizes after the magic number of header[0..4+4*dims).
std::vector<int64_t> header_dims(const std::string& path, const uint8_t* header, int dims) {
  std::vector<int64_t> d(static_cast<size_t>(dims));
  for (int i = 0; i < dims; ++i) {
    d[static_cast<size_t>(i)] = read_be32(header + 4 + 4 * i);
    GD_CHECK_T(d[static_cast<size_t>(i)] <= (int64_t{1} << 31) - 1, DataError,
               path << ": IDX dimension " << i << " is " << d[static_cast<size_t>(i)] << ", which is not plausible");
  }
  return d;
}

// The product of the dims, checked before each multiplication so it cannot overflow.
int64_t payload_bytes(const std::vector<int64_t>& d) {
  int64_t payload = 1;
  for (const int64_t v : d) {
    if (v == 0) return 0;
    if (payload > kMaxPayload / v) return kMaxPayload + 1;
    payload *= v;
  }
  return payload;
}

// What the loader may read from an IDX file (inflated): the header and the payload it announces,
// plus a little slack so trailing bytes are reported exactly by check_header. A wrong magic
// number or an absurd header fails here, before anything is inflated.
ContentLimit idx_limit(const std::string& path, uint32_t magic, int dims, const char* what) {
  ContentLimit limit;
  limit.header_bytes = 4 + 4 * static_cast<size_t>(dims);
  limit.from_header = [&path, magic, dims, what](const uint8_t* header) {
    const uint32_t got = read_be32(header);
    GD_CHECK_T(got == magic, DataError,
               path << ": wrong magic number for an IDX " << what << " file: expected " << magic << ", got " << got
                    << describe_magic(got));
    const int64_t payload = payload_bytes(header_dims(path, header, dims));
    GD_CHECK_T(payload <= kMaxPayload, DataError, path << ": IDX header announces more than 2^40 bytes of data");
    const uint64_t announced = 4 + 4 * static_cast<uint64_t>(dims) + static_cast<uint64_t>(payload);
    return SizeCap{announced + 4096, "the " + std::to_string(announced) + " bytes its IDX " + what +
                                         " header announces (plus 4096 bytes of slack)"};
  };
  return limit;
}

// Checks the header (magic + `dims` sizes) and that exactly the announced payload follows.
// Returns the dims; `bytes` keeps the whole file.
std::vector<int64_t> check_header(const std::string& path, const std::vector<uint8_t>& bytes,
                                  uint32_t magic, int dims, const char* what) {
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  GD_CHECK_T(bytes.size() >= 4, DataError,
             path << ": truncated IDX " << what << " file: " << bytes.size()
                  << " bytes, too short for the 4-byte magic number");
  const uint32_t got = read_be32(bytes.data());
  GD_CHECK_T(got == magic, DataError,
             path << ": wrong magic number for an IDX " << what << " file: expected " << magic
                  << ", got " << got << describe_magic(got));
  GD_CHECK_T(bytes.size() >= header, DataError,
             path << ": truncated IDX " << what << " header: expected " << header << " bytes, only "
                  << bytes.size() << " available");
  std::vector<int64_t> d = header_dims(path, bytes.data(), dims);
  const int64_t payload = payload_bytes(d);
  GD_CHECK_T(payload <= kMaxPayload, DataError, path << ": IDX header announces more than 2^40 bytes of data");
  const int64_t expected = static_cast<int64_t>(header) + payload;
  const int64_t available = static_cast<int64_t>(bytes.size());
  GD_CHECK_T(available >= expected, DataError,
             path << ": truncated IDX " << what << " file: the header announces " << expected
                  << " bytes, only " << available << " available");
  GD_CHECK_T(available == expected, DataError,
             path << ": IDX " << what << " file has " << (available - expected)
                  << " unexpected bytes after the " << expected << " announced by its header");
  return d;
}

}  // namespace

IdxImages read_idx_images(const std::string& path, int64_t expect_height, int64_t expect_width) {
  std::vector<uint8_t> bytes = read_file_maybe_gzip(path, idx_limit(path, kImagesMagic, 3, "image"));
  const std::vector<int64_t> d = check_header(path, bytes, kImagesMagic, 3, "image");
  IdxImages im;
  im.n = d[0];
  im.height = d[1];
  im.width = d[2];
  GD_CHECK_T(im.height > 0 && im.width > 0, DataError,
             path << ": IDX images have size " << im.height << "x" << im.width);
  if (expect_height > 0 || expect_width > 0) {
    GD_CHECK_T(im.height == expect_height && im.width == expect_width, DataError,
               path << ": wrong image size: expected " << expect_height << "x" << expect_width
                    << ", got " << im.height << "x" << im.width);
  }
  bytes.erase(bytes.begin(), bytes.begin() + 16);  // in place: no second 47 MB buffer
  im.pixels = std::move(bytes);
  return im;
}

std::vector<uint8_t> read_idx_labels(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_maybe_gzip(path, idx_limit(path, kLabelsMagic, 1, "label"));
  check_header(path, bytes, kLabelsMagic, 1, "label");
  bytes.erase(bytes.begin(), bytes.begin() + 8);
  return bytes;
}

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         const std::string& name, int num_classes, int64_t expect_height,
                         int64_t expect_width) {
  IdxImages im = read_idx_images(images_path, expect_height, expect_width);
  std::vector<uint8_t> labels = read_idx_labels(labels_path);
  GD_CHECK_T(static_cast<int64_t>(labels.size()) == im.n, DataError,
             "image/label count mismatch: " << images_path << " holds " << im.n << " images but "
                                            << labels_path << " holds " << labels.size() << " labels");
  for (size_t i = 0; i < labels.size(); ++i) {
    GD_CHECK_T(labels[i] < num_classes, DataError,
               labels_path << ": label at index " << i << " is " << int(labels[i])
                           << ", outside 0.." << num_classes - 1);
  }
  Dataset ds;
  ds.name = name;
  ds.n = im.n;
  ds.channels = 1;
  ds.height = im.height;
  ds.width = im.width;
  ds.num_classes = num_classes;
  ds.images = std::move(im.pixels);
  ds.labels = std::move(labels);
  return ds;
}

void write_idx_images(const std::string& path, int64_t n, int64_t height, int64_t width,
                      const uint8_t* pixels, bool gzip) {
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(16 + n * height * width));
  put_be32(out, kImagesMagic);
  put_be32(out, static_cast<uint32_t>(n));
  put_be32(out, static_cast<uint32_t>(height));
  put_be32(out, static_cast<uint32_t>(width));
  out.insert(out.end(), pixels, pixels + n * height * width);
  write_file_bytes(path, out.data(), out.size(), gzip);
}

void write_idx_labels(const std::string& path, int64_t n, const uint8_t* labels, bool gzip) {
  std::vector<uint8_t> out;
  put_be32(out, kLabelsMagic);
  put_be32(out, static_cast<uint32_t>(n));
  out.insert(out.end(), labels, labels + n);
  write_file_bytes(path, out.data(), out.size(), gzip);
}

}  // namespace gd
