"""One spider per source; shared parsing lives in :mod:`crawlers.spiders.base`."""
