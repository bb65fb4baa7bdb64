"""dlcalc draw: every topic in the terminal (80 columns, both languages), as SVG (labels kept as
text) and PNG (the size it reports), the font that makes Chinese render, and the numbers the
worked diagrams show, recomputed with torch."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import struct
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from dlcalc.draw import picture
from dlcalc.draw.legend import legend, wrap
from dlcalc.draw.model import say
from dlcalc.draw.topics import TOPICS

ROOT = Path(__file__).resolve().parent.parent
NAMES = [t.name for t in TOPICS]
LANGS = ("en", "zh")
SVG = "{http://www.w3.org/2000/svg}"
REQUIRED = ["neuron", "perceptron", "mlp", "conv", "pool", "rnn", "lstm", "gru", "resnet-densenet", "inception",
            "transformer"]  # fmt: skip


def diagram(name: str):
    return next(t for t in TOPICS if t.name == name).build()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def svg_texts(path: Path) -> list[str]:
    return ["".join(t.itertext()) for t in ET.parse(path).getroot().iter(f"{SVG}text")]


def test_the_issue_topics_are_all_there():
    assert set(REQUIRED) <= set(NAMES)


# --- terminal ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_terminal_fits_80_columns(cli, name, lang):
    code, out, err = cli("draw", name, "--lang", lang)
    assert code == 0, err
    lines = out.rstrip("\n").split("\n")
    assert len(lines) > 10
    too_wide = [line for line in lines if cell_len(line) > 80]
    assert not too_wide, too_wide
    d = diagram(name)
    assert d.title(lang) in out
    for part in d.parts:  # the legend names every part
        assert part.label(lang) in out
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", "\n".join(picture(d, "zh")))


@pytest.mark.parametrize("name", NAMES)
def test_every_line_is_horizontal_or_vertical_in_the_terminal(name):
    d = diagram(name)
    for edge in d.edges:
        if edge.only != "picture":
            assert edge.straight(), edge


def test_box_drawing_glyphs_come_from_their_unicode_names():
    from dlcalc.draw.terminal import glyphs

    table = glyphs()
    # (up, down, left, right) with 1 = light, 2 = heavy
    assert table[(0, 1, 0, 1)] == "┌"
    assert table[(1, 1, 1, 1)] == "┼"
    assert table[(2, 2, 1, 1)] == "╂"
    assert table[(1, 1, 2, 2)] == "┿"
    assert table[(0, 1, 2, 2)] == "┯"
    assert table[(0, 0, 2, 1)] == "╾"


def test_junctions_crossings_and_arrowheads():
    from dlcalc.draw.model import Sketch
    from dlcalc.text import T

    s = Sketch("t", T("t", "t"), 20, 7)
    s.box("a", 0, 0, 7, "a")
    s.box("b", 0, 4, 7, "b")
    s.link("a", "b")
    s.path((9, 0), (9, 6), arrow="none")  # a vertical line …
    s.path((7, 3), (12, 3), arrow="none")  # … crossed by a horizontal one: no junction
    lines = picture(s.build())
    assert lines[2][3] == "┬"  # leaving a box
    assert lines[3][3] == "▼"
    assert lines[4][3] == "─"  # the outline stays unbroken under an arrowhead
    assert lines[3][9] == "│"


def test_text_that_would_overlap_is_refused():
    from dlcalc.draw.model import Sketch
    from dlcalc.text import T

    s = Sketch("t", T("t", "t"), 20, 3)
    s.text(0, 0, "hello")
    s.text(3, 0, "world")
    with pytest.raises(ValueError, match="overlaps"):
        picture(s.build())


PIECES = ["word ", "longer ", "x ", "神", "经", "元", "神，", "（神", "（x", "神）", "x）", " "]  # marks touch a word


@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_wrap_keeps_every_character_and_the_width(atoms):
    text = "".join(atoms)
    lines = wrap(text, 12)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(cell_len(line) <= 12 for line in lines)
    assert not any(line.startswith(("，", "）")) for line in lines[1:])  # closing marks stay with their word
    assert not any(line.endswith("（") for line in lines)  # opening ones too


# --- errors and other outputs --------------------------------------------------------------------


def test_unknown_topic_names_the_nearest(cli):
    code, out, err = cli("draw", "lstn")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "lstm" in err and "--list" in err
    code, _, err = cli("draw", "稠密", "--lang", "zh")  # a piece of a Chinese alias is not a name …
    assert code == 2 and "resnet-densenet" in err and "没有主题" in err
    code, _, err = cli("draw", "qwerty")  # … and nothing near: still one line
    assert code == 2 and err.count("\n") == 1


@pytest.mark.parametrize(("alias", "name"), [("神经元", "neuron"), ("LSTM单元", "lstm"), ("残差块", "resnet-densenet"),
                                            ("Encoder", "transformer"), ("1x1", "inception")])  # fmt: skip
def test_aliases(cli, alias, name):
    code, out, _ = cli("draw", alias, "--json")
    assert code == 0 and json.loads(out)["topic"] == name


def test_list(cli):
    code, out, _ = cli("draw", "--list")
    assert code == 0
    assert all(re.search(rf"^{re.escape(n)}\s", out, re.M) for n in NAMES)
    assert all(cell_len(line) <= 80 for line in out.split("\n"))
    code, out, _ = cli("draw", "--list", "--json")
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "draw-topics"
    assert [t["name"] for t in data["topics"]] == NAMES


@pytest.mark.parametrize("args", [(), ("lstm", "--check"), ("lstm", "--latex"), ("lstm", "--json", "--md")])
def test_refused_options_are_one_line(cli, args):
    code, out, err = cli("draw", *args)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err


def test_json_gives_parts_and_captions(cli):
    code, out, _ = cli("draw", "lstm", "--json", "--lang", "zh")
    data = json.loads(out)
    assert data["dlcalc"] == 1 and data["kind"] == "draw" and data["topic"] == "lstm"
    labels = {p["label"]: p["caption"] for p in data["parts"]}
    assert "遗忘门 fₜ" in labels and "σ" in labels["遗忘门 fₜ"]
    assert {p["label"]: p["term"] for p in data["parts"]}["遗忘门 fₜ"] == "forget-gate"
    assert data["picture"] == picture(diagram("lstm"), "zh")
    assert data["files"] == {}


def test_markdown_carries_the_picture(cli):
    code, out, _ = cli("draw", "gru", "--md")
    assert code == 0 and "### GRU cell" in out and "```\n" in out
    assert picture(diagram("gru"))[0] in out


# --- pictures ------------------------------------------------------------------------------------


def svg_pixels(path: Path) -> tuple[int, int]:
    """The SVG's declared size (points) in the PNG's pixels."""
    from dlcalc.draw.figure import DPI

    root = ET.parse(path).getroot()
    return tuple(round(float(root.get(k).removesuffix("pt")) / 72 * DPI) for k in ("width", "height"))


def wanted_texts(d, lang: str) -> set[str]:
    """Every label the picture must carry as text: title, parts, nodes, grid values, legend rows."""
    from dlcalc.draw.figure import text_cells

    wanted = {d.title(lang)} | {p.label(lang) for p in d.parts}
    for node in d.nodes:
        if node.only != "terminal":
            wanted |= {line for line in say(node.label, lang).split("\n") if line.strip()}
    for grid in d.grids:
        wanted |= {v for row in grid.values for v in row if v}
    wanted |= {text for _, _, text in legend(d, lang, text_cells)[1] if text}
    return wanted


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_svg_keeps_every_label_as_text_at_the_pictures_size(tmp_path, name, lang):
    from dlcalc.draw import save
    from dlcalc.draw.figure import CELL_H, CELL_W, DPI, pixel_size, text_cells

    d = diagram(name)
    svg = tmp_path / "d.svg"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns about every glyph no font has
        size = save(d, str(svg), lang)
    missing = wanted_texts(d, lang) - set(svg_texts(svg))
    assert not missing, missing
    assert "font-family" in svg.read_text(encoding="utf-8")
    width, height = size
    assert svg_pixels(svg) == size == pixel_size(d, lang)
    assert width == round((d.width + 2) * CELL_W * DPI) == 1230  # every picture is as wide as 80 columns
    rows = len(legend(d, lang, text_cells)[1])
    assert height % round(CELL_H * DPI) == 0 and height > (d.height + rows) * CELL_H * DPI


@pytest.mark.parametrize(("name", "lang"), [("neuron", "zh"), ("lstm", "en")])  # PNGs are slow: two here
def test_png_has_the_size_it_reports(cli, tmp_path, name, lang):
    from dlcalc.draw.figure import pixel_size

    svg, png = tmp_path / "d.svg", tmp_path / "d.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = cli("draw", name, "--lang", lang, "--svg", str(svg), "--png", str(png), "--json")
    assert code == 0, err
    width, height = png_size(png)
    assert (width, height) == pixel_size(diagram(name), lang) == svg_pixels(svg)
    assert f"{width}×{height}" in err and str(png) in err and str(svg) in err  # where each was saved
    assert json.loads(out)["files"] == {"svg": str(svg), "png": str(png)}


# --- captions shared with `dlcalc explain` -------------------------------------------------------

# part labels that look up a glossary entry but are not that term
NOT_THE_TERM = {
    ("neuron", "terminal"),  # "axon terminals" are not the axon
    ("inception", "concat"),  # "filter concatenation" is not the filter (kernel)
    ("transformer", "ff"),  # the position-wise feed-forward sublayer, not a feed-forward network
    ("resnet-densenet", "shortcut"),  # "identity shortcut" is the residual connection, not the identity function
}


def _named_term(glossary, label: str) -> str | None:
    """The glossary entry a part's label names exactly (ignoring trailing symbols such as fₜ, K×K)."""
    for candidate in (label, re.sub(r"\s+\S+$", "", label), re.sub(r"\s*[（(].*$", "", label)):
        match = glossary.lookup(candidate) if candidate else None
        if match is not None and match.how == "exact":
            return match.entry.id
    return None


def test_every_caption_is_a_glossary_term_drawn_where_it_says():
    from dlcalc.draw.captions import CAPTIONS
    from dlcalc.glossary import load

    glossary = load(None)
    assert set(CAPTIONS) <= set(glossary.by_id)
    drawn: dict[str, set[str]] = {}
    for t in TOPICS:
        for part in t.build().parts:
            if part.term:
                drawn.setdefault(part.term, set()).add(t.name)
    assert {term: set(topics) for term, (topics, _) in CAPTIONS.items()} == drawn


def test_parts_naming_a_glossary_term_share_its_caption():
    from dlcalc.draw.captions import CAPTIONS
    from dlcalc.glossary import load

    glossary = load(None)
    for t in TOPICS:
        for part in t.build().parts:
            named = {_named_term(glossary, part.label(lang)) for lang in LANGS} - {None}
            if (t.name, part.key) in NOT_THE_TERM:
                continue
            assert named <= {part.term}, (t.name, part.key, named)
            if part.term:
                shared = CAPTIONS[part.term][1]
                for lang in LANGS:
                    assert part.caption(lang).startswith(shared(lang)), (t.name, part.key)


@pytest.mark.parametrize(("term", "lang"), [("forget gate", "en"), ("遗忘门", "zh"), ("padding", "zh")])
def test_explain_shows_the_caption_draw_uses(cli, term, lang):
    from dlcalc.draw.captions import CAPTIONS
    from dlcalc.glossary import load

    entry = load(None).lookup(term).entry
    topics, caption = CAPTIONS[entry.id]
    code, out, _ = cli("explain", term, "--lang", lang, "--json")
    assert code == 0
    assert json.loads(out)["caption"] == {"en": caption.en, "zh": caption.zh, "draw": list(topics)}
    code, out, _ = cli("explain", term, "--lang", lang)
    flat = re.sub(r"[\s│]+", "", out)
    assert re.sub(r"\s+", "", caption(lang))[:20] in flat and f"dlcalcdraw{topics[0]}" in flat


def test_an_unwritable_picture_is_one_line(cli, tmp_path):
    code, _, err = cli("draw", "lstm", "--png", str(tmp_path / "missing" / "x.png"))
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err


# --- the font ------------------------------------------------------------------------------------


def _font_script():
    spec = importlib.util.spec_from_file_location("gen_draw_font", ROOT / "scripts" / "gen_draw_font.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _cmap(path) -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(str(path)).getBestCmap())


def test_every_character_draw_can_print_has_a_glyph():
    import matplotlib

    from dlcalc.draw.figure import FONT_FILES

    chars = _font_script().literal_characters()
    for t in TOPICS:  # texts built at draw time (f-strings, numbers) as well as the literals
        d = t.build()
        for lang in LANGS:
            chars |= set("".join(picture(d, lang)))
            chars |= set("".join(text for _, label, text in legend(d, lang)[1]) + d.title(lang))
    chars = {c for c in chars if not c.isspace()}
    dejavu = _cmap(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    for font in FONT_FILES:
        bundled = _cmap(font)
        # Chinese comes from the bundled subset; DejaVu Sans (inside matplotlib) draws the rest
        assert not {c for c in chars if cell_len(c) == 2 and ord(c) not in bundled}, font
        assert not {c for c in chars if ord(c) not in bundled | dejavu}, font
        assert set(map(ord, "0123456789abcxyzABC")) <= bundled


def test_the_bundled_font_is_what_matplotlib_uses():
    from matplotlib import font_manager

    from dlcalc.draw.figure import CJK_FAMILY, FONT_FILES, _matplotlib

    _matplotlib()
    for weight, file in zip(("normal", "bold"), FONT_FILES):
        found = font_manager.findfont(
            font_manager.FontProperties(family=CJK_FAMILY, weight=weight), fallback_to_default=False
        )
        assert Path(found) == file
    licence = (FONT_FILES[0].parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Reserved Font Name" in licence


def test_chinese_glyphs_are_drawn_not_boxes():
    """Two different characters render to two different bitmaps: a missing glyph is the same box."""
    from matplotlib.ft2font import FT2Font

    from dlcalc.draw.figure import FONT_FILES

    font = FT2Font(str(FONT_FILES[0]))
    bitmaps = []
    for ch in "神经元":
        font.set_size(24, 72)
        font.set_text(ch)
        font.draw_glyphs_to_bitmap()
        image = font.get_image()
        assert image.sum() > 0
        bitmaps.append(bytes(image))
    assert len(set(bitmaps)) == 3


# --- the numbers in the worked examples ----------------------------------------------------------


def test_conv_and_pool_examples_agree_with_torch():
    torch = pytest.importorskip("torch")
    from dlcalc.draw.topics import grids

    x = torch.tensor(grids.CONV_INPUT, dtype=torch.float64)[None, None]
    k = torch.tensor(grids.CONV_KERNEL, dtype=torch.float64)[None, None]
    expected = torch.nn.functional.conv2d(x, k, padding=grids.CONV_PADDING, stride=grids.CONV_STRIDE)[0, 0]
    shown = next(g for g in diagram("conv").grids if g.id == "output").values
    assert [[float(v) for v in row] for row in shown] == expected.tolist()

    x = torch.tensor(grids.POOL_INPUT, dtype=torch.float64)[None, None]
    d = diagram("pool")
    for grid_id, op in (("max", torch.nn.functional.max_pool2d), ("avg", torch.nn.functional.avg_pool2d)):
        shown = next(g for g in d.grids if g.id == grid_id).values
        assert [[float(v) for v in row] for row in shown] == op(x, 2)[0, 0].tolist()


# --- pictures of worked computations -------------------------------------------------------------

MAZUR = ROOT / "examples" / "mazur.yaml"


def _solve(module, inputs):
    from importlib import import_module

    solver = import_module(f"dlcalc.solvers.{module}")
    return solver.solve(solver.parse_spec(inputs))


def _labels(d, lang="en") -> str:
    return "\n".join(say(n.label, lang) for n in d.nodes)


def _check_both_backends(d, tmp_path, png: str | None = None) -> None:
    """Fits 80 columns in both languages; every label is text in the SVG, which has the picture's
    size; the PNG (in language `png` only: PNGs are slow) has the size `save` reports."""
    from dlcalc.draw import save
    from dlcalc.draw.figure import pixel_size

    for lang in LANGS:
        assert all(cell_len(line) <= 80 for line in picture(d, lang))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            size = save(d, str(tmp_path / f"{lang}.svg"), lang)
            if lang == png:
                reported = save(d, str(tmp_path / "p.png"), lang)
                assert png_size(tmp_path / "p.png") == reported == size
        assert svg_pixels(tmp_path / f"{lang}.svg") == size == pixel_size(d, lang)
        missing = wanted_texts(d, lang) - set(svg_texts(tmp_path / f"{lang}.svg"))
        assert not missing, missing


def test_backprop_picture_shows_torchs_forward_values_and_gradients(tmp_path):
    torch = pytest.importorskip("torch")
    import yaml

    from dlcalc.draw.worked import number, picture_of

    spec = yaml.safe_load(MAZUR.read_text(encoding="utf-8"))
    d = picture_of(_solve("backprop", spec))
    # the same network in torch (Mazur's example: shared biases, sigmoid, E = Σ ½(t − o)²)
    a = torch.tensor(spec["input"], dtype=torch.float64)
    weights = [torch.tensor(layer["weights"], dtype=torch.float64, requires_grad=True) for layer in spec["layers"]]
    values = []
    for w, layer in zip(weights, spec["layers"]):
        z = w @ a + layer["bias"]
        a = torch.sigmoid(z)
        values.append((z, a))
    (0.5 * ((torch.tensor(spec["target"], dtype=torch.float64) - a) ** 2).sum()).backward()

    boxes = {n.id: say(n.label, "en") for n in d.nodes}
    for layer, (z, a) in enumerate(values, 1):
        for j in range(len(z)):
            box = boxes[f"n{layer}-{j}"]
            assert f"z {number(z[j].item())}" in box and f"a {number(a[j].item())}" in box
    for layer, w in enumerate(weights, 1):
        for j, row in enumerate(w.grad.tolist()):
            for i, g in enumerate(row):
                label = d.node(f"grad{layer}-{j}-{i}")
                assert label.label == number(g)
                # … and it sits on the line from neuron i of the layer before to neuron j
                src, dst = d.node(f"n{layer - 1}-{i}"), d.node(f"n{layer}-{j}")
                (x0, y0), (x1, y1) = (src.x + src.w - 1, src.y + src.h // 2), (dst.x, dst.y + dst.h // 2)
                cx, cy = label.x + 3, label.y
                assert abs((x1 - x0) * (cy - y0) - (y1 - y0) * (cx - x0)) / math.hypot(x1 - x0, y1 - y0) < 1e-9
    _check_both_backends(d, tmp_path, png="en")


def test_net_picture_shows_torchs_shapes(tmp_path):
    torch = pytest.importorskip("torch")
    from dlcalc.draw.worked import picture_of

    layers = ["Conv2d(1, 25, 3)", "ReLU()", "MaxPool2d(2)", "Conv2d(25, 50, 3)", "ReLU()", "MaxPool2d(2)",
              "Flatten()", "Linear(1250, 10)"]  # fmt: skip
    d = picture_of(_solve("net", {"input": "1x28x28", "layers": layers}))
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 25, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(25, 50, 3),
        torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(1250, 10),
    )  # fmt: skip
    x = torch.zeros(1, 1, 28, 28)
    shown = _labels(d)
    position = 0
    for module in model:
        x = module(x)
        if not isinstance(module, torch.nn.ReLU):  # an activation folds into the box before it
            shape = "×".join(map(str, x.shape[1:]))
            position = shown.index(shape, position)
    total = sum(p.numel() for p in model.parameters())
    assert f"{total:,} parameters" in shown
    _check_both_backends(d, tmp_path, png="zh")


@given(
    size=st.integers(3, 17),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
)
def test_conv_picture_shades_the_rows_torch_never_reads(size, kernel, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    from dlcalc.draw.worked import picture_of
    from dlcalc.errors import DlcalcError

    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span or 2 * padding > kernel:
        return  # torch refuses it, and so does the solver
    result = _solve("conv", {"input": f"{size}x{size}", "kernel": kernel, "stride": stride, "padding": padding,
                             "dilation": dilation})  # fmt: skip
    try:
        d = picture_of(result)
    except DlcalcError:
        assert size + 2 * padding > 19  # only too big to draw
        return
    # which padded rows does torch's convolution read? mark them with a gradient
    x = torch.ones(1, 1, size + 2 * padding, size + 2 * padding, requires_grad=True)
    torch.nn.functional.conv2d(x, torch.ones(1, 1, kernel, kernel), stride=stride, dilation=dilation).sum().backward()
    unread_rows = int((x.grad[0, 0].sum(dim=1) == 0).sum())
    grid = next(g for g in d.grids if g.id == "input")
    crossed_rows = sum(1 for row in grid.values if all(v == "×" for v in row))
    if not any("⋮" in row for row in grid.values):  # every row shown (else the caption counts them)
        assert crossed_rows == unread_rows
    assert f"never read: {unread_rows} row(s)" in _labels(d)
    rows = (size + 2 * padding - span) // stride + 1
    out = next(g for g in d.grids if g.id == "output")
    assert out.rows == rows if rows <= 8 else sum(1 for row in out.values if "⋮" not in row) == 7
    assert f"output {rows}×{rows}" in _labels(d)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_recurrent_picture_shows_torchs_states(kind, tmp_path):
    torch = pytest.importorskip("torch")
    from dlcalc.draw.worked import number, picture_of

    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    torch.manual_seed(3)
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](2, 2).double()
    x = [[0.5, -1.0], [1.0, 0.25], [-0.5, 0.75]]

    def text(t):
        return "; ".join(",".join(repr(round(v, 6)) for v in row) for row in t.tolist())

    with torch.no_grad():  # weights with six decimals, exactly as the solver reads them
        for p in module.parameters():
            p.copy_(torch.round(p * 1e6) / 1e6)
    inputs = {"x": text(torch.tensor(x)), "weight_ih": text(module.weight_ih_l0), "weight_hh": text(module.weight_hh_l0),
              "bias_ih": text(module.bias_ih_l0[None]), "bias_hh": text(module.bias_hh_l0[None])}  # fmt: skip
    assert module.weight_ih_l0.shape[0] == 2 * gates
    d = picture_of(_solve(kind, inputs))
    out, state = module(torch.tensor(x, dtype=torch.float64))
    for t, h in enumerate(out.tolist()):
        box = say(d.node(f"t{t}").label, "en")
        assert "h [" + ", ".join(number(v) for v in h) + "]" in box
    if kind == "lstm":
        c_last = state[1][0].tolist()
        assert "c [" + ", ".join(number(v) for v in c_last) + "]" in say(d.node("t2").label, "en")
    _check_both_backends(d, tmp_path)


def test_worked_pictures_refuse_what_they_cannot_draw():  # in one clear line
    from dlcalc.draw.worked import picture_of
    from dlcalc.errors import DlcalcError

    with pytest.raises(DlcalcError, match="transposed"):
        picture_of(_solve("conv", {"input": "3x8x8", "kernel": 3, "stride": 2, "transposed": True}))
    with pytest.raises(DlcalcError, match="no picture"):
        picture_of(_solve("softmax", {"logits": "1, 2, 3"}))


# --- the README's pictures -----------------------------------------------------------------------


def test_the_readme_pictures_are_current():
    """scripts/gen_draw_pictures.py writes them; a layout change that resizes one fails here."""
    spec = importlib.util.spec_from_file_location("gen_draw_pictures", ROOT / "scripts" / "gen_draw_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(module.PICTURES) == 2
    for name in module.PICTURES:
        assert f"(docs/draw/{name})" in readme
        assert (ROOT / "docs" / "draw" / name).stat().st_size < 120_000  # small enough for the repository
    assert module.stale() == []
