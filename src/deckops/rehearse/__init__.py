"""`deckops rehearse`: run a deck's snippets in one shell against a sandbox cluster and compare their output."""
