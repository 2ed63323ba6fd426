"""The house's rules, read from the source: a view never reaches the store, SQL is written only in
the store, TwiML only in the TwiML module, and nothing but the web layer and the simulator needs Flask.
A rule broken names the file and line, so the fix starts there."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ivr"


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in `path`, relative ones resolved to their ivr.* name, and
    those inside functions too (a lazy import crosses a layer all the same)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def where(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def breaking(rule) -> list[str]:
    return [f"{where(path)}:{line}: {name}" for path in modules() for line, name in imports_of(path)
            if rule(where(path), name)]


def test_no_view_imports_the_store():
    assert breaking(lambda module, name: module.startswith("ivr/web/") and name.startswith("ivr.store")) == []


def test_sql_is_written_only_in_the_store():
    # Outside the store a module may name an error (sqlalchemy.exc) or an Engine it hands on, no more.
    allowed = ("sqlalchemy.exc", "sqlalchemy.engine")
    assert breaking(lambda module, name: not module.startswith("ivr/store/") and name.startswith("sqlalchemy")
                    and not name.startswith(allowed)) == []
    raw = [f"{where(path)}" for path in modules()
           if not where(path).startswith("ivr/store/") and "exec_driver_sql" in path.read_text(encoding="utf-8")]
    assert raw == []


def test_twiml_is_built_only_in_the_twiml_module():
    assert breaking(lambda module, name: module != "ivr/twilio/twiml.py" and name.startswith("twilio.twiml")) == []
    literal = [where(path) for path in modules()
               if where(path) != "ivr/twilio/twiml.py" and "<Response" in path.read_text(encoding="utf-8")]
    assert literal == []


@pytest.mark.parametrize("layer", ["ivr/flow/", "ivr/yamlfile/", "ivr/calls/", "ivr/twilio/", "ivr/store/",
                                   "ivr/overview/", "ivr/access/", "ivr/services.py"])
def test_only_the_web_layer_and_the_simulator_need_flask(layer):
    assert breaking(lambda module, name: module.startswith(layer) and name.split(".")[0] in ("flask", "werkzeug")
                    and not name.startswith("werkzeug.security")) == []


def test_the_store_never_imports_the_layers_above_it():
    above = ("ivr.web", "ivr.calls", "ivr.overview", "ivr.cli", "ivr.services", "ivr.sim")
    assert breaking(lambda module, name: module.startswith("ivr/store/") and name.startswith(above)) == []


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_imports_one_that_imports_it_back():
    """No circle, however long, and imports inside functions count: a circle hidden by a lazy
    import is still two modules that cannot be read, or changed, one without the other."""
    names = {module_name(path): path for path in modules()}
    needs = {name: {imported for _, imported in imports_of(path) if imported in names and imported != name}
             for name, path in names.items()}
    circles, done = [], set()

    def visit(name: str, trail: list) -> None:
        if name in trail:
            circles.append(" -> ".join(trail[trail.index(name):] + [name]))
            return
        if name in done:
            return
        for imported in sorted(needs[name]):
            visit(imported, trail + [name])
        done.add(name)

    for name in sorted(names):
        visit(name, [])
    assert circles == []


#: What a Twilio webhook may use of the helpline's services: call control's parts, each of which
#: turns one kind of event into a decision, and what only reads or renders (flows, settings,
#: the renderer, remembered answers, links). Never a store, the REST adapter or the raw control.
WEBHOOK_MAY_USE = {"caller_line", "on_hold", "offer_leg", "callback_professional", "callback_requests", "presence_texts",
                   "text_delivery", "rehearsal_witness", "flows", "settings", "renderer", "answers", "links",
                   "now"}


def test_a_webhook_only_hands_its_event_to_call_control():
    """Views only translate: they read the request, call one method of call control, render."""
    webhooks = [PACKAGE / "web" / "fast_path.py", *sorted((PACKAGE / "web" / "webhooks").glob("*.py"))]
    reaching = []
    for path in webhooks:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ivr" \
                    and node.attr not in WEBHOOK_MAY_USE:
                reaching.append(f"{where(path)}:{node.lineno}: ivr.{node.attr}")
    assert reaching == []
