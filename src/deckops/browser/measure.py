"""The JavaScript that measures rendered slides in Chromium (overflow, failed images, slide frames)."""

SCRIPT = r"""
// Measures every slide of a deck rendered with marp's bare template (all slides laid out and shown,
// so auto-scaled code blocks size the same on every load). Returns plain data for Python.
async () => {
  await document.fonts.ready;
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
    let bottom = box.bottom, right = box.right, first = null;
    for (const el of sec.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const over = r.bottom > box.bottom + 0.5 || r.right > box.right + 0.5;
      if (!over || clipped(el, sec)) continue;
      bottom = Math.max(bottom, r.bottom);
      right = Math.max(right, r.right);
      // the deepest first overflowing element (no overflowing child) names the line best
      if (!first || first.contains(el)) first = el;
    }
    const failed = [];
    for (const img of sec.querySelectorAll('img')) {
      if (!img.complete || img.naturalWidth === 0) failed.push(img.getAttribute('src') || '');
    }
    const bgs = [];
    for (const layer of layers) {
      for (const el of [layer, ...layer.querySelectorAll('figure')]) bgs.push(...bgUrls(el));
    }
    for (const url of [...new Set(bgs)]) {
      if (!(await loads(url))) failed.push(url);
    }
    const frame = sec.getBoundingClientRect();
    slides.push({
      overflowY: Math.round((bottom - box.bottom) / scale),
      overflowX: Math.round((right - box.right) / scale),
      first: first ? describe(first) : null,
      failed,
      rect: [frame.left + window.scrollX, frame.top + window.scrollY, frame.width, frame.height],
      deck,
    });
  }
  return slides;
}
"""
