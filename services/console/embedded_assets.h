// The dashboard's static files (services/console/web/), compiled into the binary so the
// console serves them with no file on disk and no other origin: it works offline.
// The files' text is generated into the build tree by this directory's CMakeLists.txt.
#pragma once

#include <string_view>
#include <vector>

namespace crvs::console {

struct EmbeddedAsset {
  std::string_view path;          // URL path, e.g. "/console.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view body;
};

// Every file of web/, in a fixed order; the page is "/index.html".
const std::vector<EmbeddedAsset>& EmbeddedAssets();

}  // namespace crvs::console
