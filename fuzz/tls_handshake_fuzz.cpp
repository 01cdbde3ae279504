// Fuzzes the TLS listener's handshake through the transport seam: arbitrary
// bytes, split into reads at fuzzer-chosen points, go into a
// TlsServerTransport over the in-memory transport, then its timer fires.
// Nothing may crash, hang or leak; every outcome is a close or a handshake
// in progress.
//
// The server's ECDSA certificate is made in-process at start-up (written to
// temporary files, read as a listener would, deleted). The seed corpus
// (fuzz/corpus/tls_handshake/) holds ClientHellos from Python's ssl module
// (with and without SNI and ALPN), plain HTTP and truncated records.
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "net/tls_random.hpp"
#include "net/tls_server_context.hpp"
#include "net/tls_server_transport.hpp"
#include "testing/memory_transport.hpp"

namespace {

std::string write_temp(const unsigned char* pem) {
  char path[] = "/tmp/apigw-fuzz-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) std::abort();
  std::string_view text(reinterpret_cast<const char*>(pem));
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
  close(fd);
  return path;
}

std::shared_ptr<const apigw::net::TlsServerContext> make_context() {
  using apigw::net::tls_random;
  mbedtls_pk_context key;
  mbedtls_pk_init(&key);
  mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), tls_random, nullptr);
  mbedtls_x509write_cert crt;
  mbedtls_x509write_crt_init(&crt);
  mbedtls_x509write_crt_set_subject_key(&crt, &key);
  mbedtls_x509write_crt_set_issuer_key(&crt, &key);
  mbedtls_x509write_crt_set_subject_name(&crt, "CN=fuzz.example");
  mbedtls_x509write_crt_set_issuer_name(&crt, "CN=fuzz.example");
  mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_validity(&crt, "20200101000000", "20991231235959");
  mbedtls_mpi serial;
  mbedtls_mpi_init(&serial);
  mbedtls_mpi_lset(&serial, 1);
  mbedtls_x509write_crt_set_serial(&crt, &serial);
  static unsigned char cert_pem[4096], key_pem[4096];
  if (mbedtls_x509write_crt_pem(&crt, cert_pem, sizeof cert_pem, tls_random, nullptr) != 0) std::abort();
  if (mbedtls_pk_write_key_pem(&key, key_pem, sizeof key_pem) != 0) std::abort();
  mbedtls_mpi_free(&serial);
  mbedtls_x509write_crt_free(&crt);
  mbedtls_pk_free(&key);

  apigw::ListenerTlsOptions options;
  options.certificates.push_back({write_temp(cert_pem), write_temp(key_pem), "", {}});
  options.handshake_timeout_ms = 1000;
  auto tickets = apigw::net::TlsTicketKeys::create(options.session_ticket_lifetime_ms);
  auto ctx = apigw::net::TlsServerContext::create(options, tickets ? tickets.value() : nullptr);
  std::remove(options.certificates[0].cert_file.c_str());
  std::remove(options.certificates[0].key_file.c_str());
  if (!ctx) std::abort();
  return ctx.value();
}

// What the HTTP connection would get: plaintext (never, without the keys) and events.
struct Receiver final : apigw::TransportReceiver {
  size_t bytes = 0;
  void on_read(const char*, size_t len) override { bytes += len; }
  void on_eof() override {}
  void on_timeout() override {}
  void on_write_done() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto context = make_context();
  static apigw::net::TlsFailureCounts failures;
  size_t split = size > 0 ? data[0] % 128 + 1 : 1;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size > 0) bytes.remove_prefix(1);
  apigw::testing::MemoryTransport lower;
  Receiver upper;
  apigw::net::TlsServerTransport tls(lower, context, &failures);
  tls.set_receiver(&upper);
  for (size_t at = 0; at < bytes.size() && !lower.closed; at += split)
    tls.on_read(bytes.data() + at, std::min(split, bytes.size() - at));
  if (!lower.closed) tls.on_timeout();
  return 0;
}
