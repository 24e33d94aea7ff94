"""Pages found by their URL path in two queries, whatever their depth (core/routing.py), with
Wagtail's own rules kept: a page that is not live is not found, an unknown slug is a 404, and a
page with routes of its own (the case library) routes the rest of the path itself."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.routing import route_by_url_path
from tests.factories import (
    CourseCatalogPageFactory,
    CoursePageFactory,
    LessonPageFactory,
    ModulePageFactory,
    ProgrammePageFactory,
    StandardPageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(home_page):
    catalogue = CourseCatalogPageFactory(parent=home_page, slug="courses")
    programme = ProgrammePageFactory(parent=catalogue, slug="cio")
    course = CoursePageFactory(parent=programme, slug="k1")
    module = ModulePageFactory(parent=course, slug="m1")
    lesson = LessonPageFactory(parent=module, slug="l1", title="深いレッスン")
    return {"programme": programme, "course": course, "module": module, "lesson": lesson}


def routing_queries(home_page, rf, components) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        result = route_by_url_path(home_page, rf.get("/"), components)
    return result, len(queries)


def test_a_page_is_found_in_the_same_queries_at_any_depth(home_page, tree, rf):
    shallow, shallow_queries = routing_queries(home_page, rf, ["courses"])
    deep, deep_queries = routing_queries(home_page, rf, ["courses", "cio", "k1", "m1", "l1"])
    assert shallow.page.slug == "courses"
    assert deep.page == tree["lesson"] and type(deep.page).__name__ == "LessonPage"
    assert deep_queries == shallow_queries == 2


def test_the_site_serves_deep_pages_and_404s_unknown_ones(client, tree):
    response = client.get("/courses/cio/k1/m1/l1/")
    assert response.status_code == 200
    assert "深いレッスン" in response.content.decode()
    assert client.get("/courses/cio/k1/m1/missing/").status_code == 404
    assert client.get("/courses/cio/nothing/m1/l1/").status_code == 404
    assert client.get("/courses/cio/k1/m1/l1/extra/").status_code == 404


def test_a_page_that_is_not_live_is_not_found_but_its_live_children_are(client, tree):
    tree["lesson"].unpublish()
    assert client.get("/courses/cio/k1/m1/l1/").status_code == 404
    # As with Wagtail's walk down the tree: a draft parent does not hide a live child.
    tree["module"].unpublish()
    other = LessonPageFactory(parent=tree["module"], slug="l2")
    assert other.live
    assert client.get("/courses/cio/k1/m1/l2/").status_code == 200


def test_a_moved_or_renamed_page_is_found_at_its_new_address(client, tree, home_page):
    lesson = tree["lesson"]
    lesson.slug = "renamed"
    lesson.save_revision().publish()
    assert client.get("/courses/cio/k1/m1/renamed/").status_code == 200
    assert client.get("/courses/cio/k1/m1/l1/").status_code == 404


def test_pages_with_routes_of_their_own_route_the_rest(client, home_page):
    from casestudies.models import CaseStudyIndexPage

    index = home_page.add_child(instance=CaseStudyIndexPage(title="事例", slug="cases", intro=""))
    assert client.get("/cases/").status_code == 200
    assert client.get("/cases/compare/").status_code == 200  # a sub-route, not a child page
    assert client.get("/cases/no-such-case/").status_code == 404
    assert index.live


def test_the_english_tree_is_routed_from_its_own_home(client, home_page, locales):
    english_home = home_page.get_translation(locales[1])
    StandardPageFactory(parent=english_home, slug="about", title="About us")
    response = client.get("/en/about/")
    assert response.status_code == 200
    assert "About us" in response.content.decode()
