"""The domain, as verb-named functions. Services add and flush; the caller commits."""
