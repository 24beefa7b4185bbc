"""Names vulture cannot see used (tests/test_lint_code.py runs `vulture src/deckops tools/vulture_whitelist.py`).

Each is called by a framework, not by our code; a name that is really unused is deleted, not listed here.
Keep one line per name, with who uses it."""
# ruff: noqa: B018, F821
_.do_GET  # http.server calls it for each GET (serve.py)
_.log_message  # http.server's access log, silenced (serve.py)
_.scan_anchor  # PyYAML's scanner calls it for `&name` / `*name` (_failsafe.py: js-yaml's reading)
_.mdTrim  # markdown-it-py's block rules read it from their module (marpit.py)
_.linkname  # tarfile reads it from a TarInfo (localcluster/images.py)
_.measure  # one page measured alone: tests/test_browser.py and test_sandbox.py (production uses measure_many)
thumbnail  # the rehearsal report's template reads it (report/templates/rehearse.html.j2)
did_open, did_change, did_save, did_close, on_hover, code_actions  # pygls calls the registered handlers (lsp/)
ls  # pygls passes the server as the handlers' first argument (lsp/server.py)
_.reused  # how many slides a chunks.Parser did not parse again: tests/test_chunks.py reads it
