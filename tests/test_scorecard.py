"""The reproduction scorecard: its verdicts follow the figures, and the README shows notebook 04's table."""

from pathlib import Path

import pytest

from recsys_utils import scorecard

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {"alias_recovery_lsa": 0.97, "alias_scale": 0.03, "map_popularity": 0.032, "map_lsa": 0.073,
           "map_als_bm25": 0.070, "map_als_scaled": 0.124, "map_als_alpha40": 0.009, "loop_minutes": 12.0,
           "annoy_blog_recall": 0.82, "map_lmf": 0.091, "map_bpr": 0.090}


def verdicts(**changes):
    return [row["verdict"] for row in scorecard.scorecard_rows(FIGURES | changes)]


def test_verdicts_follow_the_figures():
    base = verdicts()
    assert base[1].startswith("partly") and base[3].startswith("partly") and base[4].startswith("not reproduced")
    assert verdicts(map_als_bm25=0.1)[1] == "reproduced"
    assert verdicts(map_als_scaled=0.07)[1].startswith("not reproduced")
    assert verdicts(annoy_blog_recall=0.97)[3] == "reproduced"
    assert verdicts(map_als_alpha40=0.05)[4] == "reproduced"
    assert verdicts(loop_minutes=500)[2].startswith("not reproduced")
    assert base[5].startswith("partly") and verdicts(map_lmf=0.12)[5] == "reproduced"
    assert verdicts(map_lmf=0.05)[5].startswith("not reproduced")
    assert base[6] == "reproduced" and verdicts(map_bpr=0.05)[6].startswith("not reproduced")
    with pytest.raises(ValueError, match="missing"):
        scorecard.scorecard_rows({})
    table = scorecard.scorecard_markdown(FIGURES)
    assert table.startswith(scorecard.TITLE) and table.count("\n| ") == 10


def test_the_readme_shows_the_scorecard_of_notebook_04(tmp_path):
    notebook = scorecard.notebook_scorecard(ROOT / "notebooks" / "04_ann.ipynb")
    assert scorecard.readme_scorecard(ROOT / "README.md") == notebook, (
        "README.md's scorecard differs from notebook 04's: run `python -m recsys_utils.scorecard`")
    copy = tmp_path / "README.md"
    copy.write_text(f"intro\n{scorecard.START}\nold\n{scorecard.END}\nrest\n")
    scorecard.update_readme(ROOT / "notebooks" / "04_ann.ipynb", copy)
    assert scorecard.readme_scorecard(copy) == notebook and copy.read_text().endswith("rest\n")
