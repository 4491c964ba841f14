"""What the bot says to people lives in the wording files, so a second language touches files, not code.

The scan reads every module of bot/, flows/ and safety/ and reports a string of three words or more that a
coachee or coach could be shown. Not counted: docstrings, log messages, exception messages (an operator's
line), job notes (the scheduler's record for an operator), the modules listed below with their reason, and a
statement whose first line, or a comment line just above it, says `# not said:` and why (words people answer
with, an operator's message).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "flows", "safety")

ALLOWED_MODULES = {
    "bot/cli.py": "the operator's command line",
    "bot/doctor.py": "the operator's health check",
    "bot/config.py": "the operator's one line about a bad config value and where it came from",
    "bot/config_sources.py": "the same line, for the environment and the secrets directory",
    "bot/logs.py": "the operator's log format",
    "bot/own_packages.py": "the operator's one line when another package has our name (before the app exists)",
    "bot/ops": "health, readiness and metrics: what the operator and their monitoring read",
    "bot/entry.py": "the same line, printed by the command before anything else runs",
    "bot/storage/migrations": "database migrations",
    "safety/rules": "phrases the screen matches in what people write, not what it says",
    "safety/lexicon.py": "phrases the screen matches",
    "safety/normalise.py": "spellings the screen reads",
    "safety/negation.py": "phrases the screen matches",
    "safety/guards.py": "phrases the screen matches",
    "safety/subject.py": "phrases the screen matches",
    "safety/prefilter.py": "phrases the screen matches",
    "safety/sentences.py": "phrases the screen matches",
    "safety/context.py": "phrases the screen matches",
    "safety/train.py": "the training script's report",
    "flows/parsing.py": "words people answer with (yes, tomorrow), read, not said",
    "flows/dates.py": "words people write dates with (the day after tomorrow), read, not said",
    "flows/timezones.py": "place names people answer with (United States of America), read, not said",
}
NOT_SAID = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log", "job_done", "job_dropped",
                      "JobOutcome", "Response", "add_argument", "add_parser", "ArgumentParser", "print", "Field",
                      "PromptRefused"})
_WORD = re.compile(r"(?<![\w%{])[A-Za-z][a-z]+(?:'[a-z]+)?(?![\w}])")


def said(text: str) -> bool:
    """Three or more plain words with spaces between them: a sentence, not an identifier or a pattern."""
    if text.startswith(("^", "(?")) or "\\s" in text or "\\b" in text:
        return False
    return len(_WORD.findall(text)) >= 3 and " " in text.strip()


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def english(source: str) -> Iterator[tuple[int, str]]:
    tree = ast.parse(source)
    lines = source.splitlines()
    quiet: set[int] = set()
    for node in ast.walk(tree):
        above = lines[node.lineno - 2].strip() if isinstance(node, ast.stmt) and node.lineno > 1 else ""
        if isinstance(node, ast.stmt) and ("# not said:" in lines[node.lineno - 1]
                                           or above.startswith("# not said:")):
            quiet.update(id(sub) for sub in ast.walk(node))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            quiet.add(id(node.value))  # docstrings, here and for attributes
        elif isinstance(node, ast.Raise) or (isinstance(node, ast.Call) and (
                _called(node) in NOT_SAID or _called(node).endswith(("Error", "Exception")))):
            quiet.update(id(sub) for sub in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in quiet:
            continue
        if isinstance(node, ast.JoinedStr):
            quiet.update(id(v) for v in node.values)
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if said(text):
                yield node.lineno, text
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and said(node.value):
            yield node.lineno, node.value


def _allowed(relative: str) -> bool:
    return any(relative == path or relative.startswith(path + "/") for path in ALLOWED_MODULES)


def test_the_scan_finds_a_reply_and_leaves_logs_and_docstrings_alone() -> None:
    source = '''
def reply(name):
    """A docstring of several words."""
    log.info("a log line of several words %s", name)
    raise ValueError("an operator's message of words")
    return f"Hello {name}, how are you today?"
LABEL = "Skip this one"
KEY = "checkin_every_days"
YES = {"yes i have", "i have"}  # not said: words people answer with
'''
    assert sorted(text for _, text in english(source)) == ["Hello , how are you today?", "Skip this one"]


def test_no_user_facing_english_in_code() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}"
             for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if not _allowed(str(path.relative_to(ROOT)))
             for line, text in english(path.read_text(encoding="utf-8"))]
    assert found == []
