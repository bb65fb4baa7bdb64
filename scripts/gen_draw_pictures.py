"""Write the pictures the README shows under docs/draw/, from the current code, so they stay current.

    python scripts/gen_draw_pictures.py          # rewrite them
    python scripts/gen_draw_pictures.py --check  # exit 1 naming any picture whose size is stale

Each picture is what `dlcalc draw TOPIC --lang LANG --png FILE` writes. tests/test_draw.py checks
that every picture listed here exists, is named in the README, and has the size the current
diagram would have (a layout change that resizes a picture fails until this script is re-run).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "draw"
# file name → (topic, language)
PICTURES = {
    "neuron-zh.png": ("neuron", "zh"),
    "resnet-densenet-en.png": ("resnet-densenet", "en"),
}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return struct.unpack(">II", data[16:24])


def stale() -> list[str]:
    """The pictures that are missing or not the size the current diagram has."""
    from dlcalc.draw.figure import pixel_size
    from dlcalc.draw.topics import find

    out = []
    for name, (topic, lang) in PICTURES.items():
        path = DOCS / name
        if not path.exists() or png_size(path) != pixel_size(find(topic).build(), lang):
            out.append(name)
    return out


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    if "--check" in argv:
        names = stale()
        for name in names:
            print(f"docs/draw/{name} is stale: run python scripts/gen_draw_pictures.py", file=sys.stderr)
        return 1 if names else 0
    from dlcalc.draw import save
    from dlcalc.draw.topics import find

    DOCS.mkdir(parents=True, exist_ok=True)
    for name, (topic, lang) in PICTURES.items():
        w, h = save(find(topic).build(), str(DOCS / name), lang, "png")
        print(f"docs/draw/{name}: {w}×{h} px, {(DOCS / name).stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
