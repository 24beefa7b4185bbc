"""The rule catalogue: code -> Rule. A rule's code names its module: D1xx frontmatter, D2xx structure, D3xx assets."""
from __future__ import annotations

from . import assets, frontmatter, parse, structure
from .engine import Rule

RULES: dict[str, Rule] = {
    "D001": Rule("D001", "parse-error", "error", parse.parse_error, "the file could not be read or parsed cleanly"),
    "D101": Rule("D101", "front-matter-invalid", "error", frontmatter.front_matter_invalid,
                 "front matter Marp would silently drop"),
    "D201": Rule("D201", "empty-slide", "warning", structure.empty_slide, "a slide with no content"),
    "D301": Rule("D301", "missing-image", "error", assets.missing_image, "a local image that does not exist"),
}
