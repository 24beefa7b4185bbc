"""deckops: build and validate Marp slide decks of technical talks."""
__version__ = "0.1.0"
