"""The rule catalogue: code -> Rule. A rule's code names its module: D0xx parse, D1xx frontmatter, D2xx structure,
D3xx assets, D4xx snippets/kubectl, D5xx prose."""
from __future__ import annotations

from . import assets, frontmatter, kubectl, manifests, parse, prose, snippets, structure
from .engine import Rule

RULES: dict[str, Rule] = {
    "D001": Rule("D001", "parse-error", "error", parse.parse_error, "the file could not be read or parsed cleanly"),
    "D101": Rule("D101", "front-matter-invalid", "error", frontmatter.front_matter_invalid,
                 "front matter Marp would silently drop"),
    "D102": Rule("D102", "unknown-directive", "error", frontmatter.unknown_directive,
                 "a directive Marp does not know (with a did-you-mean)"),
    "D103": Rule("D103", "directive-value", "error", frontmatter.directive_value,
                 "a directive value Marp does not accept"),
    "D104": Rule("D104", "unknown-theme", "error", frontmatter.unknown_theme,
                 "a theme that is neither built in nor in themes/"),
    "D105": Rule("D105", "directive-scope", "warning", frontmatter.directive_scope,
                 "a global directive used per slide, `_` on a global, a global defined twice"),
    "D201": Rule("D201", "empty-slide", "warning", structure.empty_slide, "a slide with no content"),
    "D202": Rule("D202", "missing-slide-break", "warning", structure.missing_slide_break,
                 "a second h1 on one slide: a forgotten `---`"),
    "D203": Rule("D203", "setext-heading", "warning", structure.setext_heading,
                 "text directly above `---` becomes a heading, not a slide break"),
    "D204": Rule("D204", "unbalanced-html", "error", structure.unbalanced_html,
                 "HTML blocks not closed within the slide"),
    "D205": Rule("D205", "fence-language", "warning", structure.fence_language, "a code fence without a language"),
    "D301": Rule("D301", "missing-image", "error", assets.missing_image, "a local image that does not exist"),
    "D302": Rule("D302", "image-alt", "warning", assets.image_alt, "missing or generic image alt text"),
    "D303": Rule("D303", "broken-link", "error", assets.broken_link,
                 "a relative link to a missing file (remote links with --online)"),
    "D304": Rule("D304", "path-outside-repo", "error", assets.path_outside_repo,
                 "an image or link that escapes the repository (never read)"),
    "D401": Rule("D401", "shell-syntax", "error", snippets.shell_syntax,
                 "a shell command that does not parse (`bash -n`; console output is not shell)"),
    "D402": Rule("D402", "shellcheck", "warning", snippets.shellcheck, "shellcheck findings, mapped to deck lines"),
    "D403": Rule("D403", "kubectl-usage", "error", kubectl.kubectl_usage,
                 "an unknown kubectl command or flag, or a missing argument (per kubectl's own help)"),
    "D404": Rule("D404", "manifest-invalid", "error", manifests.manifest_invalid,
                 "a Kubernetes manifest that fails its schema"),
    "D501": Rule("D501", "terminology", "warning", prose.terminology, "a wrong spelling or casing of a known term"),
    "D502": Rule("D502", "near-duplicate-term", "warning", prose.near_duplicate_term,
                 "a rare word one edit away from a common one (a typo?)"),
}
