"""Views: thin, each calls one selector or service and renders."""
