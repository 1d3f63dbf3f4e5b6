"""Every lint check, by number: the letter printed before it says how bad this finding is.

`E` findings are errors (the build fails, or readers get something broken or secret) and make
`apidocs lint` exit 1; `W` findings are warnings. A check on pasted snippets is an error in a
Jekyll tree, where those snippets are what readers copy, and a warning in an apidocs project,
which drops them and generates its own. Loader findings keep the loader's codes (E001–E099, listed
in `apidocs.definitions.format.CODES`), duplicate endpoints among them (E017).
"""

from __future__ import annotations

from pathlib import Path

from apidocs.model.errors import Finding

CHECKS: dict[int, str] = {
    101: "malformed path placeholder (`&ltuuid&gt` without semicolons)",
    102: "path parameter not documented under URL Parameters",
    110: "example URL with an empty path segment (`.../cancel//`)",
    111: "example URL or value that does not fit the endpoint's path",
    112: "no example value for a path parameter (the check skips the endpoint)",
    113: "GET or HEAD example with a request body",
    114: "`request.encoding` on a body that is not a form nor multipart (it changes nothing)",
    115: "example value that its parameter's schema or type refuses (the sandbox then does not check the parameter)",
    116: "`request.files` on a body that is not multipart/form-data (it changes nothing)",
    117: "`request.body_file` on a body that is JSON or a form (it changes nothing)",
    120: "text of the `apidocs new` skeleton left in the definition",
    121: "a key of the definition given with no value (`position:`)",
    122: "a front-matter key that is a misspelling of one apidocs reads (`respones:`): it is ignored",
    130: "`right_code` on a page without `method` (apidocs does not show it)",
    140: "snippet template that does not compile or render (`template:line`)",
    150: "Liquid that Jekyll's lax mode renders but strict Liquid refuses (`{{ /x }}`, an unknown filter)",
    201: "snippet sends another method than the definition's",
    202: "Python snippet does not compile",
    203: "`json.dumps()` with no argument",
    204: "snippet defines a function and never calls it",
    301: "session cookie in an example or snippet",
    302: "token that is not the documented placeholder or a configured demo token",
    310: "server host differs from the other pages' (or from the configured servers)",
    402: "duplicate `position` in one section",
    403: "required request parameter missing from the example body",
    404: "page that no audience sees",
}


def finding(path: Path | str, line: int, number: int, message: str, *, is_error: bool) -> Finding:
    severity = "error" if is_error else "warning"
    return Finding(path, line, f"{'E' if is_error else 'W'}{number:03d}", message, severity)


def display_code(item: Finding) -> str:
    """The code with the letter of its severity (loader codes are all `E`, and all errors)."""
    letter = "E" if item.is_error else "W"
    return letter + item.code[1:] if item.code[:1] in ("E", "W") else item.code
