"""Move ivr modules to the new layout, rewriting imports. Usage: python move.py [--imports-only FILES...]"""
import ast, os, re, subprocess, sys
from pathlib import Path

ROOT = Path("/work/main")
MOVES = {  # old file -> new file (relative to ivr/)
 "call_control.py": "calls/control.py", "engine.py": "calls/engine.py", "call_endings.py": "calls/endings.py",
 "callback_calls.py": "calls/calling_back.py", "notices.py": "calls/notices.py", "rehearsal.py": "calls/rehearsal.py",
 "routing/__init__.py": "calls/routing/__init__.py", "routing/choose.py": "calls/routing/choose.py",
 "routing/coverage.py": "calls/routing/coverage.py", "routing/heatmap.py": "calls/routing/heatmap.py",
 "routing/presence_words.py": "calls/routing/presence_words.py", "routing/roster.py": "calls/routing/roster.py",
 "routing/shifts.py": "calls/routing/shifts.py", "routing/why_nobody.py": "calls/routing/why_nobody.py",
 "routing/check.py": "cli/check_command.py",
 "twilio_api.py": "twilio/rest.py", "twiml.py": "twilio/twiml.py", "retries.py": "twilio/retries.py",
 "call_status.py": "twilio/statuses.py", "twilio_errors.py": "twilio/errors.py", "twilio_setup.py": "twilio/number_setup.py",
 "caller_ids.py": "twilio/caller_ids.py", "pacing.py": "twilio/pacing.py", "safety_net.py": "twilio/backup_line.py",
 "hours.py": "flow/hours.py", "speech.py": "flow/speech.py", "flow/schema.py": "flow/step_types.py",
 "flow/yaml_source.py": "yamlfile/source.py", "flow/fields.py": "yamlfile/fields.py",
 "flow/problems.py": "yamlfile/problems.py", "flow/weekly.py": "yamlfile/weekly.py",
 "staff/now.py": "overview/now_board.py", "reports.py": "overview/week.py", "svg_chart.py": "overview/charts.py",
 "staff/__init__.py": "access/__init__.py", "staff/access.py": "access/who_sees_what.py", "staff/accounts.py": "access/accounts.py",
 "cli.py": "cli/__init__.py", "staff_commands.py": "cli/staff_commands.py", "twilio_commands.py": "cli/twilio_commands.py",
 "phone.py": "sim/phone.py",
 "web/voice.py": "web/webhooks/caller.py", "web/hold.py": "web/webhooks/hold.py",
 "web/callback.py": "web/webhooks/callback_number.py", "web/offers.py": "web/webhooks/professional_leg.py",
 "web/callback_calls.py": "web/webhooks/callback_leg.py", "web/sms.py": "web/webhooks/texts.py",
 "web/message_status.py": "web/webhooks/text_status.py", "web/rehearsal.py": "web/webhooks/stand_in.py",
 "web/audio.py": "web/webhooks/audio.py",
 "web/remembered.py": "web/fast_path.py", "web/twilio_request.py": "web/twilio_params.py",
 "web/staff/calls.py": "web/staff/recent_calls.py",
}
NEW_PACKAGES = {
 "calls": "Call control: what happens to a call, decided in plain Python (no Flask): the menu engine, offering callers to professionals, calling back, notices, rehearsals.",
 "twilio": "Everything that speaks Twilio: the REST adapter, TwiML, call statuses, errors, retries, the number's set-up and the backup line.",
 "yamlfile": "YAML files with line numbers: the toolkit the call flows and the roster are both read with.",
 "overview": "What the staff pages show about the line, in plain Python: the Now board, the week's report, charts.",
 "web/webhooks": "Twilio's webhooks: each view reads the request, asks call control, and answers in TwiML.",
}

def dotted(rel):  # "calls/control.py" -> "ivr.calls.control"
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__": parts = parts[:-1]
    return ".".join(["ivr"] + parts)

MOD = {dotted(o): dotted(n) for o, n in MOVES.items()}
MOD["ivr.routing"] = "ivr.calls.routing"
MOD["ivr.staff"] = "ivr.access"
MOD["ivr.cli"] = "ivr.cli"

def new_name(mod):
    if mod in MOD: return MOD[mod]
    # a package prefix moved
    best = None
    for o in MOD:
        if mod.startswith(o + ".") and (best is None or len(o) > len(best)): best = o
    return MOD[best] + mod[len(best):] if best else mod

def is_package(path):  # path of a module file
    return path.name == "__init__.py"

def module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).as_posix()
    return dotted(rel[len("ivr/"):]) if rel.startswith("ivr/") else None

def resolve(cur_mod, cur_is_pkg, level, module):
    base = cur_mod.split(".")
    if not cur_is_pkg: base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))

def relative(from_mod, from_is_pkg, target):
    here = from_mod.split(".")
    if not from_is_pkg: here = here[:-1]
    t = target.split(".")
    common = 0
    while common < min(len(here), len(t)) and here[common] == t[common]: common += 1
    level = len(here) - common + 1
    return "." * level + ".".join(t[common:])

def all_modules():
    return {module_of(p) for p in (ROOT / "ivr").rglob("*.py")}

def rewrite_ivr_file(path: Path, old_path: Path, known_modules):
    """Rewrite relative imports of a file now at `path` that was at `old_path`."""
    src = path.read_text()
    tree = ast.parse(src)
    old_mod, new_mod = module_of(old_path), module_of(path)
    is_pkg = is_package(path)
    lines = src.split("\n")
    renames = {}
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            target_old = resolve(old_mod, is_package(old_path), node.level, node.module)
            # `from pkg import a, b` where a is a module
            mod_names = [a for a in node.names if f"{target_old}.{a.name}" in known_modules]
            if mod_names and len(mod_names) == len(node.names):
                stmts = []
                for a in node.names:
                    full_new = new_name(f"{target_old}.{a.name}")
                    pkg_new, leaf = full_new.rsplit(".", 1)
                    alias = a.asname or a.name
                    if a.asname is None and leaf != a.name:
                        renames[a.name] = leaf
                        alias = leaf
                    rel = relative(new_mod, is_pkg, pkg_new)
                    stmts.append((rel, leaf, alias))
                edits.append((node, stmts))
            elif mod_names:
                raise SystemExit(f"mixed module/name import in {path}:{node.lineno}")
            else:
                target_new = new_name(target_old)
                edits.append((node, relative(new_mod, is_pkg, target_new)))
    # apply edits bottom-up on the source text by line (import head is on node.lineno)
    for node, what in sorted(edits, key=lambda e: -e[0].lineno):
        i = node.lineno - 1
        line = lines[i]
        m = re.match(r"^(\s*)from\s+(\.+[\w.]*)\s+import\s+", line)
        assert m, (path, line)
        indent = m.group(1)
        if isinstance(what, str):
            lines[i] = line[:m.start(2)] + what + line[m.end(2):]
        else:
            end = node.end_lineno - 1
            grouped = {}
            for rel, leaf, alias in what:
                grouped.setdefault(rel, []).append(leaf if alias == leaf else f"{leaf} as {alias}")
            comment = ""
            if "#" in lines[end]: comment = "  " + lines[end][lines[end].index("#"):]
            new = [f"{indent}from {rel} import {', '.join(names)}" for rel, names in grouped.items()]
            new[-1] += comment
            lines[i:end + 1] = new
    out = "\n".join(lines)
    for old, new in renames.items():
        out = re.sub(rf"(?<![\w.]){old}\.", f"{new}.", out)
    path.write_text(out)

def rewrite_absolute(text):
    for old in sorted(MOD, key=len, reverse=True):
        new = MOD[old]
        if old == new: continue
        text = re.sub(rf"(?<![\w/]){re.escape(old)}(?![\w])", new, text)
    # file paths
    for o, n in sorted(MOVES.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<![\w/])ivr/{re.escape(o)}", f"ivr/{n}", text)
    text = re.sub(r"(?<![\w/])ivr/routing/", "ivr/calls/routing/", text)
    return text

def main():
    known = all_modules()
    os.chdir(ROOT)
    moved = {}
    for o, n in MOVES.items():
        src, dst = ROOT / "ivr" / o, ROOT / "ivr" / n
        dst.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", str(src), str(dst)], check=True)
        moved[dst] = src
    for pkg, doc in NEW_PACKAGES.items():
        init = ROOT / "ivr" / pkg / "__init__.py"
        if not init.exists():
            init.write_text(f'"""{doc}"""\n')
            subprocess.run(["git", "add", str(init)], check=True)
    flow_init = ROOT / "ivr/flow/__init__.py"
    if not flow_init.exists():
        flow_init.write_text('"""The call-flow language: staff\'s YAML read into typed steps, checked with precise problems, reviewed and drawn."""\n')
        subprocess.run(["git", "add", str(flow_init)], check=True)
    for path in (ROOT / "ivr").rglob("*.py"):
        if "migrations" in path.parts: continue
        rewrite_ivr_file(path, moved.get(path, path), known)
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True).stdout.split()
    for f in files:
        p = ROOT / f
        if not p.is_file() or p.suffix not in (".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".yaml", ".yml", ".sh", "") : continue
        if f.startswith("flows/") or f.startswith("audio/"): continue
        try: t = p.read_text()
        except Exception: continue
        n = rewrite_absolute(t)
        if n != t: p.write_text(n)

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--absolute-only":
        for f in sys.argv[2:]:
            p = Path(f); t = p.read_text(); n = rewrite_absolute(t)
            if n != t: p.write_text(n)
    else:
        main()
