"""create_app's own machinery: URL rules whose builders compile on first use must build
exactly the URLs Werkzeug's own rules build."""
from __future__ import annotations

from werkzeug.routing import Map, Rule

from mocksmooch.app import create_app


def test_every_route_builds_the_url_werkzeug_builds():
    app = create_app({})
    rules = list(app.url_map.iter_rules())
    plain = Map([Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods) for rule in rules],
                strict_slashes=app.url_map.strict_slashes)
    ours, werkzeugs = app.url_map.bind("mock.test"), plain.bind("mock.test")
    assert len(rules) > 300
    for rule in rules:
        values = {name: "a b/ü" for name in rule.arguments}
        for extra in ({}, {"page[after]": "5f1/x"}):
            assert ours.build(rule.endpoint, {**values, **extra}) == werkzeugs.build(rule.endpoint, {**values, **extra})


def test_a_url_is_built_the_same_way_twice():
    app = create_app({})
    with app.test_request_context():
        from flask import url_for

        first = url_for("v2.get_user", app_id="app", user_ref="alice", extra="1")
        assert first == url_for("v2.get_user", app_id="app", user_ref="alice", extra="1") == \
            "/v2/apps/app/users/alice?extra=1"
