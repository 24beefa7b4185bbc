"""`deckops lsp`: the language server (pygls over stdio): lint findings as diagnostics while the speaker types,
hover on directives, code actions for safe local fixes, and the slow stages (check, rehearse) as commands."""
