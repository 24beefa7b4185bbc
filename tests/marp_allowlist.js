// marp-core's default HTML allow-list as data (tests/test_audience.py compares it with the copy deckops ships in
// src/deckops/lint/data/marp-html-allowlist.json; DECKOPS_UPDATE_GOLDEN=1 rewrites that copy).
'use strict'
const path = require('path')
const root = process.argv[2] || path.resolve(__dirname, '..')
const core = path.join(root, 'node_modules', '@marp-team', 'marp-core')
const { Marp } = require(core)
const allow = {}
for (const tag of Object.keys(Marp.html).sort()) {
  const attrs = Marp.html[tag]
  const spec = {}
  for (const name of (Array.isArray(attrs) ? attrs : Object.keys(attrs)).sort()) {
    const rule = Array.isArray(attrs) ? true : attrs[name]
    if (rule === false) continue
    if (typeof rule !== 'function') {
      spec[name] = 'any'
      continue
    }
    // a sanitizer: what kind of value does it keep?
    const keeps = (v) => rule(v) === v
    if (!keeps('https://example.com/')) spec[name] = 'enum'
    else spec[name] = keeps('data:image/png;base64,AA') ? 'image-url' : 'web-url'
  }
  allow[tag] = spec
}
const version = require(path.join(core, 'package.json')).version
process.stdout.write(JSON.stringify({ 'marp-core': version, allow }, null, 1) + '\n')
