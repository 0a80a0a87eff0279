// Two builds: with GD_HAVE_DOWNLOAD (libcurl and OpenSSL found at configure time) the functions
// below fetch and hash; without it, both throw a DataError that says what to put where instead.
#include "engine/data/download.h"

#ifdef GD_HAVE_DOWNLOAD
#include <curl/curl.h>
#include <openssl/evp.h>
#endif

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <sstream>

#include "engine/core/error.h"

namespace gd {

namespace {

namespace fs = std::filesystem;

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

#ifdef GD_HAVE_DOWNLOAD

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

void ensure_curl_initialised() {
  static std::once_flag once;
  static CURLcode status = CURLE_OK;
  std::call_once(once, [] { status = curl_global_init(CURL_GLOBAL_DEFAULT); });
  GD_CHECK_T(status == CURLE_OK, DataError, "libcurl initialisation failed: " << curl_easy_strerror(status));
}

size_t write_to_file(char* data, size_t size, size_t count, void* user) {
  return std::fwrite(data, size, count, static_cast<std::FILE*>(user)) * size;
}

// Fetches url into `part`. Returns "" on success, else the reason.
std::string fetch(const std::string& url, const std::string& part) {
  std::unique_ptr<std::FILE, FileCloser> out(std::fopen(part.c_str(), "wb"));
  if (!out) return "cannot create " + part + " (" + std::strerror(errno) + ")";
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "curl_easy_init failed";
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out.get());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);  // bytes/s ...
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);     // ... for this many seconds: give up
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "gpudigits/" GD_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85: the string forms
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, long(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  const CURLcode rc = curl_easy_perform(c);
  const bool flushed = std::fflush(out.get()) == 0;
  out.reset();
  if (rc != CURLE_OK) {
    long http = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
    std::ostringstream os;
    os << (errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (http >= 400) os << " (HTTP " << http << ")";
    return os.str();
  }
  if (!flushed) return "writing " + part + " failed (" + std::strerror(errno) + ")";
  return "";
}

#endif  // GD_HAVE_DOWNLOAD

}  // namespace

#ifdef GD_HAVE_DOWNLOAD

std::string sha256_file(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  GD_CHECK_T(f != nullptr, DataError, path << ": cannot open for hashing (" << std::strerror(errno) << ")");
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  GD_CHECK_T(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1, DataError,
             path << ": OpenSSL SHA-256 initialisation failed");
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    const size_t got = std::fread(buf.data(), 1, buf.size(), f.get());
    if (got > 0) {
      GD_CHECK_T(EVP_DigestUpdate(ctx.get(), buf.data(), got) == 1, DataError,
                 path << ": OpenSSL SHA-256 update failed");
    }
    if (got < buf.size()) break;
  }
  GD_CHECK_T(!std::ferror(f.get()), DataError, path << ": read error while hashing (" << std::strerror(errno) << ")");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GD_CHECK_T(EVP_DigestFinal_ex(ctx.get(), digest, &len) == 1, DataError,
             path << ": OpenSSL SHA-256 finalisation failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

void download_verified(const std::vector<std::string>& urls, const std::string& dest,
                       const std::string& sha256_hex) {
  const std::string want = to_lower(sha256_hex);
  std::error_code ec;
  if (fs::is_regular_file(dest, ec) && sha256_file(dest) == want) return;
  const fs::path parent = fs::path(dest).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    GD_CHECK_T(!ec, DataError, "cannot create directory " << parent.string() << " for " << dest << ": " << ec.message());
  }
  ensure_curl_initialised();
  const std::string part = dest + ".part";
  std::ostringstream failures;
  for (const std::string& url : urls) {
    std::string why = fetch(url, part);
    if (why.empty()) {
      const std::string got = sha256_file(part);
      if (got == want) {
        fs::rename(part, dest, ec);
        if (!ec) return;
        why = "rename " + part + " -> " + dest + " failed: " + ec.message();
      } else {
        why = "SHA-256 mismatch: expected " + want + ", got " + got;
      }
    }
    fs::remove(part, ec);
    failures << "\n  " << url << ": " << why;
  }
  GD_CHECK_T(false, DataError,
             "could not download " << dest << " (SHA-256 " << want << ") from any mirror:"
                                   << (urls.empty() ? std::string("\n  (no URLs given)") : failures.str()));
}

#else  // no GD_HAVE_DOWNLOAD

namespace {
constexpr const char* kNoDownload =
    "this build of gpudigits has no download support (it was configured without libcurl/OpenSSL; "
    "install libcurl4-openssl-dev and libssl-dev and reconfigure to enable it)";
}  // namespace

std::string sha256_file(const std::string& path) {
  // SHA-256 only verifies downloads; a build that cannot download has no hashing either.
  detail::throw_with_location<DataError>(
      std::string("cannot compute the SHA-256 of ") + path + ": " + kNoDownload, __FILE__, __LINE__);
}

void download_verified(const std::vector<std::string>& urls, const std::string& dest,
                       const std::string& sha256_hex) {
  std::ostringstream os;
  os << "cannot fetch " << fs::path(dest).filename().string() << ": " << kNoDownload
     << ".\nPut the file (SHA-256 " << to_lower(sha256_hex) << ") at " << dest
     << ", or put the dataset files in a directory and pass it with --data-dir.";
  if (!urls.empty()) {
    os << "\nIt would have been fetched from:";
    for (const std::string& url : urls) os << "\n  " << url;
  }
  detail::throw_with_location<DataError>(os.str(), __FILE__, __LINE__);
}

#endif  // GD_HAVE_DOWNLOAD

}  // namespace gd
