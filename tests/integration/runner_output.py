"""Reads a GITHUB_OUTPUT file exactly as the GitHub Actions runner does.

Mirrors FileCommandManager's SetOutputFileCommand in actions/runner (Linux):
the text is split on LF only (a CR stays part of the line and of the value);
empty lines are skipped; a line whose first "=" comes before any "<<" is
``key=value`` split on the first "="; a line whose "<<" comes first starts a
heredoc ``key<<DELIMITER`` whose value is every following line up to the first
line exactly equal to DELIMITER, joined by LF (the LF before the delimiter is
not part of the value). Anything else is an error, as it fails the runner's
step: a line with neither form, an empty key, an empty delimiter, a missing
closing delimiter, or a heredoc body line that is the file's last line without
a newline. Errors raise ValueError.
"""


def _read_line(text, index):
    """Returns (line, newline, next_index); line is None at end of text."""
    if index >= len(text):
        return None, None, index
    lf = text.find("\n", index)
    if lf < 0:
        return text[index:], None, len(text)
    return text[index:lf], "\n", lf + 1


def parse(text):
    """Returns the list of (key, value) pairs in file order.

    On malformed input (as the runner would reject it), raises ValueError.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    pairs = []
    index = 0
    line, _, index = _read_line(text, index)
    while line is not None:
        if line:
            equals = line.find("=")
            heredoc = line.find("<<")
            if equals >= 0 and (heredoc < 0 or equals < heredoc):
                key, value = line.split("=", 1)
                if not key:
                    raise ValueError(
                        f"Invalid output format '{line}'. Name must not be empty")
            elif heredoc >= 0 and (equals < 0 or heredoc < equals):
                key, delimiter = line.split("<<", 1)
                if not key or not delimiter:
                    raise ValueError(
                        f"Invalid output format '{line}'. Name must not be empty "
                        "and delimiter must not be empty")
                start = index
                end = index
                body, newline, index = _read_line(text, index)
                while body != delimiter:
                    if body is None:
                        raise ValueError(
                            "Invalid output value. Matching delimiter not found "
                            f"'{delimiter}'")
                    if newline is None:
                        raise ValueError(
                            "Invalid output value. EOF marker missing new line.")
                    end = index - len(newline)
                    body, newline, index = _read_line(text, index)
                value = text[start:end] if end > start else ""
            else:
                raise ValueError(f"Invalid output format '{line}'")
            pairs.append((key, value))
        line, _, index = _read_line(text, index)
    return pairs


def parse_dict(text):
    """Like parse(), as a dict in which the last value of a key wins."""
    return dict(parse(text))


# The commands the runner registers (ActionCommandManager and its extensions);
# names are matched case-insensitively.
REGISTERED_COMMANDS = frozenset({
    "stop-commands", "set-env", "set-output", "save-state", "add-mask", "add-path",
    "add-matcher", "remove-matcher", "warning", "error", "notice", "debug", "group",
    "endgroup", "echo"})


def _command_name_v2(line):
    """The command a line is by TryParseV2 (leading blanks trimmed, "::name
    props::data"), as (name, data), or None."""
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.find("::", 2)
    if end < 0:
        return None
    info = line[2:end]
    return info.split(" ", 1)[0], line[end + 2:]


def _command_name_v1(line):
    """The command a line is by the old TryParse ("##[name props]data"
    anywhere in the line), as (name, data), or None."""
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    info = line[start + 3:end]
    return info.split(" ", 1)[0], line[end + 1:]


def workflow_commands(text):
    """The workflow commands the runner would execute for this stdout/stderr
    text, in order, as (name, data) pairs (data still escaped).

    Mirrors ActionCommandManager.TryProcessCommand: the runner reads lines as
    .NET's ReadLine does (split on LF, CR or CRLF); a line is a command by the
    "::" form, else by the old "##[" form; between ::stop-commands::TOKEN and a
    command named TOKEN nothing else is executed. The stop and resume lines
    themselves are not listed.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    registered = set(REGISTERED_COMMANDS)
    stop_token = None
    executed = []
    for line in lines:
        if not line:
            continue
        parsed = None
        for parse in (_command_name_v2, _command_name_v1):
            candidate = parse(line)
            if candidate and candidate[0].lower() in registered:
                parsed = candidate
                break
        if parsed is None:
            continue
        name, data = parsed[0].lower(), parsed[1]
        if stop_token is not None:
            if name == stop_token:
                registered.discard(stop_token)
                stop_token = None
            continue
        if name == "stop-commands":
            stop_token = data.lower()
            registered.add(stop_token)
            continue
        executed.append((name, data))
    return executed
