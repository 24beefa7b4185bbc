"""The JavaScript that measures rendered slides in Chromium (overflow, failed images, emoji, slide frames)."""

SCRIPT = r"""
// Measures every slide of a deck rendered with marp's bare template (all slides laid out and shown,
// so auto-scaled code blocks size the same on every load). Returns plain data for Python.
async () => {
  await document.fonts.ready;
  // marp-core scales code blocks and fitted headings from ResizeObserver callbacks, after `load`: wait until
  // every auto-scaling element's svg keeps its viewBox for two frames (a load measured before that reads the
  // unscaled block, and two loads of one deck differ)
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const scaling = () => [...document.querySelectorAll('[data-auto-scaling]')].map((el) => {
    const inner = el.shadowRoot && el.shadowRoot.querySelector('marp-auto-scaling');
    const svg = inner && inner.shadowRoot && inner.shadowRoot.querySelector('svg');
    return svg ? `${svg.getAttribute('viewBox')}/${svg.style.height}/${svg.style.display}` : '';
  }).join(';');
  for (let i = 0, last = null; i < 120; i += 1) {
    await frame();
    await frame();
    const now = scaling();
    if (now === last) break;
    last = now;
  }
  const CLIPS = new Set(['hidden', 'clip', 'auto', 'scroll']);
  const describe = (el) => ({
    tag: el.tagName.toLowerCase(),
    text: (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 120),
    src: el.getAttribute('src') || '',
  });
  // an element whose overflow is clipped by an ancestor inside the slide is not visible overflow
  const clipped = (el, sec) => {
    for (let p = el.parentElement; p && p !== sec; p = p.parentElement) {
      if (CLIPS.has(getComputedStyle(p).overflowY) || CLIPS.has(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const bgUrls = (el) => {
    const out = [];
    const re = /url\(\s*(["']?)(.*?)\1\s*\)/g;
    let m;
    while ((m = re.exec(el.style.backgroundImage || ''))) out.push(m[2]);
    return out;
  };
  const loads = (url) => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(img.naturalWidth > 0 || img.naturalHeight > 0);
    img.onerror = () => resolve(false);
    img.src = url;
  });
  // the classes the page's CSS (theme, inline styles) gives slides: `section.x`, `section:where(.x)`, ...
  const themeClasses = () => {
    const found = new Set();
    const walk = (rules) => {
      for (const r of rules) {
        if (r.cssRules) walk(r.cssRules);
        for (const m of (r.selectorText || '').matchAll(/section((?:[.:\[(][^\s>+~,]*)+)/g)) {
          for (const c of m[1].matchAll(/\.(-?[A-Za-z_][\w-]*)/g)) found.add(c[1]);
        }
      }
    };
    for (const sheet of document.styleSheets) {
      try { walk(sheet.cssRules); } catch (e) { /* a cross-origin sheet: not readable, not the theme */ }
    }
    return [...found].sort();
  };
  let classes = null;
  // the last top-level block of the slide past the edge, and in it the first, deepest element past the edge
  const culprit = (sec, overEls) => {
    const blocks = [...sec.children].filter((c) => !['header', 'footer'].includes(c.tagName.toLowerCase()));
    const over = [];
    blocks.forEach((b, i) => { if (overEls.some((e) => b.contains(e))) over.push(i); });
    const within = over.length ? blocks[over[over.length - 1]] : sec;
    let leaf = null;
    for (const el of overEls) {
      if (!within.contains(el)) continue;
      if (!leaf || leaf.contains(el)) leaf = el;
    }
    return { blocks: blocks.map((b) => b.tagName.toLowerCase()), over, leaf: leaf ? describe(leaf) : null };
  };
  const slides = [];
  // a page may hold several decks (browser/combine.py): each deck's slides sit in its own top-level element
  let deck = -1, container = null;
  for (const svg of document.querySelectorAll('svg[data-marpit-svg]')) {
    let top = svg;
    while (top.parentElement && top.parentElement !== document.body) top = top.parentElement;
    if (top !== container) { container = top; deck += 1; }
    const layers = [...svg.querySelectorAll(':scope > foreignObject > section')];
    const sec = layers.find((s) => {
      const a = s.getAttribute('data-marpit-advanced-background');
      return !a || a === 'content';
    }) || layers[0];
    const box = sec.getBoundingClientRect();
    const scale = sec.offsetWidth ? box.width / sec.offsetWidth : 1;
    let bottom = box.bottom, right = box.right;
    const overEls = [];
    for (const el of sec.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const over = r.bottom > box.bottom + 0.5 || r.right > box.right + 0.5;
      if (!over || clipped(el, sec)) continue;
      bottom = Math.max(bottom, r.bottom);
      right = Math.max(right, r.right);
      overEls.push(el);
    }
    const overflowY = Math.round((bottom - box.bottom) / scale);
    const overflowX = Math.round((right - box.right) / scale);
    const failed = [];
    let emoji = 0, emojiFailed = 0, emojiAlt = '';
    for (const layer of layers) {
      for (const img of layer.querySelectorAll('img')) {
        const ok = img.complete && img.naturalWidth > 0;
        if (img.hasAttribute('data-marp-twemoji')) {  // marp-core's twemoji: a CDN image per emoji
          emoji += 1;
          emojiFailed += ok ? 0 : 1;
          emojiAlt = emojiAlt || img.getAttribute('alt') || '';
        } else if (!ok) {
          failed.push(img.getAttribute('src') || '');
        }
      }
    }
    const bgs = [];
    for (const layer of layers) {
      for (const el of [layer, ...layer.querySelectorAll('figure')]) bgs.push(...bgUrls(el));
    }
    for (const url of [...new Set(bgs)]) {
      if (!(await loads(url))) failed.push(url);
    }
    const slide = { overflowY, overflowX, failed, emoji, emojiFailed, emojiAlt, deck };
    if (overflowY > 0 || overflowX > 0) {
      Object.assign(slide, culprit(sec, overEls));
      slide.classes = classes = classes || themeClasses();
    }
    // the slide as shown: every layer (a split background's content layer is narrower than the slide), and
    // not the svg's box, which is wider than a 4:3 slide in the bare layout
    const boxes = [...svg.querySelectorAll(':scope > foreignObject')].map((f) => f.getBoundingClientRect());
    const x0 = Math.min(...boxes.map((b) => b.left)), y0 = Math.min(...boxes.map((b) => b.top));
    const x1 = Math.max(...boxes.map((b) => b.right)), y1 = Math.max(...boxes.map((b) => b.bottom));
    slide.rect = [x0 + window.scrollX, y0 + window.scrollY, x1 - x0, y1 - y0];
    slides.push(slide);
  }
  return slides;
}
"""
