"""Scrapy extensions: crawl bookkeeping outside the item path."""
