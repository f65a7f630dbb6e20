"""SVG charts and word clouds: well-formed, escaped, accessible, strict-CSP friendly."""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.analysis.charts import (
    CHART_WIDTH,
    FONT_SIZE,
    Bar,
    axis_scale,
    bar_chart,
    column_chart,
    layout_cloud,
    nice_ceiling,
    text_width,
    word_cloud,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    """Parse the markup (fails on malformed or unescaped output)."""
    return ET.fromstring(svg)  # noqa: S314 - our own generated markup


def test_bar_chart_is_accessible_and_proportional():
    """Titled image, one bar per row, widths proportional to values, muted bars in grey."""
    svg = bar_chart(
        [Bar("Adhérents", 300, "30 %"), Bar("Salariés", 150), Bar("Panels", 10, muted=True)],
        "Taux de participation",
        "participation",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "participation-title"
    assert root.find(f"{SVG}title").text == "Taux de participation"
    rects = root.findall(f"{SVG}rect")
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] == 2 * widths[1]
    assert rects[2].get("fill") != rects[0].get("fill")
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert "30 %" in texts and "150" in texts
    assert "style" not in svg and "<script" not in svg


def test_labels_are_escaped():
    """User-provided labels cannot inject markup."""
    svg = bar_chart([Bar('<script>alert("x")</script> & co', 1)], "T <b>", "x")
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "T <b>"
    assert "<script>" not in svg
    cloud = word_cloud([("<img src=x>", 3)], "Mots", "w")
    assert "<img" not in cloud
    parse(cloud)


def test_labels_people_wrote_carry_their_language_and_the_interface_s_do_not():
    """A region or a word of the answers is read in French on an English page; the values,
    "Not specified" and the title stay in the page's language."""
    bars = [Bar("Occitanie", 3, lang="fr"), Bar("Not specified", 1)]
    for svg in (bar_chart(bars, "Contributors by region", "r"), column_chart(bars, "Days", "d")):
        labels = {t.text: t.get("lang") for t in parse(svg).iter(f"{SVG}text")}
        assert labels["Occitanie"] == "fr" and labels["Not specified"] is None
        assert labels.get("3") is None and parse(svg).find(f"{SVG}title").get("lang") is None
    cloud = parse(word_cloud([("santé", 3), ("soins", 2)], "Word cloud", "w", lang="fr"))
    assert {t.get("lang") for t in cloud.iter(f"{SVG}text")} == {"fr"}
    assert 'lang="' not in word_cloud([("santé", 3)], "Word cloud", "w")


def test_long_labels_are_clipped():
    """A label wider than its column ends with an ellipsis."""
    root = parse(bar_chart([Bar("x" * 200, 1)], "T", "t"))
    label = root.findall(f"{SVG}text")[0].text
    assert label.endswith("…") and len(label) < 200


def test_empty_charts_are_valid():
    """No data still gives a well-formed, titled image."""
    for svg in (bar_chart([], "T", "a"), column_chart([], "T", "b"), word_cloud([], "T", "c")):
        assert parse(svg).find(f"{SVG}title").text == "T"


def test_column_chart_scale_and_ticks():
    """Columns share a scale that ends just above the highest; a few day labels under the axis."""
    days = [Bar(f"{d}/03", v) for d, v in enumerate([10, 301, 0, 5] * 5, start=1)]
    root = parse(column_chart(days, "Contributions par jour", "days"))
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 20
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert "400" in labels and "500" not in labels and "1/03" in labels
    assert len([label for label in labels if label.endswith("/03")]) <= 5


def test_nice_ceiling():
    """Scales end on round numbers."""
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 11, 470, 2300)] == [1, 1, 5, 10, 20, 500, 2500]


def test_axis_ends_at_the_first_round_step_above_the_data():
    """About five steps of 1, 2 or 5 times a power of ten; whole steps for counts."""
    assert [axis_scale(v)[0] for v in (0, 300, 301, 470, 2300)] == [1, 300, 400, 500, 2500]
    assert axis_scale(300) == (300, 100)
    assert axis_scale(3, whole=True) == (3, 1)
    assert axis_scale(0.3) == (pytest.approx(0.3), pytest.approx(0.1))
    assert axis_scale(5e-324) == (1, 1)  # a subnormal value: its fifth would be 0


def test_chart_text_stays_readable_on_a_phone():
    """Drawn 400 units wide, text of 15 units is about 13 px in a 350 px wide box."""
    svg = bar_chart([Bar("Occitanie", 12)], "T", "a")
    root = parse(svg)
    assert root.get("viewBox").startswith(f"0 0 {CHART_WIDTH} ")
    sizes = {float(t.get("font-size")) for t in root.findall(f"{SVG}text")}
    assert min(sizes) * 350 / CHART_WIDTH >= 12.5 and FONT_SIZE in sizes


def test_cloud_sizes_follow_weights_and_words_do_not_overlap():
    """The most frequent word is the biggest; no two words overlap; all stay inside."""
    words = [(f"mot{i}", 100 - i) for i in range(40)] + [("santé", 500)]
    placed = layout_cloud(words, 640, 360)
    assert placed[0].text == "santé"
    assert placed[0].size == max(word.size for word in placed)
    assert len(placed) >= 35
    boxes = []
    for word in placed:
        half = text_width(word.text, word.size) / 2 + 2
        box = (word.x - half, word.y - word.size * 0.92, word.x + half, word.y + word.size * 0.23)
        assert box[0] >= -0.01 and box[2] <= 640.01 and box[1] >= -0.01 and box[3] <= 360.01
        for other in boxes:
            assert (
                box[2] <= other[0] or other[2] <= box[0] or box[3] <= other[1] or other[3] <= box[1]
            )
        boxes.append(box)


def test_cloud_is_deterministic():
    """The same words give the same picture."""
    words = [("santé", 10), ("écoute", 5), ("proximité", 3)]
    assert word_cloud(words, "M", "a") == word_cloud(words, "M", "a")


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=20), st.floats(0, 1e6, allow_nan=False)),
        max_size=30,
    )
)
def test_any_input_gives_well_formed_svg(rows):
    """Whatever the labels and values, the markup parses."""
    parse(bar_chart([Bar(label, value) for label, value in rows], "T", "a"))
    parse(column_chart([Bar(label, value) for label, value in rows], "T", "b"))
    parse(word_cloud(rows, "T", "c"))


def test_an_indicator_s_chart_is_named_by_its_title_in_its_language():
    """The trajectory image is named by the indicator alone, so its <title> can carry lang."""
    from consult.mission.chart import trajectory_chart

    root = parse(trajectory_chart([("2023", 82.7, "82,7 %")], "Taux", "i", title_lang="fr"))
    assert root.find(f"{SVG}title").get("lang") == "fr"
    assert parse(trajectory_chart([], "Values", "j")).find(f"{SVG}title").get("lang") is None
