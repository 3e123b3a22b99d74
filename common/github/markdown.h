// Markdown for step summaries, from text the tool does not control (file
// names, AWS answers, GitHub messages): one function, so every summary
// renders such text literally and the same way.
#pragma once

#include <string>
#include <string_view>

namespace ecsmig {

// `text` as literal Markdown inline text, safe in a table cell:
//  - bytes that are not UTF-8 become U+FFFD, exactly as in the tools' JSON
//    outputs (e.g. files_json) and as the runner shows a raw output value;
//  - control characters are shown as \n, \t, \r or \xNN (a name holding a
//    newline cannot end the line or the table row);
//  - every ASCII punctuation character is backslash-escaped (CommonMark
//    allows it for all of them), so nothing becomes a link, an image, a
//    code span, emphasis, HTML, a table cell break or a GFM autolink.
std::string MarkdownText(std::string_view text);

}  // namespace ecsmig
