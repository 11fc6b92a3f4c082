"""Loading the administrative map: the current package map, the pre-2025 three-level shape,
re-runs that update instead of duplicating, and cheap subtree queries."""

import json

import pytest
from django.core.management import call_command

from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core.errors import NotFound

pytestmark = pytest.mark.django_db


def test_it_loads_dong_nai_and_its_95_communes_from_the_package(capsys):
    call_command("load_areas")
    dong_nai = Area.objects.get(depth=0, code="75")
    assert dong_nai.name == "Đồng Nai"
    communes = Area.objects.subtree(dong_nai).leaves()
    assert communes.count() == 95
    assert all(c.parent_id == dong_nai.pk for c in communes)
    assert Area.objects.filter(depth=0).count() == 34
    assert "100%" in capsys.readouterr().out


def test_rerunning_updates_and_never_duplicates(tmp_path, areas, fixtures_dir):
    before = Area.objects.count()
    tree = json.loads((fixtures_dir / "areas-3level.json").read_text())
    tree[0]["districts"][0]["wards"][0]["name"] = "Phường Trảng Dài mới"
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(tree, ensure_ascii=False))
    call_command("load_areas", file=path)
    assert Area.objects.count() == before
    assert resolve_area("25993", leaf=True).name == "Phường Trảng Dài mới"


def test_the_three_level_shape_gives_a_three_level_tree(areas):
    commune = areas["25993"]
    assert [a.code for a in commune.ancestors()] == ["75", "731", "25993"]
    assert commune.full_name() == "Phường Trảng Dài, Thành phố Biên Hòa, Tỉnh Đồng Nai"
    district = areas["731"]
    assert set(Area.objects.subtree(district).leaves().values_list("code", flat=True)) == {
        "25993", "25996"}
    assert commune.is_within(areas["75"]) and not commune.is_within(areas["740"])


def test_subtree_queries_are_one_indexed_prefix_query(areas, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = sorted(Area.objects.subtree(areas["75"]).leaves().values_list("code", flat=True))
    assert codes == ["25993", "25996", "26368", "26389"]


def test_codes_repeat_across_levels_and_resolve_by_level(db):
    call_command("load_areas")
    assert resolve_area("4").depth == 0  # Cao Bằng province before Phường Ba Đình
    assert resolve_area("4", leaf=True).is_leaf
    with pytest.raises(NotFound) as exc:
        resolve_area("99999")
    assert exc.value.code == "area_unknown"


@pytest.mark.parametrize("code", ["", "75\x00", "75; DROP", "x" * 17, "７５"])
def test_text_that_is_not_a_code_is_an_unknown_area(areas, code):
    with pytest.raises(NotFound) as exc:
        resolve_area(code)
    assert exc.value.code == "area_unknown"


def test_the_stats_api_answers_404_for_a_garbled_area(areas, admin_client):
    response = admin_client.get("/api/v1/stats", {"area": "75\x00"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "area_unknown"
