"""Readers for the two sides of the ABI: the public headers and the version script.

Used by check_map.py, check_exports.py and gen_cxx_check.py. Standard library only; run
with Debian's /usr/bin/python3.

Headers are read with a small lexer, not a C parser: comments, string and character
literals and preprocessor directives are blanked out (newlines kept, so line numbers stay
right), then the text is cut into top-level statements. A statement that contains
CCENTER_EXPORT is an exported declaration; a statement that looks like a function
prototype without it is reported too, because it would be a function the library can
never export.
"""

import os
import re

EXPORT_MACRO = "CCENTER_EXPORT"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Keywords and compiler extensions that take a parenthesised argument and are not the
# declared name: `__attribute__((x)) int f(void)`.
_PAREN_KEYWORDS = {
    "__attribute__", "__attribute", "__declspec", "__asm__", "__asm", "asm",
    "_Alignas", "alignas", "__typeof__", "typeof", "_Static_assert", "static_assert",
}
_ALL_CAPS = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class ParseError(Exception):
    pass


class Declaration:
    """One exported declaration: the symbol name and where it was declared."""

    def __init__(self, name, path, line, text):
        self.name = name
        self.path = path
        self.line = line
        self.text = text

    def where(self):
        return "%s:%d" % (self.path, self.line)


def blank_c(text):
    """Returns text with comments, literals and preprocessor lines replaced by spaces.

    String literals become "" and character literals '' so that `extern "C" {` is still
    recognisable. Newlines are kept so offsets map to the same line numbers.
    """
    out = []
    i = 0
    n = len(text)
    at_line_start = True  # only whitespace seen since the last newline
    in_directive = False
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                raise ParseError("unterminated comment")
            chunk = text[i:end + 2]
            out.append("".join("\n" if ch == "\n" else " " for ch in chunk))
            i = end + 2
            continue
        if c == "/" and nxt == "/":
            end = text.find("\n", i)
            if end < 0:
                end = n
            # A // comment ending in a backslash continues on the next line (C99 5.1.1.2).
            while end < n and text[end - 1] == "\\":
                nl = text.find("\n", end + 1)
                end = n if nl < 0 else nl
            chunk = text[i:end]
            out.append("".join("\n" if ch == "\n" else " " for ch in chunk))
            i = end
            continue
        if c == "\n":
            if in_directive and out and text[i - 1] == "\\":
                out.append("\n")  # continued directive
            else:
                in_directive = False
                out.append("\n")
            at_line_start = True
            i += 1
            continue
        if in_directive:
            out.append(" ")
            i += 1
            continue
        if c == "#" and at_line_start:
            in_directive = True
            at_line_start = False
            out.append(" ")
            i += 1
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n":
                    raise ParseError("unterminated literal")
                j += 1
            if j >= n:
                raise ParseError("unterminated literal")
            body = text[i + 1:j]
            out.append(c + c + " " * len(body))
            i = j + 1
            continue
        if not c.isspace():
            at_line_start = False
        out.append(c)
        i += 1
    return "".join(out)


def _statements(blanked):
    """Yields (start_offset, text) for each top-level statement.

    Brace groups that belong to a declaration (struct and enum bodies, initialisers) are
    kept inside their statement; a function body ends its statement (a definition has no
    ';'); `extern "C" {` ... `}` is transparent.
    """
    stack = []  # 'x' for extern "C" blocks, 'b' for braces inside a statement
    start = None
    body_prefix = ""  # the statement's text before its outermost '{'

    i = 0
    n = len(blanked)
    while i < n:
        c = blanked[i]
        if c == "{":
            prefix = blanked[start:i] if start is not None else ""
            if not any(k == "b" for k in stack) and re.fullmatch(r'\s*extern\s*""\s*', prefix):
                stack.append("x")
                start = None
                i += 1
                continue
            if not any(k == "b" for k in stack):
                body_prefix = blanked[start:i] if start is not None else ""
            stack.append("b")
            if start is None:
                start = i
        elif c == "}":
            if not stack:
                raise ParseError("unbalanced '}' at offset %d" % i)
            kind = stack.pop()
            if kind == "x":
                if start is not None and blanked[start:i].strip():
                    raise ParseError("statement without ';' before '}' at offset %d" % i)
                start = None
            elif not any(k == "b" for k in stack) and re.search(r"\)\s*$", body_prefix):
                yield start, blanked[start:i + 1]  # a function definition
                start = None
        elif c == ";" and not any(k == "b" for k in stack):
            if start is not None:
                yield start, blanked[start:i + 1]
            start = None
        elif not c.isspace() and start is None:
            start = i
        i += 1
    if stack:
        raise ParseError("unbalanced '{'")
    if start is not None and blanked[start:].strip():
        raise ParseError("text after the last ';'")


def _tokens(text):
    return re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_.]*|\S", text)


def _skip_parens(toks, i):
    """toks[i] is '('; returns the index after the matching ')'."""
    depth = 0
    while i < len(toks):
        if toks[i] == "(":
            depth += 1
        elif toks[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ParseError("unbalanced '('")


def _declared_name(stmt):
    """The identifier a declaration declares, or None if it declares none.

    For functions (including those returning function pointers) it is the first identifier
    followed by '(' that is not an attribute keyword or an all-caps macro. For objects it is
    the last identifier before '=', '[' or ';'.
    """
    toks = _tokens(stmt)
    i = 0
    while i < len(toks):
        t = toks[i]
        if i + 1 < len(toks) and toks[i + 1] == "(" and _IDENT.fullmatch(t):
            if i + 2 < len(toks) and toks[i + 2] == "*":
                i += 1  # `void (*name(args))(void)`: the name is inside the group
                continue
            if t in _PAREN_KEYWORDS or _ALL_CAPS.match(t):
                i = _skip_parens(toks, i + 1)
                continue
            return t, True
        i += 1
    last = None
    for t in toks:
        if t in ("=", "[", ";"):
            break
        if _IDENT.fullmatch(t):
            last = t
    return last, False


def _has_top_level_comma(stmt):
    depth = 0
    for c in stmt:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            return True
    return False


def read_header(path, display=None):
    """Parses one header.

    Returns (exported, problems): exported is a list of Declaration for every statement
    containing CCENTER_EXPORT, problems a list of "path:line: message" strings for
    declarations the checks cannot accept (a prototype without CCENTER_EXPORT, several
    names in one exported declaration, a definition marked CCENTER_EXPORT).
    """
    display = display or path
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        blanked = blank_c(text)
        stmts = list(_statements(blanked))
    except ParseError as e:
        return [], ["%s: cannot parse: %s" % (display, e)]

    exported = []
    problems = []
    for start, stmt in stmts:
        line = blanked.count("\n", 0, start) + 1
        # Skip leading whitespace so the line is where the declaration starts.
        line += stmt[:len(stmt) - len(stmt.lstrip())].count("\n")
        where = "%s:%d" % (display, line)
        words = set(_IDENT.findall(stmt))
        flat = " ".join(stmt.split())
        if EXPORT_MACRO in words:
            if "typedef" in words:
                problems.append("%s: %s on a typedef: %s" % (where, EXPORT_MACRO, flat))
                continue
            if "{" in stmt:
                problems.append("%s: %s on a definition (bodies do not belong in a "
                                "public header): %s" % (where, EXPORT_MACRO, flat))
                continue
            name, _ = _declared_name(stmt)
            if name is None:
                problems.append("%s: cannot find the declared name: %s" % (where, flat))
                continue
            if _has_top_level_comma(stmt.replace(EXPORT_MACRO, "")):
                problems.append("%s: one declaration per %s, please: %s"
                                % (where, EXPORT_MACRO, flat))
                continue
            exported.append(Declaration(name, display, line, flat))
        else:
            if "typedef" in words or "{" in stmt:
                continue
            name, is_function = _declared_name(stmt)
            if is_function and name is not None:
                problems.append("%s: %s declared without %s: it would never be exported"
                                % (where, name, EXPORT_MACRO))
    return exported, problems


def read_headers(paths, root=None):
    """Parses several headers; returns (dict name -> [Declaration], problems)."""
    decls = {}
    problems = []
    for p in paths:
        display = os.path.relpath(p, root) if root else p
        exported, probs = read_header(p, display)
        problems.extend(probs)
        for d in exported:
            decls.setdefault(d.name, []).append(d)
    return decls, problems


def headers_in(directory):
    """Every *.h directly in directory, sorted."""
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if f.endswith(".h") and os.path.isfile(os.path.join(directory, f)))


class VersionScript:
    """A GNU ld version script: nodes in order, each with its global and local patterns."""

    def __init__(self):
        self.nodes = []       # node names in file order
        self.globals = {}     # node -> [symbol]
        self.locals = {}      # node -> [pattern]
        self.parents = {}     # node -> [parent node]
        self.problems = []

    def symbols(self):
        """dict symbol -> node, for every global entry (first node wins)."""
        out = {}
        for node in self.nodes:
            for s in self.globals[node]:
                out.setdefault(s, node)
        return out


def read_version_script(path, display=None):
    display = display or path
    with open(path, encoding="utf-8") as f:
        text = f.read()
    vs = VersionScript()
    # Comments: /* */ everywhere, and '#' to the end of the line (ld accepts both).
    text = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group(0)), text, flags=re.S)
    text = re.sub(r"#[^\n]*", "", text)
    toks = re.findall(r'"[^"]*"|[{};:]|[^\s{};:"]+', text)
    i = 0

    def bad(msg):
        vs.problems.append("%s: %s" % (display, msg))

    while i < len(toks):
        node = ""
        if toks[i] != "{":
            node = toks[i]
            i += 1
        if i >= len(toks) or toks[i] != "{":
            bad("expected '{' after node %r" % node)
            return vs
        i += 1
        if not node:
            bad("anonymous version node: every node needs a name (CCENTER_x.y)")
        if node in vs.globals:
            bad("node %s appears twice" % node)
        vs.nodes.append(node)
        vs.globals.setdefault(node, [])
        vs.locals.setdefault(node, [])
        section = "global"
        while i < len(toks) and toks[i] != "}":
            t = toks[i]
            if t in ("global", "local") and i + 1 < len(toks) and toks[i + 1] == ":":
                section = t
                i += 2
                continue
            if t == "extern":
                bad("node %s: extern \"lang\" blocks are not used in this library" % node)
                depth = 0
                while i < len(toks):
                    if toks[i] == "{":
                        depth += 1
                    elif toks[i] == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    i += 1
                i += 1
                if i < len(toks) and toks[i] == ";":
                    i += 1
                continue
            if i + 1 >= len(toks) or toks[i + 1] != ";":
                bad("node %s: expected ';' after %r" % (node, t))
                return vs
            if section == "global":
                vs.globals[node].append(t)
            else:
                vs.locals[node].append(t)
            i += 2
        if i >= len(toks):
            bad("node %s: missing '}'" % node)
            return vs
        i += 1  # '}'
        parents = []
        while i < len(toks) and toks[i] != ";":
            parents.append(toks[i])
            i += 1
        vs.parents[node] = parents
        if i >= len(toks):
            bad("node %s: missing ';' after '}'" % node)
            return vs
        i += 1
    return vs
