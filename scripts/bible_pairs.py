#!/usr/bin/env python3
"""Verse-aligned parallel text from Debian's SWORD Bible modules (read with diatheke).

    scripts/bible_pairs.py pairs SOURCE_MODULE TARGET_MODULE > pairs.tsv
    scripts/bible_pairs.py dump MODULE > verses.tsv

`pairs` writes `reference<TAB>source text<TAB>target text`, one verse a line, in the
source module's canonical order (Genesis to Revelation); `dump` writes one module as
`reference<TAB>text`. Called by scripts/get_data.sh (bible-en-es: engWEB2015eb, the World
English Bible, against spaRV1909eb, the Reina-Valera 1909). Standard library only.

What the cleaning does, and why:
  * diatheke prints each verse as `Book C:V: text` in OSIS markup. Footnotes (<note>),
    headings (<title>) and line-break milestones are removed and replaced by a space
    (removing a note without the space glues its neighbours: "God<note/>created"), then
    every remaining tag; entities are decoded; a space left before punctuation is dropped.
  * Text that diatheke appends after the last verse (the WEB's glossary) is cut off.
  * The Reina-Valera prints the first word of every chapter in capitals ("EN el
    principio", "¿POR qué") and keeps the psalm titles inline in verse 1 ("Salmo de David.
    JEHOVÁ, ..."): in a module where most chapters start so, such a word is written the way
    the module writes it most often elsewhere, and a psalm title before it is dropped (the
    English side has its titles as headings, already removed).
  * The two modules number some verses differently (the Reina-Valera moves Jonah 1:17 to
    2:1, merges Acts 19:40-41, ...). Verses are matched on their reference; a reference
    that only one module has marks its chapter, and the next one (where the shifted verse
    lands), as misaligned, and both chapters are left out. stderr says how many.
"""
import collections
import html
import re
import subprocess
import sys

# The 66 books as diatheke names them, in canonical order.
BOOKS = [
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth",
    "I Samuel", "II Samuel", "I Kings", "II Kings", "I Chronicles", "II Chronicles", "Ezra",
    "Nehemiah", "Esther", "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon",
    "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
    "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah",
    "Malachi", "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "I Corinthians",
    "II Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians",
    "I Thessalonians", "II Thessalonians", "I Timothy", "II Timothy", "Titus", "Philemon",
    "Hebrews", "James", "I Peter", "II Peter", "I John", "II John", "III John", "Jude",
    "Revelation of John",
]
# Longest names first, so "II John" is not read as "John".
_BOOK_ALTERNATION = "|".join(re.escape(b) for b in sorted(BOOKS, key=len, reverse=True))
VERSE_LINE = re.compile(r"(?:^|[\s>])((" + _BOOK_ALTERNATION + r") (\d+):(\d+)): (.*)$")

NOTE = re.compile(r"<note\b[^>]*/>|<note\b.*?</note>", re.S)
TITLE = re.compile(r"<title\b.*?</title>", re.S)
MILESTONE = re.compile(r"<milestone\b[^>]*/>")
TAG = re.compile(r"<[^>]*>")
SPACE_BEFORE_PUNCTUATION = re.compile(r" ([,.;:!?\u201d\u2019])")
WEB_GLOSSARY = re.compile(r"\s{4,}The following words used in the World English Bible.*", re.S)

# A chapter's first word in capitals, after an optional "Y " or opening ¿ / ¡.
DROP_CAP = re.compile(r"^((?:Y |[\u00bf\u00a1])?)([^\W\d_a-z]{2,})(?=[\s,;:.!?])")
# A psalm title: text up to the first punctuation mark that is followed by the drop cap.
PSALM_TITLE = re.compile(r"^(.{3,}?[.:;,] )(?=[\u00bf\u00a1]?([^\W\d_a-z]{2,})[\s,;:.!?])")
WORD = re.compile(r"\w+")


def is_all_caps(word):
    return word.upper() == word and word.lower() != word


def clean(text):
    text = WEB_GLOSSARY.sub("", text)
    for pattern in (NOTE, TITLE, MILESTONE):
        text = pattern.sub(" ", text)
    text = html.unescape(TAG.sub("", text))
    text = text.replace("\u00b6", " ").replace("\t", " ").replace("\r", " ")
    text = " ".join(text.split())
    return SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


def read_module(module):
    """[(reference, chapter key, verse number, text)] in the module's order."""
    run = subprocess.run(["diatheke", "-b", module, "-f", "OSIS", "-o", "f", "-k", "Gen-Rev"],
                         capture_output=True, check=True)
    verses = []
    for line in run.stdout.decode("utf-8", errors="replace").splitlines():
        m = VERSE_LINE.search(line)
        if not m:
            continue  # headings on their own line, the module name at the end
        reference, book, chapter, verse, text = m.groups()
        text = clean(text)
        if text:
            verses.append((reference, f"{book} {chapter}", int(verse), text))
    if not verses:
        sys.exit(f"bible_pairs.py: diatheke printed no verses of {module} "
                 "(is sword-text-* for it installed?)")
    return verses


def undo_drop_caps(verses):
    """Re-cases each chapter's capitalised first word, for a module that prints one."""
    firsts = [text for _, _, verse, text in verses if verse == 1]
    capped = sum(1 for text in firsts if DROP_CAP.match(text))
    if not firsts or capped <= len(firsts) / 2:
        return verses
    counts = collections.Counter()
    for _, _, verse, text in verses:
        body = text
        if verse == 1:  # leave out the word being re-cased
            body = re.sub(r"^(?:Y )?\S+", "", body)
        counts.update(WORD.findall(body))

    def written_so_elsewhere(word):  # mostly in capitals elsewhere too (an acronym, a name)
        return counts[word] > counts[word.lower()] + counts[word.capitalize()]

    out = []
    for reference, chapter, verse, text in verses:
        if verse == 1:
            title = PSALM_TITLE.match(text) if reference.startswith("Psalms ") else None
            if title and not written_so_elsewhere(title.group(2)):
                text = text[len(title.group(1)):]
            m = DROP_CAP.match(text)
            if m and not written_so_elsewhere(m.group(2)):
                prefix, word = m.groups()
                lower, capital = word.lower(), word.capitalize()
                best = lower if counts[lower] >= counts[capital] else capital
                if prefix != "Y ":
                    best = best[0].upper() + best[1:]
                text = prefix + best + text[m.end():]
        out.append((reference, chapter, verse, text))
    return out


def next_chapter(chapter):
    book, number = chapter.rsplit(" ", 1)
    return f"{book} {int(number) + 1}"


def pairs(source, target):
    src = undo_drop_caps(read_module(source))
    tgt = {reference: text for reference, _, _, text in undo_drop_caps(read_module(target))}
    src_refs = {reference for reference, _, _, _ in src}
    chapter_of = {reference: chapter for reference, chapter, _, _ in src}
    misaligned = set()
    for reference in src_refs ^ set(tgt):
        chapter = chapter_of.get(reference) or reference.rsplit(":", 1)[0]
        misaligned.update((chapter, next_chapter(chapter)))
    dropped = 0
    out = sys.stdout
    for reference, chapter, _, text in src:
        if reference not in tgt:
            continue
        if chapter in misaligned:
            dropped += 1
            continue
        out.write(f"{reference}\t{text}\t{tgt[reference]}\n")
    chapters = len(misaligned & {chapter for _, chapter, _, _ in src})
    print(f"bible_pairs.py: {chapters} chapters left out for differing verse numbering, "
          f"{dropped} verse pairs dropped with them", file=sys.stderr)


def main(argv):
    if len(argv) == 3 and argv[1] == "dump":
        for reference, _, _, text in undo_drop_caps(read_module(argv[2])):
            sys.stdout.write(f"{reference}\t{text}\n")
    elif len(argv) == 4 and argv[1] == "pairs":
        pairs(argv[2], argv[3])
    else:
        sys.exit(__doc__.split("\n\n")[1])


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    main(sys.argv)
