// Why TLS handshakes failed, counted per listener for
// apigw_tls_handshake_failures_total{listener,reason}.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace apigw::net {

enum class TlsFailure : uint8_t {
  kNotTls,              // the first bytes are no TLS handshake (plain HTTP, garbage)
  kTimeout,             // handshake_timeout_ms passed
  kTruncated,           // the client closed mid-handshake
  kUnknownServerName,   // SNI names no certificate and there is no default
  kClientCertificate,   // missing (required) or not verified against client_ca_file
  kVersion,             // no common protocol version
  kNoSharedCipher,      // no common cipher suite (or curve, or ALPN protocol)
  kProtocol,            // any other handshake error
};
inline constexpr size_t kTlsFailureKinds = 8;

const char* tls_failure_name(TlsFailure f) noexcept;

struct TlsFailureCounts {
  std::atomic<uint64_t> by_reason[kTlsFailureKinds] = {};
  void add(TlsFailure f) noexcept { by_reason[static_cast<size_t>(f)].fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace apigw::net
