"""Write dlcalc/draw/fonts/DlcalcSansCJK-{Regular,Bold}.otf: the glyphs `dlcalc draw` can print,
cut from Noto Sans CJK SC (SIL Open Font License 1.1, which allows subsetting and bundling; the
licence travels with the font as dlcalc/draw/fonts/OFL.txt).

matplotlib's own fonts have no Chinese, so a picture labelled in Chinese needs a CJK font; a
subset of a few hundred glyphs keeps the wheel small and works on a machine with no fonts
installed. Run this after changing any text in dlcalc/draw/ (needs fontTools, which matplotlib
already depends on, and the Debian package fonts-noto-cjk, or a folder holding
NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc):

    python scripts/gen_draw_font.py [FOLDER]

tests/test_draw.py fails when a character the draw package can print is in neither this font nor
matplotlib's DejaVu Sans.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "dlcalc" / "draw").rglob("*.py")), ROOT / "dlcalc" / "cli" / "draw.py"]
FONTS = ROOT / "dlcalc" / "draw" / "fonts"
FAMILY = "dlcalc Sans CJK"
NOTO = "/usr/share/fonts/opentype/noto"
WEIGHTS = ("Regular", "Bold")
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))


def literal_characters(paths=SOURCES) -> set[str]:
    """Every character in every string literal (f-strings included) of the given sources."""
    chars: set[str] = set()
    for path in paths:
        if not path.exists():
            continue
        source = path.read_text(encoding="utf-8")
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING:
                try:
                    value = ast.literal_eval(tok.string)
                except (ValueError, SyntaxError):  # an f-string before Python 3.12
                    value = tok.string
                if isinstance(value, str):
                    chars.update(value)
            elif tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                chars.update(tok.string)
    return {c for c in chars if c.isprintable() and not c.isspace()}


def subset_font(source: Path, weight: str, wanted: set[str]) -> tuple[Path, str]:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(source))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    cmap = font.getBestCmap()
    text = "".join(sorted(c for c in wanted if ord(c) in cmap))

    options = subset.Options()
    options.name_IDs = [0, 7, 8, 9, 11, 12, 13, 14]  # copyright, trademark, designer, licence …
    options.name_languages = [0x409]
    options.layout_features = ["kern", "palt"]
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)

    # A modified font takes a name of its own (OFL §3); the copyright and licence records stay.
    postscript = f"dlcalcSansCJK-{weight}"
    names = font["name"]
    description = "Subset of Noto Sans CJK SC for the labels of dlcalc draw (scripts/gen_draw_font.py)."
    for name_id, value in {1: FAMILY, 2: weight, 3: postscript, 4: f"{FAMILY} {weight}", 5: "Version 1.0",
                           6: postscript, 10: description}.items():  # fmt: skip
        names.setName(value, name_id, 3, 1, 0x409)
    cff = font["CFF "].cff
    cff.fontNames = [postscript]
    top = cff.topDictIndex[0]
    top.FamilyName, top.FullName = FAMILY, f"{FAMILY} {weight}"
    target = FONTS / f"DlcalcSansCJK-{weight}.otf"
    target.parent.mkdir(parents=True, exist_ok=True)
    font.recalcTimestamp = False  # the same texts give the same bytes
    font.save(str(target), reorderTables=True)
    return target, "".join(sorted(c for c in wanted if ord(c) not in cmap))


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else NOTO)
    wanted = literal_characters() | set(ASCII)
    for weight in WEIGHTS:
        target, missing = subset_font(folder / f"NotoSansCJK-{weight}.ttc", weight, wanted)
        print(
            f"{target.relative_to(ROOT)}: {len(wanted) - len(missing)} characters, {target.stat().st_size // 1024} KiB"
        )
    print(f"not in Noto Sans CJK SC (matplotlib's DejaVu Sans draws them): {missing}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
