"""Pure text utilities for Vietnamese: folding, diacritics and locality matching."""
