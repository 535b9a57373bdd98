// An RSA key and a certificate for it, made in the test: forwards to the product's
// documents::MakeSigningIdentity (services/documents/signing_identity.h), which the simulator
// uses too. Link crvs_document_writer.
#pragma once

#include <string>

#include "services/documents/signing_identity.h"

namespace crvs::testing {

using documents::SigningIdentity;

// MakeSigningIdentity(common_name, const SigningIdentity* issuer = nullptr, bool is_ca = false).
inline SigningIdentity MakeSigningIdentity(const std::string& common_name,
                                           const SigningIdentity* issuer = nullptr,
                                           bool is_ca = false) {
  return documents::MakeSigningIdentity(common_name, issuer, is_ca);
}

}  // namespace crvs::testing
