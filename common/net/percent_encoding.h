// Percent-encoding (RFC 3986 section 2.1), the one encoder of every URL the
// tools build: SigV4's canonical URI and query (its UriEncode), the AWS Query
// protocol's form body, GitHub REST query values, AWS console links.
#pragma once

#include <string>
#include <string_view>

namespace ecsmig {

// Every byte of `text` except the unreserved set A-Z a-z 0-9 - _ . ~ and the
// bytes in `also_keep` becomes %XX with uppercase hex (what SigV4 requires;
// UTF-8 is encoded byte by byte). PercentEncode(x) is a query value or form
// field; PercentEncode(path, "/") a SigV4 path; PercentEncode(x, "!*'()")
// JavaScript's encodeURIComponent, which the AWS consoles decode.
std::string PercentEncode(std::string_view text, std::string_view also_keep = "");

// Decodes %XX sequences (either case of hex); a malformed escape is kept
// literally. '+' stays '+' (it means a space only in HTML forms).
std::string PercentDecode(std::string_view text);

}  // namespace ecsmig
