"""Analytics: the pure engine (`engine/`, no Django imports) and the adapter that feeds it."""
