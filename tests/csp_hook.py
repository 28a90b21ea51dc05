"""scripts/csp, the trunk hook that writes the Content-Security-Policy: run on small pages.

python3 tests/csp_hook.py (scripts/test runs it).
"""
import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

HOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "csp")
LOADER = "\nimport init from './app-0123.js';\nawait init('./app-0123_bg.wasm');\n"


def page(body=f"<script type=\"module\">{LOADER}</script>", content='"@CSP@"'):
    return f"<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content={content} />{body}</head></html>"


def run(html, headers=None, connect_src=None):
    """Runs the hook on a staging directory holding `html` (and `headers`); returns (status, stderr, index.html, _headers)."""
    with tempfile.TemporaryDirectory() as staging:
        with open(os.path.join(staging, "index.html"), "w", encoding="utf-8") as f:
            f.write(html)
        if headers is not None:
            with open(os.path.join(staging, "_headers"), "w", encoding="utf-8") as f:
                f.write(headers)
        env = {k: v for k, v in os.environ.items() if k != "TRACE_OPTIMIZER_CONNECT_SRC"}
        env["TRUNK_STAGING_DIR"] = staging
        if connect_src is not None:
            env["TRACE_OPTIMIZER_CONNECT_SRC"] = connect_src
        done = subprocess.run([sys.executable, HOOK], env=env, capture_output=True, text=True)
        out = open(os.path.join(staging, "index.html"), encoding="utf-8").read()
        hdr = open(os.path.join(staging, "_headers"), encoding="utf-8").read() if headers is not None else None
        return done.returncode, done.stderr, out, hdr


def directive(policy, name):
    return next(d.strip() for d in policy.split(";") if d.strip().split(" ")[0] == name)


def meta_policy(html):
    start = html.index('content="') + len('content="')
    return html[start:html.index('"', start)]


class CspHook(unittest.TestCase):
    def test_the_loader_is_allowed_by_its_own_hash(self):
        status, err, html, headers = run(page(), headers="/*\n  Content-Security-Policy: @CSP@\n")
        self.assertEqual(status, 0, err)
        want = base64.b64encode(hashlib.sha256(LOADER.encode()).digest()).decode()
        policy = meta_policy(html)
        self.assertEqual(directive(policy, "script-src"), f"script-src 'self' 'wasm-unsafe-eval' 'sha256-{want}'")
        for closed in ["default-src", "object-src", "base-uri", "form-action"]:
            self.assertEqual(directive(policy, closed), f"{closed} 'none'")
        self.assertNotIn("frame-ancestors", policy, "a <meta> policy cannot carry frame-ancestors")
        header = headers.split("Content-Security-Policy: ", 1)[1].strip()
        self.assertEqual(header, policy + "; frame-ancestors 'none'")

    def test_every_inline_script_is_hashed_and_external_ones_are_not(self):
        other = "console.log('reload')"
        status, err, html, _ = run(page(f"<script src=\"echarts.min.js\"></script><script type=\"module\">{LOADER}</script><script>{other}</script>"))
        self.assertEqual(status, 0, err)
        hashes = [t for t in directive(meta_policy(html), "script-src").split() if t.startswith("'sha256-")]
        self.assertEqual(hashes, [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in [LOADER, other]])

    def test_a_self_hosted_origin_joins_connect_src(self):
        status, err, html, _ = run(page(), connect_src="https://posthog.example.com https://ph.example.org:8443")
        self.assertEqual(status, 0, err)
        connect = directive(meta_policy(html), "connect-src").split()
        self.assertEqual(connect[-2:], ["https://posthog.example.com", "https://ph.example.org:8443"])
        self.assertIn("https://us.posthog.com", connect)
        self.assertIn("https://eu.posthog.com", connect)

    def test_a_value_that_is_not_an_origin_fails_the_build(self):
        for bad in ["http://posthog.example.com", "https://x.example.com; script-src *", "'unsafe-inline'", "*", "https://x.example.com/path"]:
            status, err, html, _ = run(page(), connect_src=bad)
            self.assertNotEqual(status, 0, bad)
            self.assertIn("TRACE_OPTIMIZER_CONNECT_SRC", err)
            self.assertIn("@CSP@", html, "the page is left untouched")

    def test_inline_handlers_and_javascript_urls_fail_the_build(self):
        for body in [f"<button onclick=\"go()\">x</button><script>{LOADER}</script>", f"<a href=\"javascript:go()\">x</a><script>{LOADER}</script>"]:
            status, err, _, _ = run(page(body))
            self.assertNotEqual(status, 0, body)
            self.assertIn("blocks", err)

    def test_an_unquoted_placeholder_is_written_quoted(self):
        status, err, html, _ = run(page(content="@CSP@"))
        self.assertEqual(status, 0, err)
        self.assertTrue(meta_policy(html).startswith("default-src 'none'; script-src"), html)

    def test_a_page_without_placeholder_or_loader_fails(self):
        self.assertNotEqual(run(page(content='"x"'))[0], 0)
        self.assertNotEqual(run(page(body=""))[0], 0)


if __name__ == "__main__":
    unittest.main()
