"""Build the labelled guardrail corpus from the hand-written core lines.

    .venv/bin/python scripts/build_guardrails_corpus.py

Every line of `guardrails/eval/source/*.txt` (train and dev),
`guardrails/eval/source_train/*.txt` (train only, added after dev was fixed,
so the dev split stays comparable across rounds) and
`guardrails/eval/source_test/*.txt` (test, written separately and in another
voice) is one hand-written core: `category|text`, under `@vertical` and
`@lang` markers. Each core becomes exactly one message: the channel is chosen
from a hash of the core, and the core is framed the way that channel is sent
(a greeting with the recipient's first name, a call to action, the opt-out or
unsubscribe line in the message's language). Frames are clean copy, so a
message is a violation exactly when its core is. The test split has its own
frames, so no frame sentence of the test split was seen in training.

The split is fixed by the core text: a test core is always test, a
`source_train` core always train (framed with more voices: `EXTRA_FRAMES`);
a `source` core goes to dev when its hash falls in the lowest 20%. The old corpus
(`corpus.jsonl`, tuned on by the word-list rules) joins train and the old
holdout (`holdout.jsonl`) joins dev. Output, one JSON object per line:
`guardrails/eval/corpus/{train,dev,test}.jsonl` with the guard-check message
plus `expected`, `category`, `lang`, `vertical`, `split`, `core` and `source` (the
file the core came from: the unit of the leave-writers-out folds in `train_guardrails.py`).

A frame that would push an SMS past two parts becomes a push message, and a core
longer than a push body is sent as an e-mail whatever its hash says (a clean
core must not be blocked for its length); a push body too long for a greeting
goes without one.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "guardrails" / "eval"
OUT = EVAL / "corpus"
PUSH_BODY = 178  # characters: `channels.push.max_body_chars` of guardrails/default_policy.yaml

NAMES = {
    "en": ["Dana", "Tom", "Priya", "Leo", "Maya", "Sam", "Chloe", "Omar", "Grace", "Ben"],
    "es": ["Lucía", "Marcos", "Carmen", "Javier", "Sofía", "Diego"],
    "fr": ["Hugo", "Camille", "Julien", "Léa", "Manon", "Louis"],
    "de": ["Lena", "Jonas", "Anna", "Felix", "Marie", "Paul"],
}
# (greetings, calls to action, sms opt-out, e-mail unsubscribe, subjects)
TRAIN_FRAMES = {
    "en": (
        ["Hi {n},", "Hey {n}!", "{n},", "Hello {n},"],
        ["Book in the app.", "Tap to see more.", "See you soon.", "Details in the app."],
        ["Reply STOP to opt out", "Text STOP to unsubscribe", "STOP to end"],
        ["Unsubscribe anytime.", "Unsubscribe here.", "Manage your email preferences."],
        [
            "We saved you a spot",
            "Something new for you",
            "A quick note",
            "This week",
            "We miss you",
            "Come back soon",
        ],
    ),
    "es": (
        ["Hola {n},", "¡Hola {n}!", "{n},"],
        ["Reserva en la app.", "Más detalles en la app.", "¡Nos vemos pronto!"],
        ["Responde BAJA para darte de baja", "BAJA al 22155"],
        ["Darse de baja", "Cancelar suscripción"],
        ["Novedades para ti", "Una nota rápida", "Esta semana", "Te echamos de menos"],
    ),
    "fr": (
        ["Bonjour {n},", "Salut {n} !", "{n},"],
        ["Réserve dans l'appli.", "Plus de détails dans l'appli.", "À bientôt !"],
        ["STOP au 36180", "Répondez STOP pour vous désabonner"],
        ["Se désabonner", "Désinscription"],
        ["Du nouveau pour toi", "Un petit mot", "Cette semaine", "Tu nous manques"],
    ),
    "de": (
        ["Hallo {n},", "Hi {n}!", "Hey {n},"],
        ["Buch in der App.", "Mehr in der App.", "Bis bald!"],
        ["STOP an 12345 zum Abmelden", "Antworte STOP zum Abbestellen"],
        ["Abmelden", "Newsletter abbestellen"],
        ["Neu für dich", "Kurz notiert", "Diese Woche", "Wir vermissen dich"],
    ),
}
# more voices for the train-only cores (`source_train`), so the heads do not learn one
# house style of greeting and footer as "clean"; added to TRAIN_FRAMES for those cores only
# (dev keeps its frames, so it stays comparable)
EXTRA_FRAMES = {
    "en": (
        [
            "Hey there {n},",
            "Good morning {n},",
            "Dear {n},",
            "{n}!",
            "Hiya {n},",
            "Welcome back {n}!",
        ],
        [
            "Open the app to book.",
            "Grab yours now.",
            "Find out more on our website.",
            "Thanks for being with us.",
            "Happy training!",
            "Questions? Just reply to this email.",
            "Have a great week!",
        ],
        ["Reply STOP to unsubscribe", "Msg&data rates may apply. Reply STOP to end"],
        [
            "You're receiving this because you signed up. Unsubscribe.",
            "Update your preferences or unsubscribe.",
            "Not interested anymore? Unsubscribe in one click.",
        ],
        ["Your week ahead", "News from the club", "New in", "Quick update", "Good news"],
    ),
    "es": (
        ["Buenas, {n}:", "Querida {n}:", "Hola de nuevo, {n},", "{n}, ¿cómo va?"],
        [
            "Entra en la app y reserva.",
            "Descúbrelo en nuestra web.",
            "¡Gracias por estar ahí!",
            "¡Que tengas buena semana!",
            "¿Dudas? Responde a este correo.",
        ],
        ["Para no recibir más SMS, responde BAJA", "BAJA al 25522"],
        [
            "Si no quieres recibir más correos, darse de baja aquí.",
            "Gestiona tus preferencias o cancela la suscripción.",
        ],
        ["Lo nuevo de la semana", "Noticias del club", "Tenemos algo para ti", "¡Hola de nuevo!"],
    ),
    "fr": (
        ["Hello {n} !", "Chère {n},", "Re-bonjour {n},", "Bonsoir {n},", "{n}, ça va ?"],
        [
            "Ouvre l'appli pour réserver.",
            "Découvre tout sur notre site.",
            "Merci d'être là !",
            "Belle semaine !",
            "Une question ? Réponds à cet e-mail.",
        ],
        ["STOP au 38383", "Pour ne plus recevoir de SMS, envoie STOP"],
        [
            "Tu ne veux plus de nos e-mails ? Se désabonner ici.",
            "Gérer mes préférences. Désinscription",
        ],
        ["Les nouveautés de la semaine", "Des nouvelles du club", "On a pensé à toi"],
    ),
    "de": (
        ["Liebe {n},", "Guten Morgen {n},", "Hallo nochmal {n},", "Na {n},"],
        [
            "Öffne die App und buche.",
            "Alles Weitere auf unserer Website.",
            "Danke, dass du dabei bist!",
            "Schöne Woche!",
            "Fragen? Antworte einfach auf diese Mail.",
        ],
        ["Abmelden: STOP an 33111", "STOP an 44844 senden zum Abbestellen"],
        ["Keine E-Mails mehr? Hier abmelden.", "Einstellungen verwalten. Abmelden"],
        ["Neu diese Woche", "News aus dem Studio", "Wir haben was für dich"],
    ),
}
MORE_FRAMES = {
    lang: tuple(a + b for a, b in zip(TRAIN_FRAMES[lang], EXTRA_FRAMES[lang], strict=True))
    for lang in TRAIN_FRAMES
}
TEST_FRAMES = {
    "en": (
        ["Morning {n}!", "Alright {n}?", "{n}, quick one:"],
        ["Pop into the app to sort it.", "Have a look when you get a sec.", "Cheers!"],
        ["Txt STOP to opt out", "Opt out: reply STOP"],
        ["Don't want these? Unsubscribe.", "Opt out of emails in your settings."],
        ["Just for you", "Thought you'd like this", "A little nudge"],
    ),
    "es": (
        ["¡Buenos días, {n}!", "¿Qué tal, {n}?"],
        ["Échale un vistazo en la app.", "¡Un abrazo!"],
        ["Envía BAJA para no recibir más"],
        ["¿No quieres recibir más correos? Darse de baja"],
        ["Pensado para ti", "Un empujoncito"],
    ),
    "fr": (
        ["Coucou {n} !", "Bonne journée {n} !"],
        ["Jette un œil dans l'appli.", "Bises !"],
        ["Envoie STOP pour ne plus recevoir de SMS"],
        ["Plus envie de nos e-mails ? Se désabonner"],
        ["Rien que pour toi", "Un petit coup de pouce"],
    ),
    "de": (
        ["Moin {n}!", "Servus {n},"],
        ["Schau mal in die App.", "Viele Grüße!"],
        ["STOP senden zum Abmelden"],
        ["Keine Lust mehr auf Mails? Abmelden"],
        ["Nur für dich", "Ein kleiner Schubs"],
    ),
}


def _hash(text: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.blake2b((salt + text).encode(), digest_size=8).digest(), "big")


def _pick(options: list[str], core: str, salt: str) -> str:
    return options[_hash(core, salt) % len(options)]


def read_cores(folder: Path) -> list[dict[str, str]]:
    """The `category|text` lines of every .txt file in `folder`, with lang and vertical."""
    cores = []
    for path in sorted(folder.glob("*.txt")):
        lang, vertical = "en", "fitness"
        for raw in path.read_text("utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@lang "):
                lang = line.split()[1]
            elif line.startswith("@"):
                vertical = line[1:].strip()
            else:
                category, _, text = line.partition("|")
                if not text:
                    sys.exit(f"{path.name}: not 'category|text': {line!r}")
                cores.append(
                    {
                        "category": category,
                        "text": text.strip(),
                        "lang": lang,
                        "vertical": vertical,
                        "file": path.name,
                    }
                )
    return cores


def _sms_fits(text: str) -> bool:
    gsm = all(ord(c) < 128 or c in "£¥èéùìòÇØøÅåÄÖÑÜ§¿äöñüà€" for c in text)
    return len(text) <= (306 if gsm else 134)


def frame(core: dict[str, str], frames: dict, idx: str) -> dict:
    """One message around `core` (see module doc)."""
    lang, text = core["lang"], core["text"]
    greetings, ctas, optouts, unsubs, subjects = frames[lang]
    name = _pick(NAMES[lang], text, "name")
    greeting = _pick(greetings, text, "greet").format(n=name)
    channel = ("email", "sms", "push")[_hash(text, "channel") % 3]
    if channel == "push" and len(text) > PUSH_BODY:
        channel = "email"  # longer than a push body: it would be blocked for its length
    if channel == "sms":
        body = f"{greeting} {text} {_pick(optouts, text, 'stop')}"
        if not _sms_fits(body):
            channel = "push" if len(text) <= PUSH_BODY else "email"
    msg: dict = {"id": idx, "channel": channel}
    if channel == "email":
        msg["subject"] = _pick(subjects, text, "subject")
        msg["text"] = f"{greeting} {text} {_pick(ctas, text, 'cta')} {_pick(unsubs, text, 'u')}"
    elif channel == "sms":
        msg["text"] = body
    else:
        msg["title"] = _pick(subjects, text, "subject")
        greeted = f"{greeting} {text}"
        msg["text"] = text if _hash(text, "bare") % 2 or len(greeted) > PUSH_BODY else greeted
    msg["recipient"] = {"first_name": name}
    return msg


def build() -> dict[str, list[dict]]:
    """The three splits (see module doc)."""
    splits: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    seen: set[str] = set()
    for folder, frames, fixed in (
        (EVAL / "source", TRAIN_FRAMES, None),
        (EVAL / "source_train", MORE_FRAMES, "train"),
        (EVAL / "source_test", TEST_FRAMES, "test"),
    ):
        for core in read_cores(folder):
            if core["text"] in seen:
                sys.exit(f"duplicate core line: {core['text']!r}")
            seen.add(core["text"])
            split = fixed or ("dev" if _hash(core["text"], "split") % 5 == 0 else "train")
            idx = f"{split}-{len(splits[split]) + 1:04d}"
            row = frame(core, frames, idx)
            expected = "pass" if core["category"] == "clean" else "block"
            row.update(
                expected=expected,
                category=core["category"],
                lang=core["lang"],
                vertical=core["vertical"],
                split=split,
                core=core["text"],
                source=core["file"],
            )
            splits[split].append(row)
    for name, split in (("corpus.jsonl", "train"), ("holdout.jsonl", "dev")):
        for line in (EVAL / name).read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row.update(
                    id=f"{split}-old-{row['id']}",
                    lang="en",
                    vertical="mixed",
                    split=split,
                    core=None,
                    source=name,
                )
                splits[split].append(row)
    return splits


def main() -> None:
    """Write the splits and print their sizes."""
    OUT.mkdir(exist_ok=True)
    splits = build()
    for split, rows in splits.items():
        with (OUT / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        langs = {}
        for r in rows:
            langs[r["lang"]] = langs.get(r["lang"], 0) + 1
        print(f"{split}: {len(rows)} lines {langs}")
    total = sum(len(r) for r in splits.values())
    other = sum(1 for rows in splits.values() for r in rows if r["lang"] != "en")
    print(f"total {total}, non-English {other} ({other / total:.1%})")


if __name__ == "__main__":
    main()
