// Safe file primitives for key and public files: atomic creation (temp + fsync + rename/link +
// directory fsync), opening without following symbolic links, permission checks, bounded reads.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "internal.hpp"

namespace aegis::keys {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

KeyError io_error(const std::string& what, const fs::path& path, int err) {
  return key_error(KeyErrc::io, what + " " + quoted(path) + ": " + errno_text(err));
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Closes a descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_all(int fd, ByteView bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

Status fsync_directory(const fs::path& dir) {
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return io_error("cannot open directory", dir, errno);
  if (::fsync(d.fd) != 0) return io_error("cannot fsync directory", dir, errno);
  return protocol::Ok{};
}

// A new, empty temporary file next to the destination, created exclusively.
Result<std::pair<int, fs::path>> create_temporary(const fs::path& dir, const fs::path& name,
                                                  mode_t mode) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::uint8_t rnd[6];
    randombytes_buf(rnd, sizeof rnd);
    fs::path tmp = dir / ("." + name.string() + ".tmp-" + protocol::to_hex(rnd));
    int fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return std::pair<int, fs::path>{fd, tmp};
    if (errno != EEXIST) return io_error("cannot create", tmp, errno);
  }
  return key_error(KeyErrc::io, "cannot create a temporary file in " + quoted(dir));
}

}  // namespace

Status write_file_atomically(const fs::path& path, ByteView bytes, mode_t mode,
                             Overwrite overwrite) {
  ensure_sodium();
  if (path.filename().empty()) {
    return key_error(KeyErrc::invalid_argument, quoted(path) + " does not name a file");
  }
  struct stat st{};
  if (overwrite == Overwrite::refuse && ::lstat(path.c_str(), &st) == 0) {
    return key_error(KeyErrc::exists,
                     quoted(path) + " already exists; refusing to overwrite a key file");
  }
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  auto created = create_temporary(dir, path.filename(), mode);
  if (!created) return created.error();
  Fd fd{created->first};
  const fs::path tmp = created->second;

  auto fail = [&](KeyError e) -> Status {
    ::unlink(tmp.c_str());
    return e;
  };
  // fchmod: the umask must not change the documented mode (0600 or 0644).
  if (::fchmod(fd.fd, mode) != 0) return fail(io_error("cannot chmod", tmp, errno));
  if (!write_all(fd.fd, bytes)) return fail(io_error("cannot write", tmp, errno));
  if (::fsync(fd.fd) != 0) return fail(io_error("cannot fsync", tmp, errno));
  if (::close(fd.fd) != 0) {
    fd.fd = -1;
    return fail(io_error("cannot close", tmp, errno));
  }
  fd.fd = -1;

  if (overwrite == Overwrite::refuse) {
    // link() fails with EEXIST if the destination appeared meanwhile: never overwrites.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      if (err == EEXIST) {
        return fail(key_error(KeyErrc::exists,
                              quoted(path) + " already exists; refusing to overwrite a key file"));
      }
      return fail(io_error("cannot create", path, err));
    }
    ::unlink(tmp.c_str());
  } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(io_error("cannot replace", path, errno));
  }
  return fsync_directory(dir);
}

Result<ReadFile> ReadFile::open(const fs::path& path, bool secret) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP) {
      return key_error(KeyErrc::io, quoted(path) + " is a symbolic link; refusing to follow it");
    }
    return io_error("cannot open", path, err);
  }
  ReadFile file(fd, path);
  struct stat st{};
  if (::fstat(fd, &st) != 0) return io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return key_error(KeyErrc::io, quoted(path) + " is not a regular file");
  }
  if (secret && (st.st_mode & 077) != 0) {
    return key_error(KeyErrc::bad_permissions,
                     "key file " + quoted(path) + " has mode " + octal_mode(st.st_mode) +
                         ": group or others have access; run `chmod 600 " + path.string() + "`");
  }
  return file;
}

ReadFile::ReadFile(ReadFile&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

ReadFile::~ReadFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::size_t> ReadFile::read_some(std::uint8_t* out, std::size_t n) {
  for (;;) {
    ssize_t got = ::read(fd_, out, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) return io_error("cannot read", path_, errno);
  }
}

Result<std::size_t> ReadFile::read_all(std::uint8_t* out, std::size_t capacity,
                                       KeyErrc too_large) {
  std::size_t done = 0;
  for (;;) {
    std::uint8_t probe = 0;
    const bool full = done == capacity;
    auto n = full ? read_some(&probe, 1) : read_some(out + done, capacity - done);
    if (!n) return n.error();
    if (*n == 0) return done;
    if (full) return too_large_error(too_large, capacity);
    done += *n;
  }
}

KeyError ReadFile::too_large_error(KeyErrc code, std::size_t limit) const {
  return key_error(code, quoted(path_) + " is larger than " + std::to_string(limit) + " bytes");
}

Result<Bytes> read_file(const fs::path& path, std::size_t max_size) {
  constexpr std::size_t kChunk = 64 * 1024;
  auto file = ReadFile::open(path, /*secret=*/false);
  if (!file) return file.error();
  Bytes out;
  for (;;) {
    const std::size_t old = out.size();
    out.resize(old + kChunk);
    auto n = file->read_some(out.data() + old, kChunk);
    if (!n) return n.error();
    out.resize(old + *n);
    if (*n == 0) return out;
    if (out.size() > max_size) return file->too_large_error(KeyErrc::io, max_size);
  }
}

}  // namespace aegis::keys
