// Marp's own reading of decks, for the conformance tests only (never shipped, never used by deckops itself).
// Reads JSON lines {"id", "text"} on stdin and writes one JSON line per deck in `deckops inspect`'s schema,
// computed by the pinned @marp-team/marp-core from node_modules, configured as marp-cli 4.5.1 configures it:
// marp-cli adds the global directives title/author/description/keywords/url/image and the local `transition`
// (src/engine/meta-plugin.ts and transition-plugin.ts), re-expressed here as small functions.
'use strict'
const path = require('path')
const readline = require('readline')
const { URL } = require('url')

const root = process.argv[2] || path.resolve(__dirname, '..', '..')
const { Marp } = require(path.join(root, 'node_modules', '@marp-team', 'marp-core'))
const { yaml } = require(path.join(root, 'node_modules', '@marp-team', 'marpit', 'lib', 'markdown', 'directives', 'yaml.js'))

const str = (key) => (v) => (typeof v === 'string' ? { [key]: v } : {})

function keywords(v) {
  let list
  if (Array.isArray(v)) list = v
  else if (typeof v === 'string') list = v.split(',').map((s) => s.trim())
  if (!list) return {}
  const kept = [...new Set(list.filter((k) => typeof k === 'string' && !!k))]
  return kept.length ? { marpCLIKeywords: kept } : {}
}

function url(v) {
  if (Array.isArray(v)) return {}
  try {
    if (v) new URL(v)
  } catch {
    return {}
  }
  return { marpCLIURL: v ?? undefined }
}

function transition(v) {
  if (typeof v !== 'string') return {}
  const [name, duration] = v.trim().split(/\s+/)
  return typeof name === 'string' ? { transition: { name, duration } } : {}
}

function engine() {
  const marp = new Marp({ math: true })
  // marp-cli assigns these (enumerable), so front matter loosens their values too
  Object.assign(marp.customDirectives.global, {
    author: str('marpCLIAuthor'),
    description: str('marpCLIDescription'),
    image: str('marpCLIImage'),
    keywords,
    title: str('marpCLITitle'),
    url,
  })
  marp.customDirectives.local.transition = transition
  // "theme as Marp would apply it if that theme is installed"
  marp.themeSet.has = (name) => typeof name === 'string' && name !== ''
  return marp
}

const RENAME = {
  marpCLITitle: 'title', marpCLIAuthor: 'author', marpCLIDescription: 'description',
  marpCLIKeywords: 'keywords', marpCLIURL: 'url', marpCLIImage: 'image',
}

function lineCount(text) {
  if (text === '') return 1
  const n = text.split('\n').length
  return text.endsWith('\n') ? n - 1 : n
}

function model(marp, text) {
  // marp-cli strips a BOM; markdown-it normalizes newlines
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  const tokens = marp.markdown.parse(src, {})
  const last = lineCount(src)
  let frontMatter = null
  const fm = tokens.find((t) => t.type === 'front_matter')
  if (fm) {
    const loose = [...Object.keys(marp.customDirectives.global), ...Object.keys(marp.customDirectives.local)]
    frontMatter = { line: fm.map[0] + 1, end_line: fm.map[1], accepted: yaml(fm.meta, loose) !== false }
  }
  const slides = []
  let current = null
  tokens.forEach((t, i) => {
    if (t.type === 'marpit_slide_open') {
      const directives = {}
      for (const [k, v] of Object.entries(t.meta.marpitDirectives || {})) {
        if (v !== undefined) directives[RENAME[k] || k] = v
      }
      current = {
        number: slides.length + 1,
        line: slides.length === 0 ? 1 : t.map[0] + 1,
        end_line: last,
        directives,
        notes: (marp.lastComments[slides.length] || []).slice(),
        headings: [],
      }
      if (slides.length) slides[slides.length - 1].end_line = current.line - 1
      slides.push(current)
    } else if (t.type === 'heading_open' && current) {
      const inline = tokens[i + 1]
      current.headings.push({ level: Number(t.tag.slice(1)), line: t.map[0] + 1, text: inline ? inline.content : '' })
    }
  })
  return { front_matter: frontMatter, slides }
}

const marp = engine()
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
rl.on('line', (line) => {
  if (!line.trim()) return
  const { id, text } = JSON.parse(line)
  let out
  try {
    out = { id, deck: model(marp, text) }
  } catch (err) {
    out = { id, error: String(err && err.stack || err) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
