// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// DEVBIN_CUDA_DRIVER_PATH and DEVBIN_HSA_RUNTIME_PATH naming something that
// is not a library file: a FIFO (dlopen would block in open() forever), a
// directory, /dev/zero, an empty file. Each is refused at once, saying what
// the path is or dlopen's own reason, never "not found" for a file that is
// there.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "devbin/cuda.h"
#include "devbin/devbin.h"
#include "devbin/hsa.h"
#include "tests/cuda/test_env.h"

namespace devbin {
namespace {

using ::devbin::testing::ScopedEnv;

std::filesystem::path scratch(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ("devbin_library_path_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / name;
  std::filesystem::remove_all(path);
  return path;
}

// Opens the backend through the C API with its path variable at `path`;
// the message. A watchdog opens a blocked FIFO for writing after 10 s so a
// regression fails instead of hanging (dlopen then sees an empty file).
std::string open_message(devbin_backend_t backend, const std::string& path, bool fifo = false) {
  ScopedEnv env(backend == DEVBIN_BACKEND_CUDA ? cuda::kDriverPathEnv : hsa::kRuntimePathEnv, path.c_str());
  std::atomic<bool> done{false};
  std::atomic<bool> rescued{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 1000 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!done && fifo) {
      rescued = true;
      const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  int count = -1;
  devbin_status_t status = devbin_device_count(backend, &count);
  done = true;
  watchdog.join();
  EXPECT_FALSE(rescued) << path << ": the open blocked until the watchdog opened the FIFO";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(status, nullptr);
  EXPECT_EQ(devbin_status_code(status), DEVBIN_STATUS_UNAVAILABLE);
  std::string message = devbin_status_message(status);
  devbin_status_free(status);
  return message;
}

class LibraryPathTest : public ::testing::TestWithParam<devbin_backend_t> {};

TEST_P(LibraryPathTest, FifoIsRefusedWithoutBlocking) {
  const std::filesystem::path path = scratch("fifo-" + std::to_string(GetParam()));
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const std::string message = open_message(GetParam(), path.string(), true);
  EXPECT_NE(message.find(path.string() + " is a FIFO, not a shared library file"), std::string::npos) << message;
}

TEST_P(LibraryPathTest, DirectoryIsRefused) {
  const std::filesystem::path path = scratch("directory-" + std::to_string(GetParam()));
  std::filesystem::create_directories(path);
  const std::string message = open_message(GetParam(), path.string());
  EXPECT_NE(message.find(path.string() + " is a directory, not a shared library file"), std::string::npos) << message;
}

TEST_P(LibraryPathTest, CharacterDeviceIsRefused) {
  const std::string message = open_message(GetParam(), "/dev/zero");
  EXPECT_NE(message.find("/dev/zero is a character device, not a shared library file"), std::string::npos) << message;
}

TEST_P(LibraryPathTest, EmptyFileGetsDlopensReason) {
  const std::filesystem::path path = scratch("empty-" + std::to_string(GetParam()) + ".so");
  std::ofstream(path).close();
  const std::string message = open_message(GetParam(), path.string());
  EXPECT_NE(message.find(path.string() + " could not be loaded (dlopen: "), std::string::npos) << message;
  EXPECT_NE(message.find("file too short"), std::string::npos) << message;
  EXPECT_EQ(message.find("not found"), std::string::npos) << message;
}

TEST_P(LibraryPathTest, AbsentFileIsNotFound) {
  const std::filesystem::path path = scratch("absent-" + std::to_string(GetParam()) + ".so");
  const std::string message = open_message(GetParam(), path.string());
  EXPECT_NE(message.find(path.string() + " not found"), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Backends, LibraryPathTest, ::testing::Values(DEVBIN_BACKEND_CUDA, DEVBIN_BACKEND_HSA),
                         [](const auto& info) { return info.param == DEVBIN_BACKEND_CUDA ? "cuda" : "hsa"; });

}  // namespace
}  // namespace devbin
