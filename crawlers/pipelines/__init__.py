"""Item pipelines, one concern each; their order is set only in ``ITEM_PIPELINES``."""
