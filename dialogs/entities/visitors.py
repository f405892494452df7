"""Visitors: a pasted list of names, companies and e-mail addresses, or a CSV file.

Rules chosen where the language is ambiguous:

Several lines: each line is one visitor (";" still separates visitors, and
commas or tabs inside an entry separate name, company and e-mail). One line:
";" separates visitors; otherwise commas do, where a part that is an e-mail
address, looks like a company (BV, NV, Ltd, Gemeente, ...) or stands between
a name and an e-mail address belongs to the visitor before it; "Jan en Piet"
is two visitors. "Name (Company) <e-mail>" and "Name - Company" are read too.
"Name from Company" and "Name van Company" are a name and a company: "from"
always, "van" when a whole name goes before it ("Pieter de Vries van Arcadis";
"Pieter van Dijk" and "Jan van der Berg" are names) or a company-shaped word
follows ("Jan van KPN", "Sanne van Royal HaskoningDHV"). Names joined by "en"/"and"
are separate visitors unless a part looks like a company ("Jansen en Zonen BV").
An entry with only an e-mail address gets a name made from its local part;
an address that is not roughly valid is dropped; a header row ("Naam, Bedrijf,
E-mail") and a leading phrase ("bezoekers:", "mijn gasten zijn", "I have three guests
coming:") are skipped. A line or entry that is a sentence rather than a name (a
question mark, a closing such as "Thanks!" or "Groet, Jan", words like pronouns,
verbs, times and places: "Ze hebben een afspraak met mij.") is not a visitor.
``expected`` (a count the text states, "twee bezoekers"): when the names read
differ from it, another reading that agrees is taken if there is one (a comma
list of name, company pairs); otherwise the names as read (no visitor is made up).
CSV: utf-8 (with or without BOM), else cp1252; the delimiter is the most
frequent of ";", "," and tab on the first line; header names map the columns
(also voornaam/tussenvoegsel/achternaam), without a header the e-mail column
is found by its content, the first other column is the name and the next the
company. At most 500 visitors.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from dialogs.entities._text import _TOKEN_RE, _fold

__all__ = [
    "MAX_VISITORS",
    "Visitor",
    "parse_visitors",
    "parse_visitors_csv",
    "visitors_in_message",
]

MAX_VISITORS = 500


@dataclass(frozen=True, slots=True)
class Visitor:
    name: str
    company: str = ""
    email: str = ""

    def describe(self) -> str:
        """ "Jan Jansen (Acme BV) <jan@acme.nl>", the missing parts left out."""
        text = self.name
        if self.company:
            text += f" ({self.company})"
        if self.email:
            text += f" <{self.email}>"
        return text


_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)
_EMAIL_FULL_RE = re.compile(rf"^{_EMAIL_RE.pattern}$")
_ANGLE_EMAIL_RE = re.compile(r"<\s*(?:mailto:)?([^<>\s]*)\s*>")
_PARENS_RE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_BULLET_RE = re.compile(r"^\s*(?:[-*\u2022\u00b7\u2013\u2014>+]+|\d{1,3}[.)])\s*")
_LEAD_PHRASE_RE = re.compile(
    r"^\s*(?:(?:dit|these|hier|here)\s+(?:zijn|is|are)\s+)?"
    r"(?:(?:hierbij|bij\s+deze)\s+)?"
    r"(?:(?:mijn|onze|de|my|our|the)\s+)?"
    r"(?:bezoekers?|gasten|gast|visitors?|guests?|deelnemers|attendees|participants"
    r"|namen|names|lijst|list)\b"
    r"(?:\s+(?:zijn|is|are|komen|:))?\s*:?\s*",
    re.IGNORECASE,
)
_COMPANY_HINT_RE = re.compile(
    r"\b(?:b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|ltd\.?|llc|inc\.?|gmbh|ag|plc|s\.?a\.?|co\.?"
    r"|corp\.?|group|groep|holding|stichting|vereniging|gemeente|provincie|ministerie"
    r"|rijkswaterstaat|universiteit|university|hogeschool|consultancy|consulting|advies"
    r"|adviseurs|services|solutions|bouw|installatie(?:s|techniek)?|techniek|& zn\.?"
    r"|en zonen|& co)(?![\w])",
    re.IGNORECASE,
)
_NAME_SEPARATOR_RE = re.compile(r"\s+[-\u2013\u2014|]\s+")
# "Mark Jansen from Arcadis", "Jan namens de gemeente": always a name and a company.
_FROM_RE = re.compile(r"\s+(?:from|namens)\s+(?=\S)", re.IGNORECASE)
_VAN_RE = re.compile(r"\s+van\s+(?=\S)")
# Words after "van" that make it part of a surname ("van der Berg", "van 't Hof").
_SURNAME_PARTICLES = frozenset(
    ["de", "der", "den", "het", "'t", "t", "ter", "ten", "te", "la", "le", "du", "da", "di"]
)
# Mixed case inside a word (HaskoningDHV, KPN), digits, "+" or "&": a company, not a surname.
_COMPANY_SHAPE_RE = re.compile(r"[+&@0-9]|\b[A-Z]{2,}|[a-z][A-Z]")
# A visit or visitor noun, then a colon ("twee bezoekers aanmelden: A en B",
# "I have three guests coming: ..."); not the colon of a time ("om 10:00").
_INLINE_CUE_RE = re.compile(
    r"\b(?:bezoek(?:ers?)?|gasten|gast|visits?|visitors?|guests?|deelnemers|attendees"
    r"|participants)\b"
    r"[^\n?!]*?:(?!\d)\s*",
    re.IGNORECASE,
)
# The end of a sentence after a word ("... Witteveen+Bos. Could you ...", "... DHV?"),
# not an initial ("J. Jansen").
_SENTENCE_END_RE = re.compile(r"(?<=[A-Za-z+)]{2})[.!?](?=\s|$)")
# Words that do not occur in names: a line with one of them is a sentence, not a visitor.
# (Words that are also names stay out: wil, ben, will, can, kan, may, mark.)
_SENTENCE_TEXT = """
    ik je jij u hij zij ze we wij mij me mijn jouw ons onze hun hen zijn is bent was waren
    hebben heeft heb had hadden komen komt kom kunnen kunt zou zouden graag alvast bedankt dank
    met voor om naar niet wel ook nog even maar als dat dit die er hier daar wat wie waar
    wanneer hoe welke afspraak afspraken pasjes pasje badge badges receptie balie
    i you he she they we my your our their them are were be been have has will would could
    should please thanks thank make sure ready with for to at about not also just this that
    these those there here what who when where how which appointment meeting reception
    in op bij uur kamer zaal room floor verdieping morgen overmorgen vandaag tomorrow today
    maandag dinsdag woensdag donderdag vrijdag zaterdag zondag monday tuesday wednesday
    thursday friday saturday sunday
    """
_SENTENCE_WORDS = frozenset(_SENTENCE_TEXT.split())
# A line starting with these closes a message ("Groet, Jan", "Thanks!"): not a visitor.
_CLOSING_RE = re.compile(
    r"^\s*(?:groet(?:en|jes)?|gr|mvg|met\s+vriendelijke\s+groet|vriendelijke\s+groet"
    r"|bedankt|dank\s*je(?:\s*wel)?|dank\s+u(?:\s+wel)?|alvast\s+bedankt|thanks|thank\s+you"
    r"|cheers|regards|kind\s+regards|best\s+regards|best)\b",
    re.IGNORECASE,
)
_HEADER_NAME = frozenset(
    [
        "naam",
        "name",
        "volledige",
        "naam",
        "full",
        "name",
        "bezoeker",
        "visitor",
        "gast",
        "guest",
        "deelnemer",
    ]
) | {"volledige naam", "full name", "naam bezoeker", "name visitor"}
_HEADER_FIRST = frozenset({"voornaam", "first name", "firstname", "given name", "roepnaam"})
_HEADER_MIDDLE = frozenset({"tussenvoegsel", "tussenvoegsels", "middle name", "prefix"})
_HEADER_LAST = frozenset({"achternaam", "last name", "lastname", "surname", "family name"})
_HEADER_COMPANY = frozenset(
    {"bedrijf", "company", "organisatie", "organization", "organisation", "firma", "werkgever"}
)
_HEADER_EMAIL = frozenset(
    {"e-mail", "email", "e-mailadres", "emailadres", "mail", "email address", "e-mail address"}
)


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" \t\"'.,;:")


def _is_email(text: str) -> bool:
    return bool(_EMAIL_FULL_RE.match(text.strip().strip("<>").strip()))


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    words = [w for w in re.split(r"[._+-]+", local) if w and any(c.isalpha() for c in w)]
    return " ".join(w.capitalize() for w in words)


def _make_visitor(name: str, company: str = "", email: str = "") -> Visitor | None:
    name, company, email = _clean(name), _clean(company), email.strip().strip("<>").strip()
    if email and not _is_email(email):
        email = ""
    if not any(c.isalpha() for c in name):
        name = _name_from_email(email) if email else ""
    if not name:
        return None
    return Visitor(name[:200], company[:200], email[:254])


def _visitor_from_entry(entry: str) -> Visitor | None:
    """One visitor: "Jan Jansen, Acme BV, jan@acme.nl", "Jan Jansen (Acme) <jan@acme.nl>"."""
    entry = _BULLET_RE.sub("", entry, count=1).strip()
    email = ""
    angle = _ANGLE_EMAIL_RE.search(entry)
    if angle:
        email = angle.group(1)
        entry = entry[: angle.start()] + " " + entry[angle.end() :]
    company = ""
    parens = _PARENS_RE.search(entry)
    if parens:
        company = parens.group(1) or parens.group(2) or ""
        entry = entry[: parens.start()] + " " + entry[parens.end() :]
    fields = [f.strip() for f in re.split(r"[,\t]", entry) if f.strip()]
    names: list[str] = []
    for item in fields:
        if not email and _EMAIL_RE.fullmatch(item.strip("<>")):
            email = item.strip("<>")
            continue
        if "@" in item and not any(" " in part for part in item.split("@")):
            found = _EMAIL_RE.search(item)
            if found and not email:
                email = found.group()
            rest = _EMAIL_RE.sub(" ", item).strip()
            if rest:
                names.append(rest)
            continue
        names.append(item)
    if names and not any(c.isalpha() for c in names[0]) and len(names) > 1:
        names = names[1:]
    name = names[0] if names else ""
    if not company and len(names) > 1:
        company = ", ".join(names[1:])
    if not company and name:
        split = _NAME_SEPARATOR_RE.split(name, maxsplit=1)
        if len(split) == 2:
            name, company = split
        else:
            name, company = _split_company(name)
    if not email and name:
        found = _EMAIL_RE.search(name)
        if found:
            email = found.group()
            name = (name[: found.start()] + name[found.end() :]).strip()
    return _make_visitor(name, company, email)


def _looks_like_company(text: str) -> bool:
    return bool(_COMPANY_HINT_RE.search(text))


def _split_company(text: str) -> tuple[str, str]:
    """ "Mark Jansen from Arcadis" -> ("Mark Jansen", "Arcadis"); "Pieter van Dijk" stays."""
    found = _FROM_RE.search(text)
    if found and found.start() > 0:
        return text[: found.start()], text[found.end() :]
    for found in _VAN_RE.finditer(text):
        before, after = text[: found.start()], text[found.end() :]
        first = after.split()[0].lower()
        if first in _SURNAME_PARTICLES:
            continue  # "van der Berg"
        if (
            len(before.split()) >= 2
            or _looks_like_company(after)
            or _COMPANY_SHAPE_RE.search(after)
        ):
            return before, after
    return text, ""


def _is_sentence(entry: str, name: str) -> bool:
    """A line of a message rather than a visitor's name."""
    if "?" in entry or _CLOSING_RE.match(entry):
        return True
    words = _TOKEN_RE.findall(_fold(name))
    return len(words) > 6 or any(word in _SENTENCE_WORDS for word in words)


def _email_local_matches(email: str, name: str) -> bool:
    local = _fold(email.split("@", 1)[0])
    return any(len(w) >= 2 and w in local for w in _TOKEN_RE.findall(_fold(name)))


def _split_comma_list(line: str) -> list[str]:
    """One line of names separated by commas: group company/e-mail parts with their name."""
    parts = [p.strip() for p in line.split(",") if p.strip()]
    if len(parts) > 1:
        parts[-1:] = _split_and(parts[-1])
    entries: list[str] = []
    i = 0
    while i < len(parts):
        entry = [parts[i]]
        i += 1
        has_company = has_email = False
        while i < len(parts):
            part = parts[i]
            if _is_email(part) and not has_email:
                entry.append(part)
                has_email = True
                i += 1
                continue
            if has_company or has_email:
                break
            if _looks_like_company(part):
                entry.append(part)
                has_company = True
                i += 1
                continue
            nxt = parts[i + 1] if i + 1 < len(parts) else ""
            if (
                _is_email(nxt)
                and not _email_local_matches(nxt, part)
                and (_email_local_matches(nxt, entry[0]) or " " not in part)
            ):
                entry.append(part)
                has_company = True
                i += 1
                continue
            break
        entries.append(", ".join(entry))
    return entries


_AND_RE = re.compile(r"\s+(?:en|and|&)\s+", re.IGNORECASE)


def _split_and(text: str) -> list[str]:
    """ "Jan Jansen en Piet Pietersen" -> two names; "Jansen en Zonen BV" stays one;
    "Pieter van Arcadis en Sanne van Royal HaskoningDHV" -> two (the companies aside)."""
    pieces = _AND_RE.split(text)
    if len(pieces) >= 2 and all(
        p.strip() and not _looks_like_company(_split_company(p.strip())[0]) for p in pieces
    ):
        return [p.strip() for p in pieces]
    return [text]


def _is_header_entry(entry: str) -> bool:
    cells = [_clean(_fold(c)) for c in re.split(r"[,;\t]", entry) if c.strip()]
    known = _HEADER_NAME | _HEADER_FIRST | _HEADER_LAST | _HEADER_COMPANY | _HEADER_EMAIL
    return bool(cells) and all(c in known for c in cells)


def _lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return [line for line in lines if line]


def _strip_lead(lines: list[str]) -> list[str]:
    """Without a leading phrase ("bezoekers:", "I have three guests coming: ...")."""
    first = lines[0]
    stripped = _LEAD_PHRASE_RE.sub("", first, count=1)
    cue = _INLINE_CUE_RE.search(first)
    if stripped != first:
        lines[0] = stripped.strip()
    elif cue is not None and (cue.end() < len(first) or len(lines) > 1) and "@" not in first:
        lines[0] = _first_sentence(first[cue.end() :])
    elif first.endswith(":") and len(lines) > 1 and "@" not in first:
        lines[0] = ""
    return [line for line in lines if line.strip(" :")]


def _first_sentence(text: str) -> str:
    """ "A from X and B from Y. Could you ..." -> "A from X and B from Y"."""
    end = _SENTENCE_END_RE.search(text)
    return text[: end.start()] if end else text


def _entries(lines: list[str]) -> list[str]:
    entries: list[str] = []
    if len(lines) > 1:
        for line in lines:
            for entry in line.split(";"):
                if not entry.strip():
                    continue
                entry = _BULLET_RE.sub("", entry, count=1)
                if "," not in entry and _AND_RE.search(entry):
                    entries.extend(_split_and(entry))
                elif "," in entry and all(
                    _split_company(part.strip())[1] for part in entry.split(",") if part.strip()
                ):  # "Mark Jansen from Arcadis, Lisa Bos from Witteveen+Bos" on one line
                    entries.extend(_split_comma_list(entry))
                else:
                    entries.append(entry)
    elif ";" in lines[0]:
        entries.extend(e for e in lines[0].split(";") if e.strip())
    elif "," in lines[0]:
        entries.extend(_split_comma_list(_BULLET_RE.sub("", lines[0], count=1)))
    else:
        entries.extend(_split_and(_BULLET_RE.sub("", lines[0], count=1)))
    if entries and _is_header_entry(entries[0]):
        entries = entries[1:]
    return entries


def _read(entries: list[str]) -> list[Visitor]:
    visitors: list[Visitor] = []
    for entry in entries:
        visitor = _visitor_from_entry(entry)
        if visitor is not None and not _is_sentence(entry, visitor.name):
            visitors.append(visitor)
            if len(visitors) >= MAX_VISITORS:
                break
    return visitors


def _pairs(line: str) -> list[str] | None:
    """ "Jan Jansen, Arcadis, Lisa Bos, Witteveen" read as name, company pairs."""
    parts = [p.strip() for p in line.split(",") if p.strip()]
    if len(parts) < 4 or len(parts) % 2 or any("@" in p for p in parts):
        return None
    return [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts), 2)]


def parse_visitors(text: str, expected: int | None = None) -> list[Visitor]:
    """Visitors from a pasted list (see the module docstring for the rules); ``expected``:
    the number of visitors the text says, if it does."""
    lines = _lines(text)
    if not lines:
        return []
    lines = [line for line in _strip_lead(lines) if not _CLOSING_RE.match(line)]
    if not lines:
        return []
    visitors = _read(_entries(lines))
    if expected is not None and len(visitors) != expected and len(lines) == 1:
        pairs = _pairs(_BULLET_RE.sub("", lines[0], count=1)) if ";" not in lines[0] else None
        other = _read(pairs) if pairs else []
        if len(other) == expected:
            return other
    return visitors


def visitors_in_message(text: str, expected: int | None = None) -> list[Visitor]:
    """The visitors a first message lists: after a cue in its first line ("twee bezoekers
    aanmelden: A van X en B van Y") and on the lines after it; [] when it lists none."""
    lines = _lines(text)
    if not lines:
        return []
    first, rest = lines[0], lines[1:]
    cue = _INLINE_CUE_RE.search(first)
    inline = _first_sentence(first[cue.end() :]).strip() if cue else ""
    body = [inline, *rest] if inline else rest
    if not body:
        return []
    return parse_visitors("\n".join(body), expected)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_columns(row: Sequence[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for i, cell in enumerate(row):
        key = _clean(_fold(cell)).replace("_", " ")
        for kind, names in (
            ("name", _HEADER_NAME),
            ("first", _HEADER_FIRST),
            ("middle", _HEADER_MIDDLE),
            ("last", _HEADER_LAST),
            ("company", _HEADER_COMPANY),
            ("email", _HEADER_EMAIL),
        ):
            if key in names and kind not in columns:
                columns[kind] = i
                break
    if "name" in columns or "first" in columns or "last" in columns:
        return columns
    if "email" in columns and "company" in columns:
        return columns
    return None


def parse_visitors_csv(data: bytes) -> list[Visitor]:
    """Visitors from a CSV file (see the module docstring for the formats)."""
    text = _decode(data)
    if not text.strip():
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = [[cell.strip() for cell in row] for row in reader]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    columns = _header_columns(rows[0])
    if columns is not None:
        rows = rows[1:]

    def cell(row: Sequence[str], kind: str) -> str:
        index = columns.get(kind) if columns else None
        return row[index] if index is not None and index < len(row) else ""

    visitors: list[Visitor] = []
    for row in rows:
        if columns is not None:
            name = cell(row, "name") or " ".join(
                p for p in (cell(row, "first"), cell(row, "middle"), cell(row, "last")) if p
            )
            visitor = _make_visitor(name, cell(row, "company"), cell(row, "email"))
        else:
            email = next((c for c in row if _is_email(c)), "")
            others = [c for c in row if c and c != email]
            visitor = _make_visitor(
                others[0] if others else "", others[1] if len(others) > 1 else "", email
            )
        if visitor is not None:
            visitors.append(visitor)
            if len(visitors) >= MAX_VISITORS:
                break
    return visitors
