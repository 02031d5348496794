"""Relevance: judge every posting; out-of-scope ones go on, marked, to be kept apart with the reason."""

from __future__ import annotations

from analysis.relevance import judge


class RelevancePipeline:
    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        verdict = judge(item.title, item.description)
        item.extras["relevance"] = {"scope": verdict.scope, "score": verdict.score, "reason": verdict.reason}
        if self.crawler is not None:
            self.crawler.stats.inc_value(f"medcoder/relevance/{verdict.scope}")
        return item
