"""Export presets: one approved draft as a row an ESP's contact import understands.

Each preset names the columns the way that ESP's import documents them, so
the file maps without manual column matching:

- `braze`: Braze CSV user import; identifier `external_id`, standard attributes
  `email`, `phone`, `first_name` (lower case: Braze stores any other spelling
  as a custom attribute). E-mail, SMS and push drafts in one file.
- `klaviyo`: Klaviyo list upload; the first column must be `Email` (or
  `Phone Number` for SMS), Klaviyo properties by their names (`First Name`),
  anything else becomes a custom property. One channel per file.
- `mailchimp`: Mailchimp audience import; `Email Address` is the one required
  column, `First Name` the standard field, other columns become merge fields
  (text fields are clipped at 255 bytes: keep bodies in the ESP's template
  and use the columns as merge fields, or use another preset). E-mail only.
- `generic`: every column in snake case, the stored columns first (as before
  the presets existed), then the message parts and merge fields.

The README ("Export presets") cites each ESP's documentation page.

Message parts. The store keeps the composed message the reviewer approved:
for e-mail, `preheader`, body and `call_to_action` joined by blank lines (then
the unsubscribe line), see `agent.drafts.compose`. `message_parts` splits it
back by that same layout: first paragraph the preheader, last the call to
action (a `+personal` variant's first paragraph is its personal opening, kept
in the body). A body with fewer than three paragraphs (a reviewer's edit that
merged them) cannot be split honestly: its preheader and call to action are
left empty and the whole text stays in the body; the export summary counts
those rows. `body_text` and `body_html` are the whole message (preheader in a
hidden preview span in HTML, the call to action as a link to the campaign's
landing page with UTM parameters, the unsubscribe line last).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from agent.errors import WinbackError

# the unsubscribe line `agent.drafts.compose` appends (kept equal by a test)
EMAIL_FOOTER = "You can unsubscribe from these e-mails at any time."
PERSONAL_SUFFIX = "+personal"


@dataclass(frozen=True)
class Preset:
    """How one ESP names the columns of a contact import, and which channels it takes."""

    name: str
    channels: tuple[str, ...]
    one_channel_per_file: bool
    # message column key -> header; identity headers come from `identity_columns`
    headers: dict[str, str]
    snake_case_merge_fields: bool

    def identity_columns(self, channel: str | None) -> list[tuple[str, str]]:
        """(header, key) of the columns that say who the row is for, first in the file."""
        if self.name == "braze":
            return [
                ("external_id", "user_id"),
                ("email", "email"),
                ("phone", "phone"),
                ("first_name", "first_name"),
            ]
        if self.name == "klaviyo":
            first = ("Phone Number", "phone") if channel == "sms" else ("Email", "email")
            return [first, ("First Name", "first_name"), ("External ID", "user_id")]
        if self.name == "mailchimp":
            return [
                ("Email Address", "email"),
                ("First Name", "first_name"),
                ("User ID", "user_id"),
            ]
        return [("user_id", "user_id"), ("channel", "channel"), ("address", "address")]

    def merge_header(self, name: str) -> str:
        """The column header of a merge field (a placeholder's per-user value)."""
        return name if self.snake_case_merge_fields else name.replace("_", " ").title()


ESP_MESSAGE_KEYS = (
    "subject",
    "preheader",
    "body_text",
    "body_html",
    "call_to_action",
    "link",
    "incentive_code",
    "incentive_text",
    "channel",
    "segment",
    "variant",
    "arm",
    "draft_id",
    "batch_id",
)
# message column key -> header: the keys as they are, or in Title Case
_SNAKE = {k: k for k in (*ESP_MESSAGE_KEYS, "first_name")}
_TITLE = {
    k: k.replace("_", " ").title().replace("Html", "HTML").replace("Id", "ID") for k in _SNAKE
}

PRESETS: dict[str, Preset] = {
    "generic": Preset("generic", ("email", "sms", "push"), False, _SNAKE, True),
    "braze": Preset("braze", ("email", "sms", "push"), False, _SNAKE, True),
    "klaviyo": Preset("klaviyo", ("email", "sms"), True, _TITLE, False),
    "mailchimp": Preset("mailchimp", ("email",), True, _TITLE, False),
}
# message columns after the identity columns, in order (generic keeps its historic order)
GENERIC_COLUMNS = (
    "user_id",
    "channel",
    "address",
    "subject",
    "body",
    "incentive_code",
    "incentive_text",
    "variant",
    "segment",
    "arm",
    "draft_id",
    "batch_id",
    "first_name",
    "preheader",
    "body_text",
    "body_html",
    "call_to_action",
    "link",
    # provenance: what wrote the copy (empty for the baseline copy)
    "prompt",
    "model",
    "candidates",
    "revision",
    "quality_score",
)


def get_preset(name: str) -> Preset:
    """The preset called `name`, or a WinbackError listing the presets."""
    preset = PRESETS.get(name.lower())
    if preset is None:
        raise WinbackError(
            f"Unknown export preset {name!r}",
            f"Use --preset {' | '.join(PRESETS)} (README: 'Export presets').",
        )
    return preset


def campaign_link(
    base: str | None, *, source: str, medium: str, campaign: str, content: str
) -> str:
    """The landing page with UTM parameters (existing query kept); empty without a base."""
    if not base:
        return ""
    parts = urlsplit(base)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(
        {
            "utm_source": source,
            "utm_medium": medium,
            "utm_campaign": campaign,
            "utm_content": content,
        }
    )
    return urlunsplit(parts._replace(query=urlencode(query)))


def check_link(link: str | None, flag: str = "--link") -> str | None:
    """`link` if it is an http(s) URL with a host; a WinbackError naming the fix otherwise."""
    if link is None or link == "":
        return None
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WinbackError(
            f"Landing page {link!r} is not an http(s) URL",
            f"Give {flag} (or `link:` in the campaign file) as https://example.com/path.",
        )
    return link


@dataclass(frozen=True)
class MessageParts:
    """A stored message split into what an ESP template needs."""

    subject: str
    preheader: str
    body: str
    call_to_action: str
    footer: str
    separated: bool  # False: an e-mail body whose preheader and call to action could not be found


def message_parts(
    channel: str, subject: str | None, body: str, variant: str | None
) -> MessageParts:
    """Split a stored message by the layout `agent.drafts.compose` wrote it in (see module doc)."""
    if channel != "email":
        return MessageParts(subject or "", "", body, "", "", True)
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    footer = ""
    if paragraphs and paragraphs[-1] == EMAIL_FOOTER:
        footer = paragraphs.pop()
    opening: list[str] = []
    if (variant or "").endswith(PERSONAL_SUFFIX) and len(paragraphs) > 3:
        opening = [paragraphs.pop(0)]
    if len(paragraphs) < 3:
        return MessageParts(subject or "", "", "\n\n".join(opening + paragraphs), "", footer, False)
    main = opening + paragraphs[1:-1]
    return MessageParts(
        subject or "", paragraphs[0], "\n\n".join(main), paragraphs[-1], footer, True
    )


def body_text(parts: MessageParts, link: str) -> str:
    """The whole plain-text message: body, call to action with its link, unsubscribe line."""
    cta = parts.call_to_action
    if cta and link:
        cta = f"{cta}: {link}"
    return "\n\n".join(p for p in (parts.body, cta, parts.footer) if p)


def body_html(parts: MessageParts, link: str) -> str:
    """The whole message as minimal HTML (escaped; the preheader as hidden preview text)."""
    out = ["<!DOCTYPE html><html><body>"]
    if parts.preheader:
        out.append(
            '<span style="display:none;max-height:0;overflow:hidden">'
            f"{html.escape(parts.preheader)}</span>"
        )
    for paragraph in parts.body.split("\n\n"):
        if paragraph.strip():
            out.append(f"<p>{html.escape(paragraph).replace(chr(10), '<br>')}</p>")
    if parts.call_to_action:
        cta = html.escape(parts.call_to_action)
        if link:
            out.append(f'<p><a href="{html.escape(link, quote=True)}">{cta}</a></p>')
        else:
            out.append(f"<p><strong>{cta}</strong></p>")
    if parts.footer:
        out.append(f"<p><small>{html.escape(parts.footer)}</small></p>")
    out.append("</body></html>")
    return "".join(out)


def merge_values(draft: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    """(first name, other per-user placeholder values) the run substituted in this draft."""
    personal = draft.get("personalization") or {}
    values = {
        str(k): "" if v is None else str(v) for k, v in (personal.get("values") or {}).items()
    }
    values.pop("first_name", None)
    return personal.get("first_name") or None, values
