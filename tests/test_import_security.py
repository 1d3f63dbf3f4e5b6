"""`apidocs import-jekyll` on hostile trees: nothing read outside SRC, nothing written outside DEST,
no symbolic link followed, no secret published, and a time that grows linearly with the secrets.

Every test builds the attack in tmp_path and runs the real command (or the converter in-process
for the timing test).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from apidocs.definitions.pasted import PastedSnippet, harvest_curl
from apidocs.definitions.secrets import authorization_tokens, find_secrets, scrub_line
from apidocs.definitions.snippet_checks import request_of
from apidocs.jekyll.convert import ImportContext, convert_document
from apidocs.jekyll.links import LinkMap
from apidocs.jekyll.report import FileReport
from conftest import PYTHON

CONFIG = """title: Hostile Docs
url: https://docs.example.com
baseurl: ""
api_token: 8f14e45fceea167a5a36dedd4bea2543
collections:
  guide:
    visibility: public
    title: Guide
    position: 1
  orders:
    visibility: public
    title: Orders
    position: 2
"""
REAL_TOKEN = "47d4yfbwymedhiudj384702984nakju4hajh395d"


def page(title: str, body: str, method: str | None = None) -> str:
    front = f"title: {title}\nname: {title.strip('/').title() or 'Page'}\nposition: 1\nvisibility: public\n"
    if method:
        front += f"method: {method}\n"
    return f"---\n{front}---\n{body}\n"


def jekyll_tree(root: Path) -> Path:
    src = root / "src"
    (src / "_guide").mkdir(parents=True)
    (src / "_orders").mkdir()
    (src / "_includes").mkdir()
    (src / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (src / "_guide/intro.md").write_text(page("Intro", "Welcome."), encoding="utf-8")
    return src


def run_import(src: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-jekyll", str(src), str(dest)],
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def report_of(dest: Path) -> str:
    return (dest / "import-report.txt").read_text(encoding="utf-8")


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file() or path.is_symlink()}


def everything_written(dest: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in files_under(dest) if path.is_file())


# --- item 1: no file leaves SRC, none lands outside DEST ---------------------------------------

def test_dot_dot_link_neither_reads_outside_src_nor_writes_outside_dest(tmp_path: Path) -> None:
    work = tmp_path / "a/b/c/d"
    src = jekyll_tree(work)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    depth = len(src.relative_to(tmp_path).parts)
    link = "{{ site.baseurl }}/" + "../" * depth + "outside/secret.txt"
    (src / "_guide/attack.md").write_text(page("Attack", f"![d]({link})\n\n[also]({link})"), encoding="utf-8")
    before = files_under(tmp_path) - files_under(work)
    dest = work / "dest"
    result = run_import(src, dest)
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path) - files_under(work) == before  # nothing new outside the work folder
    assert "TOP-SECRET-CONTENT" not in everything_written(dest)
    assert all(dest in path.parents for path in files_under(dest))
    report = report_of(dest)
    assert "_guide/attack.md:7: dropped: link target refused" in report
    assert "points outside the folder" in report


def test_link_through_a_symlink_in_the_tree_writes_nothing_above_dest(tmp_path: Path) -> None:
    src = jekyll_tree(tmp_path)
    deep = src / "a/b/c/d/e/f/g/h"
    deep.mkdir(parents=True)
    (src / "PWNED.txt").write_text("attacker content", encoding="utf-8")
    (deep / "PWNED.txt").write_text("attacker content", encoding="utf-8")
    os.symlink("a/b/c/d/e/f/g/h", src / "l")
    link = "{{ site.baseurl }}/l/" + "../" * 8 + "PWNED.txt"
    (src / "_guide/attack.md").write_text(page("Attack", f"![x]({link})\n![y]({{{{ site.baseurl }}}}/l/PWNED.txt)"),
                                          encoding="utf-8")
    dest = tmp_path / "x1/x2/x3/x4/x5/x6/dest"
    dest.parent.mkdir(parents=True)
    result = run_import(src, dest)
    assert result.returncode == 0, result.stderr
    assert [p for p in tmp_path.rglob("PWNED.txt") if src not in p.parents] == []
    report = report_of(dest)
    assert "l: 0: unconverted: a symbolic link (to a/b/c/d/e/f/g/h): not followed".replace(": 0", ":0") in report
    assert "_guide/attack.md:8: dropped: link target refused (l/PWNED.txt: passes through the symbolic link l)" in report


def test_a_symlink_planted_in_dest_is_not_written_through(tmp_path: Path) -> None:
    src = jekyll_tree(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    os.symlink(victim, dest / "mkdocs.yml")
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-jekyll", "--force", str(src), str(dest)],
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert "_config.yml:0: unconverted: not written: mkdocs.yml: exists in the destination and is not a regular file" in report_of(dest)


def test_a_symlinked_folder_in_dest_is_refused_in_one_line(tmp_path: Path) -> None:
    src = jekyll_tree(tmp_path)
    dest = tmp_path / "dest"
    elsewhere = tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, dest / "docs")
    result = subprocess.run([PYTHON, "-m", "apidocs", "import-jekyll", "--force", str(src), str(dest)],
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"apidocs: {dest}: docs: a symbolic link or file in the destination, not a folder: not written through"]
    assert list(elsewhere.iterdir()) == []


# --- item 2: symbolic links are never followed -------------------------------------------------

def test_symlinked_include_document_and_folder_are_not_published(tmp_path: Path) -> None:
    src = jekyll_tree(tmp_path)
    secret_dir = tmp_path / "private"
    secret_dir.mkdir()
    (secret_dir / "leak.md").write_text(page("Leak", "PRIVATE-FOLDER-CONTENT"), encoding="utf-8")
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    os.symlink(passwd, src / "_includes/x.md")
    os.symlink(passwd, src / "_guide/passwd.md")
    os.symlink(secret_dir, src / "_orders/linked")
    os.symlink(src / "_guide/intro.md", src / "_guide/inside.md")  # inside SRC: skipped all the same
    (src / "_guide/uses.md").write_text(page("Uses", "{% include x.md %}"), encoding="utf-8")
    dest = tmp_path / "dest"
    result = run_import(src, dest)
    assert result.returncode == 0, result.stderr
    written = everything_written(dest)
    assert "root:x:0:0" not in written and "PRIVATE-FOLDER-CONTENT" not in written
    assert not (dest / "includes/x.md").exists() and not (dest / "docs/guide/passwd.md").exists()
    assert not (dest / "docs/guide/inside.md").exists() and not (dest / "docs/orders").exists()
    report = report_of(dest)
    for link in ("_includes/x.md", "_guide/passwd.md", "_orders/linked", "_guide/inside.md"):
        assert f"{link}:0: unconverted: a symbolic link (to " in report, link
    assert "_guide/uses.md:7: dropped: include x.md does not exist in _includes/" in report


def test_symlinked_config_is_refused_in_one_line(tmp_path: Path) -> None:
    src = jekyll_tree(tmp_path)
    (src / "_config.yml").unlink()
    elsewhere = tmp_path / "config.yml"
    elsewhere.write_text(CONFIG, encoding="utf-8")
    os.symlink(elsewhere, src / "_config.yml")
    result = run_import(src, tmp_path / "dest")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(f"_config.yml: a symbolic link (to {elsewhere}): not followed")


def test_collection_name_with_dot_dots_is_not_read(tmp_path: Path) -> None:
    src = jekyll_tree(tmp_path)
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "leak.md").write_text(page("Leak", "OUTSIDE-COLLECTION"), encoding="utf-8")
    config = CONFIG + "  ../../etc:\n    visibility: public\n"
    (src / "_config.yml").write_text(config, encoding="utf-8")
    dest = tmp_path / "dest"
    result = run_import(src, dest)
    assert result.returncode == 0, result.stderr
    assert "OUTSIDE-COLLECTION" not in everything_written(dest)
    assert "_config.yml:14: unconverted: collection name '../../etc' is no plain folder name" in report_of(dest)


# --- item 8: secrets never reach the published project ------------------------------------------

SECRET_ENDPOINT = """Get an order.

### Request

~~~ json
{"username": "bob", "password": "hunter2-Pa55", "api_key": "k3y9x8c7v6b5", "secret": "s3cr3t-v4lue"}
~~~

Our AWS key is AKIAIOSFODNN7EXAMPLE with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, ask before use.

~~~ bash
curl -u admin:Sup3rS3cretPw "https://api-sandbox.example.com/orders/42/?api_key=live9f8e7d6c&access_token=at5d4c3b2a1&token=tok_4f3e2d1c&page=2" \\
     -H 'Authorization: Digest username="bob", realm="api", nonce="dcd98b7102dd2f0e8b", response="6629fae49393a0539745"' \\
     -H 'X-Api-Key: hdr7a6b5c4d3'
~~~
{: title="Curl" }

~~~ bash
curl https://api-sandbox.example.com/orders/42/ -H 'Authorization: Basic YWRtaW46U3VwM3JTM2NyZXRQdw=='
~~~
{: title="HTTPie" }
"""
SECRET_VALUES = ["hunter2-Pa55", "k3y9x8c7v6b5", "s3cr3t-v4lue", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                 "Sup3rS3cretPw", "live9f8e7d6c", "at5d4c3b2a1", "tok_4f3e2d1c", "6629fae49393a0539745", "dcd98b7102dd2f0e8b",
                 "hdr7a6b5c4d3", "YWRtaW46U3VwM3JTM2NyZXRQdw==", "8f14e45fceea167a5a36dedd4bea2543", "token_9f8a7c6b5d4e3f2a1b0c"]


def test_no_secret_of_a_hostile_tree_is_written_and_each_is_reported_by_line(tmp_path: Path) -> None:
    src = jekyll_tree(tmp_path)
    (src / "_orders/get_order.md").write_text(page("/orders/&lt;order_id&gt;/", SECRET_ENDPOINT, "get"), encoding="utf-8")
    (src / "_guide/auth.md").write_text(page("Auth", "Send `Authorization: Token token_9f8a7c6b5d4e3f2a1b0c`.\n\n"
                                                     "~~~ python\nrequests.get(url, params={'api_key': 'k3y9x8c7v6b5'})\n~~~\n"
                                                     "{: title=\"Python\" }"), encoding="utf-8")
    dest = tmp_path / "dest"
    result = run_import(src, dest)
    assert result.returncode == 0, result.stderr
    written = everything_written(dest)
    for value in SECRET_VALUES:
        assert value not in written, value
    assert value not in result.stdout
    front = yaml.safe_load((dest / "docs/orders/get-order.md").read_text(encoding="utf-8").split("---")[1])
    assert front["example"]["query"] == {"page": "2"}  # the credentials are not moved into the example
    config = yaml.safe_load((dest / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["plugins"][1]["apidocs"]["site"]["api_token"] == "YOUR_API_TOKEN"
    report = report_of(dest)
    lines = report.splitlines()
    assert "_config.yml:4: dropped: setting `api_token` holds a credential" in report
    for parameter in ("api_key", "access_token", "token"):
        assert f"_orders/get_order.md:18: dropped: query parameter `{parameter}` not carried over" in report
    assert "_orders/get_order.md:18: dropped: curl --user carries a credential" in report
    assert "_orders/get_order.md:18: dropped: header X-Api-Key not carried over" in report
    assert any(line.startswith("_orders/get_order.md:13: dropped: password") for line in lines)
    assert any(line.startswith("_orders/get_order.md:16: dropped: AWS access key id `AKIA…` removed") for line in lines)
    assert any(line.startswith("_orders/get_order.md:16: dropped: AWS secret access key") for line in lines)
    assert any(line.startswith("_guide/auth.md:7: dropped: token") for line in lines)
    page_text = (dest / "docs/orders/get-order.md").read_text(encoding="utf-8")
    assert "YOUR_PASSWORD" in page_text and "YOUR_AWS_ACCESS_KEY_ID" in page_text


@pytest.mark.parametrize("value, is_placeholder", [
    ("YOUR_AUTH_TOKEN", True), ("your-token-here", True), ("<token>", True), ("{{ token }}", True), ("1234567890", True),
    ("token_9f8a7c6b5d4e", False), ("mytoken123abc", False), ("sk_live_abcdefghijklmnop1234", False),
])
def test_a_value_that_merely_contains_token_is_no_placeholder(value: str, is_placeholder: bool) -> None:
    line = f'curl https://x.example.com/a -H "Authorization: Bearer {value}"'
    assert (find_secrets([(1, line)], set()) == []) is is_placeholder
    if not is_placeholder:
        assert value not in (scrub_line(line, set(), "YOUR_TOKEN") or "")


@pytest.mark.parametrize("line", [
    "-----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEA-----END RSA PRIVATE KEY-----",
    "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "https://bob:hunter2xyz@api.example.com/v1/",
    "curl --oauth2-bearer b3ar3r-t0k3n-v4lue https://api.example.com/",
    "curl -sSu admin:Sup3rS3cret https://api.example.com/",
    "export API_TOKEN=ab12cd34ef56",
])
def test_credentials_in_other_forms_are_found_and_scrubbed(line: str) -> None:
    secrets = find_secrets([(7, line)], set())
    assert secrets and all(secret.line == 7 for secret in secrets)
    scrubbed = scrub_line(line, set(), "YOUR_TOKEN") or ""
    for secret in secrets:
        assert secret.value not in scrubbed
        assert secret.value not in secret.masked or len(secret.value) < 5


@pytest.mark.parametrize("line", [
    # GitHub's emoji list: a JSON member named `cookie` whose value is a URL, no cookie-pair.
    '"cookie": "https://github.githubassets.com/images/icons/emoji/unicode/1f36a.png?v8",',
    # What scrub_line leaves of a key on one line: no key material, so lint must not flag it again.
    '"pem": "-----BEGIN RSA PRIVATE KEY-----REDACTED-----END RSA PRIVATE KEY-----\\n",',
    # Twilio's documented sample ids: a key's format around filler.
    '"sid": "SK00000000000000000000000000000000"',
    "Test mode keys look like sk_test_xxxxxxxxxxxxxxxxxxxxxxxx.",
])
def test_what_holds_no_secret_is_not_found(line: str) -> None:
    assert find_secrets([(1, line)], set()) == []


def test_the_uuid_the_importer_makes_up_is_no_token_but_another_is() -> None:
    """Linode's `/account/entity-transfers/{token}`: the importer gives a uuid `token` its made-up
    uuid, and lint called it a leaked token (E302). Documentation's sample UUIDs are placeholders."""
    from apidocs.openapi.examples import example_of

    made_up = example_of({"type": "string", "format": "uuid"}, direction="request")
    for value in (made_up, "123E4567-E89B-12D3-A456-426614174000"):
        assert find_secrets([(1, f'"token": "{value}"')], set()) == []
    assert find_secrets([(1, '"token": "9b2e6c1a-0f4d-4e8a-b7c3-5d1e2f3a4b5c"')], set())


def test_a_key_format_around_random_text_is_still_found() -> None:
    assert [s.kind for s in find_secrets([(1, '"sid": "SK0f3a9b8c7d6e5f4a3b2c1d0e9f8a7b6c"')], set())] == ["Twilio key"]


def test_a_scrubbed_private_key_is_not_found_again() -> None:
    line = '"pem": "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAuEPzOR\\n-----END RSA PRIVATE KEY-----\\n"'
    assert [secret.kind for secret in find_secrets([(1, line)], set())] == ["private key"]
    assert find_secrets([(1, scrub_line(line, set(), "YOUR_TOKEN") or "")], set()) == []


# --- item 15: the time grows with the secret lines, not with their square ----------------------
# (CPU time of this process, best of five: the other test workers share the cores.)

def _convert_with_secret_lines(count: int) -> float:
    lines = "\n".join(f"Send `Authorization: Token tok{index:06d}a9b8c7d6e5f4` and cookie sessionid=abcdef{index:06d}"
                      for index in range(count))
    text = page("Secrets", lines)
    context = ImportContext(LinkMap(), Path("/nonexistent"), "1234567890", include_names=set())
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        convert_document(text, Path("secrets.md"), context, FileReport("secrets.md", None))
        best = min(best, time.process_time() - started)
    return best


def _read_tokens_of_secret_lines(count: int) -> float:
    text = "\n".join(f"Authorization: Token tok{index:06d}a9b8c7d6e5f4" for index in range(count))
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        assert len(authorization_tokens(text)) == count
        best = min(best, time.process_time() - started)
    return best


def test_import_time_is_linear_in_the_number_of_secret_lines() -> None:
    small, large = _convert_with_secret_lines(1500), _convert_with_secret_lines(6000)
    # Four times the lines: linear work takes ~4x, quadratic ~16x. 8x leaves room for noise.
    assert large / small < 8, (small, large)
    # The whole-tree pass that chooses the placeholder reads whole files at once.
    small, large = _read_tokens_of_secret_lines(2000), _read_tokens_of_secret_lines(8000)
    assert large / small < 8, (small, large)


# --- item 17: curl read by its options' real arity -----------------------------------------------

def curl(code: str) -> PastedSnippet:
    return PastedSnippet("Curl", "bash", code, 1, 3)


@pytest.mark.parametrize("code, method, url, body", [
    ("curl -u user:pass https://api.example.com/orders/", "GET", "https://api.example.com/orders/", None),
    ("curl -o out.json https://api.example.com/orders/", "GET", "https://api.example.com/orders/", None),
    ("curl -sS -G https://api.example.com/orders/ -d status=open -d page=2", "GET",
     "https://api.example.com/orders/?status=open&page=2", None),
    ("curl -XPOST https://api.example.com/orders/ --data-raw '{\"a\": 1}'", "POST", "https://api.example.com/orders/", {"a": 1}),
    ("curl -sSLX PUT --url https://api.example.com/orders/1/ --data-binary '{}'", "PUT", "https://api.example.com/orders/1/", {}),
    ("curl -I https://api.example.com/orders/", "HEAD", "https://api.example.com/orders/", None),
    ("curl --data-urlencode 'q=a b' --get https://api.example.com/search/", "GET", "https://api.example.com/search/?q=a%20b", None),
    ("curl -A agent/1 -e https://ref.example.com -m 5 -w '%{http_code}' -H 'Accept: application/json' https://api.example.com/x/",
     "GET", "https://api.example.com/x/", None),
    ("curl --user=admin:secret --oauth2-bearer abc https://api.example.com/y/", "GET", "https://api.example.com/y/", None),
])
def test_curl_options_are_read_by_their_arity(code: str, method: str, url: str, body: object) -> None:
    found = harvest_curl(curl(code))
    assert found is not None
    assert (found.method, found.url) == (method, url)
    if body is not None:
        assert found.body == body


def test_curl_user_is_a_credential_for_import_and_lint() -> None:
    found = harvest_curl(curl("curl -u admin:Sup3rS3cret https://api.example.com/orders/"))
    assert found is not None and found.credentials == ["user"] and found.url == "https://api.example.com/orders/"
    request = request_of(curl("curl -u admin:Sup3rS3cret https://api.example.com/orders/"))
    assert request is not None and request.url == "https://api.example.com/orders/" and request.is_method_implied
    assert [s.kind for s in find_secrets([(3, "curl -u admin:Sup3rS3cret https://api.example.com/orders/")], set())] == ["credential"]
    assert request_of(curl("curl -XPOST https://api.example.com/orders/")).is_method_implied is False  # type: ignore[union-attr]


def test_lint_warns_about_curl_user_in_a_definition(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "orders.md").write_text(page("/orders/", "List orders.\n\n~~~ bash\ncurl -u admin:Sup3rS3cret https://api.example.com/orders/\n"
                                                     "~~~\n{: title=\"Curl\" }", "get"), encoding="utf-8")
    result = subprocess.run([PYTHON, "-m", "apidocs", "lint", "docs"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert any(line.startswith("docs/orders.md:11: W302 ") for line in result.stdout.splitlines()), result.stdout
    assert "Sup3rS3cret" not in result.stdout
