"""Make each of issue 17's eleven mistakes by hand, run the test that guards it, undo it.

Every mistake must make its test fail. Run by scripts/mutate (not in CI: it takes a minute or
two); `.venv/bin/python scripts/mistakes.py` runs it alone. Exit status 1 if a mistake survives
or no longer applies (the code moved: update the line here).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = "tests/test_rules.py::"
# The access gate in front of the handlers refuses some of these first: the domain's own check
# is then caught by its direct test.
SERVICES = "tests/test_services_rules.py::"

# (rule, file, the code as it is, the mistake, the tests that must fail)
MISTAKES: list[tuple[str, str, str, str, list[str]]] = [
    (
        "the overall colour is the lower median",
        "bot/domain/assessment.py",
        "median = (dist.coloured - 1) // 2",
        "median = dist.coloured // 2",
        [RULES + "test_an_even_count_takes_the_lower_of_two_different_middle_colours"],
    ),
    (
        "an inactive organisation cannot rate",
        "bot/domain/rounds.py",
        "        if not person.organisation_active:\n            raise MembershipPaused\n",
        "",
        [
            RULES + "test_a_deactivated_organisation_can_no_longer_rate",
            SERVICES + "test_only_representatives_of_active_organisations_rate",
        ],
    ),
    (
        "only a closed round can be published",
        "storage/assessment.py",
        "WHERE id = ? AND status = 'closed'",
        "WHERE id = ?",
        [
            RULES + "test_an_open_round_cannot_be_published",
            RULES + "test_a_publish_button_pressed_while_open_shows_members_nothing",
        ],
    ),
    (
        "reopening withdraws publication",
        "storage/assessment.py",
        "published_at = CASE WHEN ? THEN NULL ",
        "published_at = CASE WHEN ? THEN published_at ",
        [RULES + "test_reopening_a_published_round_withdraws_its_results"],
    ),
    (
        "invite codes are stored only as SHA-256",
        "bot/domain/membership.py",
        "return hashlib.sha256(code.encode()).hexdigest()",
        "return code",
        [RULES + "test_invite_codes_are_stored_only_as_their_sha256"],
    ),
    (
        "every Khmer digit is read",
        "bot/domain/text.py",
        'str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")',
        'str.maketrans("០១២៥៤៣៦៧៨៩", "0123456789")',
        [RULES + "test_every_khmer_digit_is_read_as_its_value"],
    ),
    (
        "a range stays in its cycle",
        "bot/domain/catalog.py",
        "        start, end = self._spans.get(cycle, (0, 0))\n        numbers = self.recommendations"
        ".numbers\n        first = bisect_left(",
        "        start, end = 0, len(self.recommendations)\n        numbers = self.recommendations"
        ".numbers\n        first = bisect_left(",
        [RULES + "test_a_range_is_looked_up_in_its_cycle_only"],
    ),
    (
        "export counts are in the right columns",
        "bot/domain/rounds.py",
        "*(d.count(c) for c in Colour),",
        "*(d.count(c) for c in (Colour.RED, Colour.ORANGE, Colour.UNKNOWN, Colour.GREEN)),",
        [RULES + "test_export_puts_each_count_under_its_colour"],
    ),
    (
        "/unlinkgroup is for coordinators",
        "bot/domain/coalition.py",
        "        if actor:\n            await self.require_coordinator(actor)\n"
        "        return await self.repository.unlink_chat(",
        "        return await self.repository.unlink_chat(",
        [
            RULES + "test_only_a_coordinator_can_unlink_a_group",
            SERVICES + "test_coordinator_actions_refuse_everyone_else_and_change_nothing",
        ],
    ),
    (
        "results are for members",
        "bot/domain/rounds.py",
        "return role is Role.MEMBER and round_.published and not round_.open",
        "return round_.published and not round_.open",
        [
            RULES + "test_guests_get_no_results_or_export_of_a_published_round",
            SERVICES + "test_results_are_for_coordinators_and_for_members_once_published",
        ],
    ),
    (
        "a Khmer representative is answered in Khmer when rating",
        "handlers/group_rating.py",
        'l10n.gettext("{org} rated it {colour}.")',
        'context.services.translations.localizer(None).gettext("{org} rated it {colour}.")',
        [RULES + "test_a_khmer_representative_gets_the_rating_confirmation_in_khmer"],
    ),
]


def pytest(tests: list[str]) -> subprocess.CompletedProcess[str]:
    """Run some tests quietly; exit status 1 means a test failed."""
    return subprocess.run(  # noqa: S603 - our own test suite
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def main() -> int:
    """Check the tests pass, then apply each mistake in turn; report those no test catches."""
    baseline = pytest(sorted({t for *_, tests in MISTAKES for t in tests}))
    if baseline.returncode != 0:
        print(baseline.stdout[-3000:])
        print("The tests fail without any mistake: fix them first.")
        return 1
    survivors = 0
    for rule, name, original, mistake, tests in MISTAKES:
        path = ROOT / name
        source = path.read_text(encoding="utf-8")
        if source.count(original) != 1:
            print(f"MOVED   {rule}: {original!r} is not (once) in {name}")
            survivors += 1
            continue
        try:
            path.write_text(source.replace(original, mistake), encoding="utf-8")
            run = pytest(tests)
        finally:
            path.write_text(source, encoding="utf-8")
        caught = run.returncode == 1
        survivors += not caught
        print(f"{'caught ' if caught else 'SURVIVED'} {rule}")
        why = next((line for line in run.stdout.splitlines() if line.startswith("E ")), "")
        if caught and why:
            print(f"         {why[:150]}")
    print(f"{len(MISTAKES) - survivors} of {len(MISTAKES)} mistakes caught")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
