"""Layout checks for browser tests: does anything overflow its box, or the page sideways?

``layout_problems(page)`` measures the rendered page in the browser and answers one line per
offender ("selector «text»: what is wrong"), empty when the layout holds; ``assert_layout_ok``
fails with those lines, ``screenshot`` keeps a full-page picture in the git-ignored
``tests/e2e/screenshots/`` for a person to look at.

What counts as an offender:

- the document scrolls sideways (``documentElement.scrollWidth`` over its ``clientWidth``,
  the viewport less any scrollbar);
- a box or a run of text sticking out of the element that holds it (its border box for a box,
  its padding box for text), by more than 1 px across or a few px down, unless that element
  scrolls or clips on that axis (``.table-responsive``, ``.text-truncate``, ``overflow:hidden``):
  a button row that does not fit, a word wider than its badge or cell, a label running out of
  its card. A negative margin is allowed to pull a box out by the margin (Bootstrap's rows);
- a box positioned absolutely or fixed that leaves the viewport sideways, outside a scroller;
- a word cut in two across lines where it has no break (``overflow-wrap`` breaking
  "Zahlungsanfechtungen" into "Zahlungsanfechtu" and "ngen"), unless set to break anywhere;
- a ``<select>`` too narrow to show its chosen option;
- a text truncated with an ellipsis inside a button, badge, nav link, label, heading cell or
  ``<dt>``: a control whose name cannot be read.

Only what is rendered is measured (``checkVisibility``: not ``display:none``, not
``visibility:hidden``, not inside a closed ``<details>``).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored ("screenshots/")

# A phone (the customer's usual screen) and a laptop.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

_MEASURE = r"""
({ limit }) => {
  const root = document.documentElement;
  const viewport = root.clientWidth;
  const problems = [];
  const seen = new Set();
  const SKIP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "BR", "WBR", "OPTION",
                        "OPTGROUP", "HEAD", "TITLE", "META", "LINK"]);
  const READABLE = "button, .btn, .badge, .nav-link, label, th, dt, .form-label, .dropdown-item";

  const px = (value) => parseFloat(value) || 0;
  const clean = (s) => (s || "").replace(/\s+/g, " ").trim();
  const textOf = (node) => {
    const text = clean(node.nodeType === Node.TEXT_NODE ? node.data
      : (node.innerText || node.value || node.getAttribute("aria-label") || node.textContent));
    return text.length > 60 ? text.slice(0, 57) + "…" : text;
  };
  const step = (el) => {
    if (el.id) return `#${el.id}`;
    let s = el.tagName.toLowerCase();
    const classes = [...el.classList].filter((c) => !c.startsWith("htmx-")).slice(0, 3);
    if (classes.length) s += "." + classes.join(".");
    const parent = el.parentElement;
    if (parent) {
      const same = [...parent.children].filter((c) => c.tagName === el.tagName);
      if (same.length > 1) s += `:nth-of-type(${same.indexOf(el) + 1})`;
    }
    return s;
  };
  const selector = (el) => {
    const parts = [];
    for (let e = el; e && e !== root && parts.length < 5; e = e.parentElement) {
      parts.unshift(step(e));
      if (e.id) break;
    }
    return parts.join(" > ");
  };
  const report = (el, node, what) => {
    const key = selector(el) + "|" + what;
    if (seen.has(key) || problems.length >= limit) return;
    seen.add(key);
    problems.push(`${selector(el)} «${textOf(node)}»: ${what}`);
  };
  const visible = (el) =>
    el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true });
  const scrollsOrClips = (style, axis) =>
    style[axis === "x" ? "overflowX" : "overflowY"] !== "visible";
  const holder = (el) => {  // the element whose box holds el (display:contents lends its own)
    let p = el.parentElement;
    while (p && getComputedStyle(p).display === "contents") p = p.parentElement;
    return p;
  };
  const insideScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body && p !== root; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
    }
    return false;
  };
  const paddingBox = (el, style) => {
    const r = el.getBoundingClientRect();
    return {
      left: r.left + px(style.borderLeftWidth), right: r.right - px(style.borderRightWidth),
      top: r.top + px(style.borderTopWidth), bottom: r.bottom - px(style.borderBottomWidth),
    };
  };
  // How far ``box`` sticks out of ``frame`` on each side, each at least 0.
  const outside = (box, frame) => ({
    left: frame.left - box.left, right: box.right - frame.right,
    top: frame.top - box.top, bottom: box.bottom - frame.bottom,
  });
  const describeOut = (o, tolX, tolY) => {
    const sides = [];
    const add = (side, tolerance) => {
      if (o[side] > tolerance) sides.push(`${side} ${Math.round(o[side])}px`);
    };
    add("left", tolX); add("right", tolX); add("top", tolY); add("bottom", tolY);
    return sides.join(", ");
  };

  // (a) The page itself must not scroll sideways.
  if (root.scrollWidth > viewport + 1) {
    problems.push(
      `the page scrolls sideways: ${root.scrollWidth}px of content in a ${viewport}px viewport`);
  }

  const canvas = document.createElement("canvas").getContext("2d");
  for (const el of document.body.querySelectorAll("*")) {
    if (SKIP.has(el.tagName) || el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    if (!visible(el)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    const style = getComputedStyle(el);
    const fontSize = px(style.fontSize) || 16;

    // (b1) This box inside the box that holds it (or, positioned out of the flow, the viewport).
    if (style.position === "absolute" || style.position === "fixed") {
      if (!insideScroller(el) && (rect.left < -1 || rect.right > viewport + 1) && rect.width > 1) {
        const span = `${Math.round(rect.left)}px to ${Math.round(rect.right)}px`;
        report(el, el, `leaves the ${viewport}px viewport (${span})`);
      }
    } else {
      const parent = holder(el);
      if (parent && parent !== root) {
        const ps = getComputedStyle(parent);
        const o = outside(rect, parent.getBoundingClientRect());
        // A negative margin pulls a box out of its holder on purpose (Bootstrap's .row).
        o.left -= Math.max(0, -px(style.marginLeft));
        o.right -= Math.max(0, -px(style.marginRight));
        o.top -= Math.max(0, -px(style.marginTop));
        o.bottom -= Math.max(0, -px(style.marginBottom));
        if (scrollsOrClips(ps, "x")) { o.left = 0; o.right = 0; }
        if (scrollsOrClips(ps, "y")) { o.top = 0; o.bottom = 0; }
        const sides = describeOut(o, 1, Math.max(2, fontSize * 0.2));
        if (sides) report(el, el, `sticks out of ${selector(parent)} (${sides})`);
      }
    }

    // (b2) Its own text inside its padding box, unless it scrolls or clips that text.
    const frame = paddingBox(el, style);
    for (const node of el.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = [...range.getClientRects()].filter((r) => r.width > 0);
      for (const r of lines) {
        const o = outside(r, frame);
        if (scrollsOrClips(style, "x")) { o.left = 0; o.right = 0; }
        if (scrollsOrClips(style, "y")) { o.top = 0; o.bottom = 0; }
        // Glyphs may reach past a tight line-height by a few px: only real overflow counts.
        const sides = describeOut(o, 1, Math.max(2, fontSize * 0.25));
        if (sides) { report(el, node, `its text runs out of its box (${sides})`); break; }
      }
      // (b5) A word cut in two across lines (not at a space, hyphen or slash) reads as two
      // words: "Zahlungsanfechtu / ngen". Links and ids set to break anywhere are meant to.
      if (lines.length > 1 && style.wordBreak !== "break-all") {
        for (const word of node.data.matchAll(/[^\s\-\u2010\u2013\u2014\/·]{4,}/g)) {
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          const parts = [...range.getClientRects()].filter((r) => r.width > 0);
          const last = parts[parts.length - 1];
          if (parts.length > 1 && last.top - parts[0].top > parts[0].height / 2) {
            report(el, node, `cuts the word «${word[0]}» across lines`);
            break;
          }
        }
      }
    }

    // (b3) A select must show its chosen option whole.
    if (el.tagName === "SELECT" && el.selectedIndex >= 0) {
      const option = el.options[el.selectedIndex];
      canvas.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const needed = canvas.measureText(clean(option.text)).width;
      const room = el.clientWidth - px(style.paddingLeft) - px(style.paddingRight);
      if (needed > room + 1) {
        const shown = `${Math.round(room)}px of its ${Math.round(needed)}px`;
        report(el, option, `shows only ${shown} choice`);
      }
    }

    // (b4) A control's or a heading's name truncated with an ellipsis cannot be read.
    const truncates = style.textOverflow === "ellipsis" && el.matches(READABLE);
    if (truncates && el.scrollWidth > el.clientWidth + 1) {
      const widths = `${el.clientWidth}px for ${el.scrollWidth}px`;
      report(el, el, `is cut short with an ellipsis (${widths})`);
    }
  }
  return problems;
}
"""


def layout_problems(page: Page, *, limit: int = 40) -> list[str]:
    """Every overflow on the page as it is rendered now, one line each (see the module)."""
    return page.evaluate(_MEASURE, {"limit": limit})


def assert_layout_ok(page: Page, where: str) -> None:
    problems = layout_problems(page)
    assert not problems, f"{where}: the layout overflows\n  " + "\n  ".join(problems)


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of ``page`` under tests/e2e/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png")
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
