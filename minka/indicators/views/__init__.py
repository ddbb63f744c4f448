"""The indicator pages, one module per journey: the catalogue and its sheets, targets,
imports and templates, quality review. Thin: parse input, call one service or selector,
render."""
