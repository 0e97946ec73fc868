"""The copy-quality gate: does the copy speak to the reader, make sense, and belong to the brand?

The safety guardrails (`guardrails.check_message`) judge whether a message
may be sent; this package judges whether it is worth sending. It is shaped
like them: rules as small modules (`rules/`), enabled and weighted by a YAML
policy (`quality_policy.yaml`), findings with a code, a span and a sentence a
reviewer can act on. It reads variant templates, before any user is rendered:

    from guardrails.quality import check_copy, QualityContext
    check_copy("push", {"title": "Hi", "body": "She loves the beach."}).codes
    # ['second_person', 'third_party', 'invented_specifics', ...]

The variant writer (`agent.run.variant_writer`) uses it for best-of-N
selection and to revise a variant with the findings as feedback; a variant
that still fails is kept as quality-blocked with its reasons, never `pass`.
"""

from guardrails.quality.brand_vocabulary import brand_stems
from guardrails.quality.copy_text import CopyText, QualityContext, stem
from guardrails.quality.gate import CATEGORY, QualityResult, check_copy, rank_candidates
from guardrails.quality.quality_policy import QualityPolicy, load_quality_policy

__all__ = [
    "CATEGORY",
    "CopyText",
    "QualityContext",
    "QualityPolicy",
    "QualityResult",
    "brand_stems",
    "check_copy",
    "load_quality_policy",
    "rank_candidates",
    "stem",
]
