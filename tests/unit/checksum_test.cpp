#include <gtest/gtest.h>

#include <string>

#include "core/sha256.hpp"
#include "source/checksum.hpp"

namespace strata::source {
namespace {

// The checksum of `text` fed in chunks of `size` bytes.
std::string chunked(std::string_view text, size_t size) {
  TextChecksum checksum;
  for (size_t at = 0; at < text.size(); at += size) checksum.update(text.substr(at, size));
  return checksum.hex_digest();
}

TEST(TextChecksum, IsTheSha256OfTheTextWithoutBomAndWithLfEndings) {
  EXPECT_EQ(text_checksum("CREATE TABLE a (id INT);\n"), sha256_hex("CREATE TABLE a (id INT);\n"));
  EXPECT_EQ(text_checksum("\xEF\xBB\xBF"
                          "CREATE TABLE a (id INT);\r\n"),
            sha256_hex("CREATE TABLE a (id INT);\n"));
  EXPECT_EQ(text_checksum("a\r\nb\r\n"), sha256_hex("a\nb\n"));
  EXPECT_EQ(text_checksum(""), sha256_hex(""));
}

TEST(TextChecksum, EveryOtherByteCounts) {
  EXPECT_EQ(text_checksum("a\rb"), sha256_hex("a\rb")) << "a lone CR";
  EXPECT_EQ(text_checksum("a\r"), sha256_hex("a\r")) << "a CR at the very end";
  EXPECT_EQ(text_checksum("a\r\r\n"), sha256_hex("a\r\n"));
  EXPECT_EQ(text_checksum("x\xEF\xBB\xBF"), sha256_hex("x\xEF\xBB\xBF")) << "a BOM that does not start the file";
  EXPECT_EQ(text_checksum("\xEF\xBB"), sha256_hex("\xEF\xBB")) << "shorter than a BOM";
  EXPECT_EQ(text_checksum("\xEF\xBB\xBF\xEF\xBB\xBF"), sha256_hex("\xEF\xBB\xBF")) << "only the first BOM";
  EXPECT_NE(text_checksum("a\nb"), text_checksum("a\n\nb"));
}

TEST(TextChecksum, ChunkBoundariesDoNotMatter) {
  const std::string text = "\xEF\xBB\xBF-- x\r\nSELECT 1;\r\rSELECT 'a\r\nb';\r\n\r";
  const std::string whole = text_checksum(text);
  for (size_t size = 1; size <= text.size(); ++size) EXPECT_EQ(chunked(text, size), whole) << "chunks of " << size;
}

}  // namespace
}  // namespace strata::source
