// Headless Chromium driven through W3C WebDriver (Debian's chromium-driver: chromedriver), so a
// test can do what an operator does — type into the sign-in form, click, read the page — with
// plain HTTP/JSON (cpp-httplib, nlohmann-json). Each Browser is a fresh profile and cookie jar.
//
// Thread-safety: one test thread.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace crvs::e2e {

// Headless Chromium as the machine's notes require it on a closed network: no sandbox (root),
// no GPU, no QUIC, none of the background connections to Google's hosts, the profile
// directory `profile`.
std::vector<std::string> HeadlessChromiumFlags(const std::string& profile);

class Browser {
 public:
  struct Options {
    int width = 1400, height = 1000;
    // HOME of chromedriver and Chromium: where Chromium finds its NSS database
    // ($HOME/.pki/nssdb) with client certificates. Empty: a fresh directory.
    std::string home;
    // Written to the profile's Default/Preferences before the browser starts (e.g. the
    // auto_select_certificate content setting). Null: none.
    nlohmann::json preferences;
    std::vector<std::string> extra_args;
  };
  // Starts chromedriver and a browser session; an error (chromedriver missing, session refused)
  // is reported in error() and every later call fails.
  explicit Browser(Options options);
  Browser() : Browser(Options{}) {}
  ~Browser();

  // Why the browser is unusable ("" when it works).
  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }
  // What the last refused command said (an element not found or not interactable, ...).
  const std::string& last_error() const { return last_error_; }

  bool Navigate(const std::string& url);
  std::string Source();  // the DOM as the page's scripts left it (serialized)
  // The first element matching a CSS selector once it is displayed, or nullopt (within
  // `wait_ms`, polling).
  std::optional<std::string> Find(const std::string& css, int wait_ms = 10000);
  bool Type(const std::string& element, const std::string& text);
  bool Click(const std::string& element);
  std::string Text(const std::string& element);
  std::optional<std::string> Attribute(const std::string& element, const std::string& name);
  // Runs `script` (a function body; `arguments` holds `args`) and returns its value; an async
  // script calls arguments[arguments.length - 1](value) when done.
  nlohmann::json Execute(const std::string& script, const nlohmann::json& args = nlohmann::json::array(),
                         bool async = false);
  // Polls `script` (returning true/false) until true or `wait_ms`.
  bool WaitFor(const std::string& script, int wait_ms = 15000);
  // Saves a PNG of the window to `path`.
  bool Screenshot(const std::string& path);

 private:
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nullptr);

  std::string error_;
  std::string last_error_;
  std::string profile_, own_home_;
  std::unique_ptr<testing::Subprocess> driver_;
  std::unique_ptr<httplib::Client> http_;
  std::string session_;
};

// ---- client certificates (a console with console.auth = certificate) ----------------------
//
// Chromium on Linux presents the certificates of the NSS database $HOME/.pki/nssdb
// (Options::home) and, headless, only one chosen for it beforehand: without
// AutoSelectCertificate it waits for a choice nobody can make and the navigation never ends.

// Creates that database under `home` holding the certificate `cert_file` with its private key
// `key_file` (PEM, as `crvs certs issue` writes them), through a PKCS#12 file without a
// password: openssl, certutil and pk12util (Debian: openssl, libnss3-tools). What failed, or ""
// once imported.
std::string ImportClientCertificate(const std::string& home, const std::string& cert_file,
                                    const std::string& key_file);

// Options::preferences under which Chromium presents a certificate to `origin`
// ("https://127.0.0.1:8443") without asking, as the AutoSelectCertificateForUrls policy would:
// the auto_select_certificate content setting with a filter that matches any certificate.
nlohmann::json AutoSelectCertificate(const std::string& origin);

}  // namespace crvs::e2e
