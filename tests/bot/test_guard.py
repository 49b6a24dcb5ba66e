"""The data-protection guard: identifiable data is refused, the plans' own wording passes."""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.guard import (
    DATE_OF_BIRTH,
    HOME_ADDRESS,
    KINDS,
    NAMED_CHILD,
    NAMED_FAMILY,
    NHS_NUMBER,
    POSTCODE,
    REFUSAL,
    UPN,
    Finding,
    check_note,
    given_names,
    nhs_number_valid,
    refusal_message,
    screen_note,
    to_confirm,
    upn_valid,
)

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "seed" / "plans"
CORPUS = ROOT / "tests" / "data" / "guard"
MIN_RECALL = 0.99
MAX_FALSE_REFUSALS = 0.01


def valid_nhs_numbers(n: int, seed: int = 11) -> list[str]:
    """NHS numbers with a correct modulus-11 check digit, computed here independently."""
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < n:
        body = [rng.randint(0, 9) for _ in range(9)]
        remainder = sum(d * (10 - i) for i, d in enumerate(body)) % 11
        check = (11 - remainder) % 11
        if check == 10:
            continue
        found.append("".join(map(str, body)) + str(check))
    return found


@pytest.mark.parametrize("number", valid_nhs_numbers(40))
def test_valid_nhs_numbers_are_refused_in_any_spacing(number: str) -> None:
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    dashed = f"{number[:3]}-{number[3:6]}-{number[6:]}"
    for form in (number, spaced, dashed):
        assert [f.kind for f in check_note(f"discussed case {form} at panel")] == [NHS_NUMBER]


def test_known_valid_and_invalid_check_digits() -> None:
    assert nhs_number_valid("9434765919")  # the NHS's published example
    assert not nhs_number_valid("9434765918")
    assert not check_note("ring 0190 582 2021 for details")  # fails the check: not an NHS no.
    assert not check_note("call 01905 822021")  # 11 digits: a phone number


@pytest.mark.parametrize(
    "postcode",
    [
        "WR5 2NP",
        "DY1 1HF",
        "HR4 0LE",
        "WF1 2HQ",
        "SY2 6ND",
        "M1 1AE",
        "B33 8TH",
        "CR2 6XH",
        "DN55 1PT",
        "EC1A 1BB",
        "W1A 0AX",
        "SW1A 1AA",
        "wr52np",
        "GIR 0AA",
    ],
)
def test_full_postcodes_are_refused(postcode: str) -> None:
    assert [f.kind for f in check_note(f"family moved to {postcode} last month")] == [POSTCODE]


@pytest.mark.parametrize(
    "note",
    [
        "DOB 12/03/2015",
        "d.o.b. 1.2.2016",
        "date of birth given as 3 March 2014",
        "born on 14th June 2012 in Worcester",
        "aged 7, seen 12/05/2018 by the school nurse",
        "seen 12/05/2018 (6) with mum",
    ],
)
def test_dates_of_birth_are_refused(note: str) -> None:
    assert DATE_OF_BIRTH in [f.kind for f in check_note(note)]


@pytest.mark.parametrize(
    "note",
    [
        "the girl called Chloe was missing twice",
        "daughter named Amelia-Rose disclosed",
        "Jack, aged 7, attends the school",
        "Olivia (9) was seen at MASH",
        "child Noah Williams was discussed",
    ],
)
def test_named_children_are_refused(note: str) -> None:
    assert NAMED_CHILD in [f.kind for f in check_note(note)]


@pytest.mark.parametrize(
    "note",
    [
        "toolkit drafted, pathway delayed to March",
        "Audit of 12 cases completed on 14/11/2018; report to MEG in January 2019",
        "Child A SCR learning briefing delivered to 120 staff",
        "GCP2 training: 3 sessions, 45 practitioners, evaluations 4.6/5",
        "Section 11 audit returned by 23 of 25 agencies",
        "Training Sub-Committee, aged profile of workforce reviewed",
        "Board agreed the revised CSE strategy on 5.6.2017",
        "Performance report shows 97% of conferences within 15 days",
    ],
)
def test_ordinary_progress_notes_pass(note: str) -> None:
    assert check_note(note) == []


def plan_wording() -> list[str]:
    texts: list[str] = []
    for path in sorted(PLANS.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for section in ("priorities", "workstreams", "actions"):
            for entry in doc.get(section, []):
                texts += [
                    entry[k]
                    for k in ("title", "text", "description", "outcomes", "kpis")
                    if isinstance(entry.get(k), str)
                ]
    return texts


def test_the_seed_plans_own_wording_passes() -> None:
    texts = plan_wording()
    assert len(texts) > 100
    flagged = [(t[:80], [f.kind for f in check_note(t)]) for t in texts if check_note(t)]
    assert flagged == []


def test_refusal_names_the_kind_never_the_text() -> None:
    note = "DOB 12/03/2015, lives at WR5 2NP, NHS 943 476 5919"
    findings = check_note(note)
    message = refusal_message(findings)
    assert "an NHS number, a full postcode and a date of birth" in message
    for fragment in ("12/03/2015", "WR5", "943", "5919"):
        assert fragment not in message


def corpus(name: str, folder: Path = CORPUS) -> list[tuple[str, str]]:
    """(kind, note) pairs from FOLDER/NAME.txt; `#> kind` or `# kind:` lines start a group."""
    notes: list[tuple[str, str]] = []
    kind = "other"
    for line in (folder / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#>") or line.startswith("# kind:"):
            kind = line.split(">", 1)[-1].split(":", 1)[-1].split("(")[0].strip()
        elif line.strip() and not line.startswith("#"):
            notes.append((kind, line))
    return notes


def seed_action_wording() -> list[tuple[str, str]]:
    """Every action text, and every outcomes / KPIs field, of the five seed plans."""
    found: list[tuple[str, str]] = []
    for path in sorted(PLANS.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for entries in doc.values():
            if not isinstance(entries, list):
                continue
            for entry in entries:
                for key in ("text", "outcomes", "kpis"):
                    value = entry.get(key) if isinstance(entry, dict) else None
                    values = value if isinstance(value, list) else [value]
                    found += [(f"seed {key}", v) for v in values if isinstance(v, str)]
    return found


def rates(notes: list[tuple[str, str]]) -> tuple[float, dict[str, tuple[int, int]]]:
    """Share of `notes` refused, and (refused, total) per kind."""
    per_kind: dict[str, tuple[int, int]] = {}
    for kind, note in notes:
        refused, total = per_kind.get(kind, (0, 0))
        per_kind[kind] = (refused + bool(check_note(note)), total + 1)
    return sum(r for r, _ in per_kind.values()) / len(notes), per_kind


def test_corpus_recall_and_false_refusals(
    capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    must_refuse = corpus("refuse")
    must_accept = corpus("accept") + seed_action_wording()
    assert len(must_refuse) >= 150 and len(corpus("accept")) >= 150
    assert sum(k.startswith("seed") for k, _ in must_accept) > 200
    recall, refused_by_kind = rates(must_refuse)
    false_refusals, accepted_by_kind = rates(must_accept)
    with capsys.disabled():
        print(f"\nguard recall {recall:.1%} of {len(must_refuse)} must-refuse notes")
        record_property(
            "measure",
            f"guard corpus: recall {recall:.1%} of {len(must_refuse)}, false refusals "
            f"{false_refusals:.1%} of {len(must_accept)}",
        )
        for kind, (hit, total) in refused_by_kind.items():
            print(f"  {kind:<12} {hit}/{total}")
        print(f"guard false refusals {false_refusals:.1%} of {len(must_accept)} must-accept notes")
        for kind, (hit, total) in accepted_by_kind.items():
            print(f"  {kind:<12} {hit}/{total}")
    missed = [note for _, note in must_refuse if not check_note(note)]
    wrongly_refused = [note for _, note in must_accept if check_note(note)]
    assert recall >= MIN_RECALL, missed
    assert false_refusals <= MAX_FALSE_REFUSALS, wrongly_refused


UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def valid_upns(n: int, seed: int = 23) -> list[str]:
    """UPNs with the DfE check letter computed here independently (some temporary: final letter)."""
    rng = random.Random(seed)
    found: list[str] = []
    for i in range(n):
        body = [str(rng.randint(0, 9)) for _ in range(12)]
        if i % 3 == 0:
            body[-1] = rng.choice(UPN_LETTERS)
        total = sum(
            w * (int(c) if c.isdigit() else UPN_LETTERS.index(c)) for w, c in enumerate(body, 2)
        )
        found.append(UPN_LETTERS[total % 23] + "".join(body))
    return found


@pytest.mark.parametrize("upn", valid_upns(12))
def test_upns_with_a_correct_check_letter_are_refused_on_their_own(upn: str) -> None:
    assert upn_valid(upn)
    assert [f.kind for f in check_note(f"transferred in, {upn}, attendance 61%")] == [UPN]
    wrong = UPN_LETTERS[(UPN_LETTERS.index(upn[0]) + 1) % 23] + upn[1:]
    assert not upn_valid(wrong)
    assert check_note(f"order {wrong} delivered") == []  # a reference number, not a UPN
    assert [f.kind for f in check_note(f"UPN {wrong} on the form")] == [UPN]


@pytest.mark.parametrize(
    "pasted",
    [
        "943\u00a0476\u00a05919",  # no-break spaces
        "943\u2009476\u20095919",  # thin spaces
        "943\u2013476\u20135919",  # en dashes (Word's autocorrect)
        "943\u2011476\u20115919",  # non-breaking hyphens
        "9\u200b434765919",  # a zero-width space inside
        "\uff19\uff14\uff13 476 5919",  # full-width digits
        "9434 765 919",
        "943.476.5919",
        "943/476/5919",
    ],
)
def test_nhs_numbers_are_found_through_whatever_word_pasted(pasted: str) -> None:
    assert NHS_NUMBER in [f.kind for f in check_note(f"seen at clinic, {pasted}")]


def test_a_bare_reference_number_is_not_an_nhs_number_but_a_grouped_one_is() -> None:
    assert check_note("invoice 9434765919 paid") == []
    assert check_note("tel 9434765919") == []
    assert [f.kind for f in check_note("invoice 943 476 5919 paid")] == [NHS_NUMBER]


def test_a_mistyped_nhs_number_asks_for_confirmation_instead_of_refusing() -> None:
    note = "NHS no 943 476 5918 confirmed"  # one digit off: fails the check
    assert check_note(note) == []
    assert to_confirm(note) == [Finding(NHS_NUMBER, certain=False)]
    assert check_note("NHS no 943 476 5919 confirmed") == [Finding(NHS_NUMBER)]


def test_a_venue_address_asks_for_confirmation_but_a_family_address_is_refused() -> None:
    venue = "DSL training at 3 Church Street, Worcester"
    assert check_note(venue) == [] and [f.kind for f in to_confirm(venue)] == [HOME_ADDRESS]
    assert [f.kind for f in check_note("family moved to 3 Church Street")] == [HOME_ADDRESS]


@pytest.mark.parametrize(
    "note",
    ["Amber", "amber", "AMBER", "RAG Amber (3)", "Amber (2), Green (5)", "Amber, 12/03/2019"],
)
def test_amber_as_a_rag_rating_is_never_a_name(note: str) -> None:
    assert screen_note(note) == []


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("Sarah Jones, Designated Nurse, presented", None),
        ("Mum Sarah Jones declined the assessment", NAMED_FAMILY),
        ("DI Mark Evans chairs the CSE group", None),
        ("son Mark, 12, excluded", NAMED_CHILD),
        ("Grace period for S11 returns extended", None),
        ("daughter Grace was seen alone", NAMED_CHILD),
        ("Will be completed by May", None),
        ("her brother Will (7) is in foster care", NAMED_CHILD),
    ],
)
def test_a_name_needs_context_and_a_staff_role_makes_it_an_adult(
    note: str, kind: str | None
) -> None:
    assert [f.kind for f in check_note(note)] == ([kind] if kind else [])


def test_the_name_list_holds_modern_and_double_barrelled_names() -> None:
    names = given_names()
    assert len(names) > 300
    for name in ("riley", "cody", "summer", "jade", "leanne", "kayden", "maisie", "muhammad"):
        assert name in names
    assert [f.kind for f in check_note("unborn baby of Kerry-Ann J... - ICPC booked")] == [
        NAMED_CHILD
    ]


TEMPLATE_WORDS = set(
    re.findall(r"[a-z']+", (REFUSAL.format(kinds="") + " ".join(KINDS) + " and").lower())
)


def test_refusals_of_the_whole_corpus_never_echo_the_note() -> None:
    for _, note in corpus("refuse"):
        message = refusal_message(check_note(note))
        assert not re.search(r"\d", message), note
        assert set(re.findall(r"[a-z']+", message.lower())) <= TEMPLATE_WORDS, note


HELD_OUT = ROOT / "tests" / "data" / "guard_heldout"


def test_held_out_corpus(
    capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    """A second corpus, written by someone who never saw the guard or the first corpus.

    Measured before the guard was changed for it: 114/120 refused, 2/120 wrongly refused;
    the classes it found (a birth date in words or without a year, initials with an age and
    a disclosure, a grandparent's short name, a lower-case street after "found at", offices
    at a street address) were fixed in the rules, not note by note.
    """
    must_refuse, must_accept = corpus("refuse", HELD_OUT), corpus("accept", HELD_OUT)
    assert len(must_refuse) >= 100 and len(must_accept) >= 100
    recall, _ = rates(must_refuse)
    false_refusals, _ = rates(must_accept)
    with capsys.disabled():
        print(f"\nheld-out guard recall {recall:.1%}, false refusals {false_refusals:.1%}")
    measure = f"held-out guard corpus: recall {recall:.1%}, false refusals {false_refusals:.1%}"
    record_property("measure", measure)
    missed = [note for _, note in must_refuse if not check_note(note)]
    wrongly_refused = [note for _, note in must_accept if check_note(note)]
    assert recall >= MIN_RECALL, missed
    assert false_refusals <= MAX_FALSE_REFUSALS, wrongly_refused


# Corpora written blind, each by a writer who saw neither the guard nor the others: folder,
# the least recall and the most false refusals allowed, and the least size. The bars stop a
# change that makes a measure worse; the measure is what the suite prints.
#  fresh: before any change for it 81.3% recall, 0.7% false refusals; after the person-slot
#         rules (fixed by class, not note by note) 100% and 0%.
#  final: written while those rules were made, never seen by their writer: 68% and 0% on the
#         code that round started from, 84% and 0% after it, before any change for it; after
#         the object, list and apposition slots (fixed by class) 100% and 0%.
BLIND = {
    "fresh": (ROOT / "tests" / "data" / "guard_fresh", 0.99, 0.005, 150),
    "final": (ROOT / "tests" / "data" / "guard_final", 0.99, 0.005, 100),
    # final2: never looked at while the guard was changed, only scored: 57.5% recall on the
    #         round's starting code, 72.5% after the fresh round, 77.5% after the final round;
    #         0% false refusals each time. It joined the suite at the end of the round.
    "final2": (ROOT / "tests" / "data" / "guard_final2", 0.75, 0.01, 80),
}


@pytest.mark.parametrize("name", list(BLIND))
def test_blind_corpus(
    name: str, capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    folder, min_recall, max_false, size = BLIND[name]
    must_refuse, must_accept = corpus("refuse", folder), corpus("accept", folder)
    assert len(must_refuse) >= size and len(must_accept) >= size
    recall, refused_by_kind = rates(must_refuse)
    false_refusals, _ = rates(must_accept)
    measure = f"{name} guard corpus: recall {recall:.1%}, false refusals {false_refusals:.1%}"
    with capsys.disabled():
        print(f"\n{measure}")
        for kind, (hit, total) in refused_by_kind.items():
            print(f"  {kind:<24} {hit}/{total}")
    record_property("measure", measure)
    missed = [note for _, note in must_refuse if not check_note(note)]
    wrongly_refused = [note for _, note in must_accept if check_note(note)]
    assert recall >= min_recall, missed
    assert false_refusals <= max_false, wrongly_refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("home visit to the children at wf8 2hr after the anonymous call", True),
        ("referral from ls6 1yr ago re-screened", True),
        ("young person now living at dy4 7hr with an aunt", True),
        ("Y11 1hr drop-in sessions started", False),
        ("KS4 3hr revision session for carers", False),
        ("S47 2nd strategy discussion held", False),
        ("WR5 8am briefing moved", False),
    ],
)
def test_a_postcode_needs_a_real_postcode_area_not_a_unit_rule(note: str, refused: bool) -> None:
    assert (check_note(note) == [Finding(POSTCODE)]) is refused


@pytest.mark.parametrize(
    "note",
    [
        "twins' DOBs 04/09/2015 and 04/09/2015 were on the referral form",
        "dates of birth 1.3.2012, 7.8.2014 listed on the slide",
        "the D.O.B. (22-11-2009) was visible in the screenshot",
        "dob [03/03/2011] left in the chronology extract",
    ],
)
def test_plural_and_bracketed_birth_labels_are_dates_of_birth(note: str) -> None:
    assert DATE_OF_BIRTH in [f.kind for f in check_note(note)]


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        # Not in the name list, not an ordinary word, and the subject of a child's event.
        ("Chidinma has disclosed to her form tutor that she is hit at home", True),
        ("Tadeusz went missing from placement and was found in Walsall", True),
        ("Yetunde was arrested on Saturday with two older males", True),
        # Word-names, capitalised, with what happened to them or a child descriptor.
        ("Blessing returned from missing with injuries", True),
        ("Destiny (LAC, 13) has moved schools", True),
        ("Nkechi, a looked-after child placed out of county, was excluded", True),
        ("Mercy and Destiny (twins, CP plan) started nursery", True),
        # The same words as ordinary words, products or places: stored.
        ("Precious few S11 returns so far; chasing agencies", False),
        ("Storm Ciara cancelled the training; rescheduled", False),
        ("Sexting reported by 3 schools; guidance re-issued", False),
        ("Mentimeter (YP voice tool) used at the youth forum", False),
        ("Training at Stourside (Year 9 assemblies) delivered", False),
        ("Tadcaster, 12, Selby, 9 referrals this quarter", False),
        ("Youthscape (YP, 14-19) commissioned for the detached work", False),
        ("Comfort packs given to children placed in emergency placements", False),
    ],
)
def test_an_unlisted_or_word_name_counts_only_in_a_person_slot(note: str, refused: bool) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("honey's nan is now the kinship carer", True),  # lower case, possessive kin
        ("Kemi's dad refused entry to the HV twice", True),
        ("Spoke to the SW about Amarachi, CSE screening done", True),
        ("call with DSL regarding zoe - school to refer to MASH", True),
        ("Spoke to the Chair re Hannah joining the sub group as health rep", False),
        ("Email to DSL re Sarah's paper on attendance", False),
        ("Zoom call with DSLs re Padlet training", False),
        ("joy in the team as the Ofsted outcome was good", False),
    ],
)
def test_possessive_kin_and_a_child_discussed_with_a_professional(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("The Okonkwo children are still not attending nursery", True),
        ("the Nowaks have refused the EH offer again", True),
        ("The Popescu family (NRPF) are in temporary accommodation", True),
        ("The Jones household declined a further visit", True),
        ("the Dudley family hub opened in March", False),
        ("The Trustees have agreed the budget", False),
        ("The Early Help family support offer was refreshed", False),
        ("The Marmot children report was circulated", False),
    ],
)
def test_a_family_named_by_its_surname(note: str, refused: bool) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Baby T, real name Thiago Costa, was discussed at the rapid review", True),
        ("for info Child F is Fatuma Abdi, chronology attached", True),
        ("Child K (real name: Kyran Walsh) discussed at PLR", True),
        ("Child A is now the subject of a published review", False),
        ("Child B is Looked After; learning briefing shared", False),
    ],
)
def test_a_review_label_given_a_real_name(note: str, refused: bool) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("initials R.S., Year 10, excluded twice this term at the academy", True),
        ("boy in Y8, initials TL, on a CIN plan since June", True),
        ("K.P., Year 7, missing from school for 6 days", True),
        ("Initials only to be used in chronologies going forward", False),
        ("Year 9 lead J.T. ran the assembly", False),
        ("Meeting re Year 9 transition at the academy, A.B. to minute", False),
    ],
)
def test_initials_with_a_school_year_or_the_word_initials(note: str, refused: bool) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("family living on Marsh Lane, Normanton, neglect referral", True),
        ("child stays with gran on Oakwood Road in Hemsworth", True),
        ("The forum moved to the Guildhall on High Street", False),
        ("Hope Street Youth Centre used for the launch", False),
    ],
)
def test_a_home_on_a_named_street_without_a_house_number(note: str, refused: bool) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    "note",
    [
        "Sarah's Law referrals rose by 4 (Child Sex Offender Disclosure Scheme)",
        "Clare's Law disclosures up 10%; DA training updated",
        "Grace Academy and Oakfield High signed up to the pilot",
        "The Walsh Foundation funded the mentoring scheme",
        "Olumide Adeyemi (Board Member) chaired the meeting",
        "Dr Nkechi Obi reviewed the bruising protocol",
    ],
)
def test_named_schemes_bodies_and_named_staff_are_stored(note: str) -> None:
    assert check_note(note) == []


def test_a_refusal_for_an_unlisted_name_still_names_only_the_kind() -> None:
    message = refusal_message(check_note("Chidinma has disclosed to her form tutor"))
    assert "a child's name" in message and "Chidinma" not in message


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Olamilekan, 15, has been charged with possession", True),  # unlisted, age, event
        ("Keeley (16, pregnant) has moved to a mother and baby unit", True),
        ("Child E (Emre) was discussed at the rapid review", True),
        ("Learning from Child Q (Hackney) shared with schools", False),  # a place, not a name
        ("Child A (Grace Academy) review learning embedded", False),
    ],
)
def test_ages_and_bracketed_names_beside_a_name_or_a_review_label(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


def test_the_word_frequency_tables_are_not_loaded_at_import() -> None:
    import subprocess
    import sys

    code = "import sys, bot.guard as g; g.check_note('Board agreed the plan'); "
    code += "sys.exit('wordfreq' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Mr and Mrs Nowak of Station Road, Shifnal refused the HV", True),
        ("the boy born in March 2011 who came into care", True),
        ("birthday 14/02/2010 noted on the chronology", True),
        ("Mrs Evans of Station Road Surgery presented the audit", False),
        ("Training at Church Street Primary for staff living locally", False),
        ("Children born in 2015 start reception in 2019/20", False),
    ],
)
def test_a_named_adults_street_and_other_birth_wording(note: str, refused: bool) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ('"Chiamaka" told her teacher about the bruises', True),
        ("Case example: Jovan, 13, exploited via county lines", True),
        ("Discussed Ayaan with the HV: safe sleep concerns", True),
        ("Discussed Grace Academy with the DSL", False),
        ("Raised Sarah's concern with the chair", False),
        ("Spoke to the chair re May.", False),
    ],
)
def test_quoted_names_dropped_helpers_and_a_child_discussed_with_someone(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


# The object slots: a name that is met, seen or worked with alongside the child's own
# family or worker, evidence taken from a child, or the subject of case work.
@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Visited Tariq and his nan at the weekend, plan reviewed", True),
        ("we sat down with Bea and her foster carer to hear her views", True),
        ("met kayden and his dad at the hub", True),  # a listed name typed in lower case
        ("placed Nkechi with her aunt last night", True),
        ("following up with Rhys and his mum after the exclusion", True),
        ("ABE interview with Oksana done by police", True),
        ("a statement was taken from Ngozi yesterday", True),
        ("the referral on Kit came in late from school", True),
        ("S47 agreed for Amani after the strategy meeting", True),
        ("the case of Dara Quinn was used in training", True),
        ("met with Helen and her team at the hub", False),  # a colleague and her team
        ("spoke with Mark and his manager about cover", False),
        ("Met with Sarah Jones, DSL, and her deputy re training", False),
        ("statement from Ofsted on the inspection circulated", False),
        ("referral on the new form has gone live", False),
        ("the case for change was agreed at board", False),
        ("referral for Liberty Protection Safeguards training sent", False),
        ("Strategy for Herefordshire approved by the exec", False),
    ],
)
def test_a_name_in_an_object_slot_of_contact_evidence_or_case_work(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("learning from Idris's death shared with partners", True),
        ("Amira's injuries were reviewed at panel", True),
        ("Zofia Nowak's school raised neglect concerns", True),  # a listed surname's 's
        ("Okafor children moved to kinship care", True),  # a family by surname, no "the"
        ("Begum siblings remain on CP plans", True),
        ("Kowalski family disengaged from Early Help", True),
        ("Patel Family Foundation grant renewed", False),
        ("Foster children placed out of area: audit done", False),  # a surname and a word
        ("Young children and families consultation closed", False),
        ("White British families are under-represented in Early Help", False),
        ("Children and Young People's Partnership Board met", False),
    ],
)
def test_a_childs_death_or_injuries_a_surnames_possessive_and_surname_families(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Ellie Price taken off the CSE list, review in 3 months", True),
        ("Kai added to the MACE list after two missing episodes", True),
        ("Tariq - refused the RHI again", True),  # a dash for the verb, in a list
        ("none outstanding except one (Ionela, placed in June)", True),  # apposition, no age
        ("jayden is now attending 3 days a week after exclusion", True),
        ("Storm (3) - HV visiting weekly, mum engaging", True),  # a word-name, a small child
        ("Emma removed from the distribution list", False),
        ("Sarah added to the MACE list distribution", False),
        ("Sarah - declined the invitation to present", False),
        ("Amber (3) - HV performance steady", False),  # a RAG count
        ("attending 3 days a week of training for practitioners", False),
    ],
)
def test_risk_lists_refusals_apposition_attendance_and_word_names_with_an_age(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("TK, 14, Y10 at the PRU - missing twice this month", True),
        ("Young person (d/o/b 03/07/2009) remanded overnight", True),
        ("RB, 13, year 8, excluded for the second time", True),
        ("LA, 14, Year 10 cohorts compared", False),  # the field's own acronyms
        ("CIN, 12, Y7 transition figures", False),
    ],
)
def test_undotted_initials_with_age_and_year_and_a_slashed_birth_label(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("learning from the case of Daniel Pelka shared with schools", False),  # a national review
        ("the case of Victoria Climbie used in induction training", False),
        ("the case of Daniel Price was used in training", True),  # a local child, named
        ("Met Derek Benson and his PA to agree the agenda", False),  # a personal assistant
        ("Priya added to the CSE list of trainers", False),
        ("Storm (2) - HV teams affected by the closures", False),  # a count by word-name
        ("Hunter (3) - parents' evenings planned", False),
        ("Storm (2) - nursery raised concerns about weight", True),
    ],
)
def test_public_reviews_staff_lists_and_counts_by_word_name_are_not_children(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Tomás, 15, Year 10 - NEET since September", True),  # accents fold to the list
        ("Łukasz went missing from his placement overnight", True),
        ("Siobhán and her mum met the IRO", True),  # a listed name with their own kin
        ("Karen and her son attended the ICPC", True),
        ("Emma and her team at the hub ran the session", False),
        ("Sarah and her partner agencies signed the protocol", False),
        ("Ahmed family practice signed up to the pilot", False),  # a surgery, not a family
        ("Jo - refused the offer of a second session", False),  # a colleague's diary
        ("Café drop-in for parents relaunched", False),
    ],
)
def test_accented_names_a_name_with_its_own_kin_and_what_stays_staff(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("strategy discussion held re Efe, conference booked", True),
        ("S47 to proceed for Amani after the strategy meeting", True),
        ("S47 training for Emma and Jo booked", False),  # a thing made of case work
        ("case study for Martin to present at the forum", False),
        ("referrals for Kirsty in MASH to screen", False),  # a colleague's team
        ("referral on Sarah's desk since Monday", False),
        ("statement from Emma on the restructure circulated", False),  # not taken from her
        ("disclosure by Sarah of her conflict of interest noted", False),
    ],
)
def test_case_work_and_evidence_slots_hold_a_child_not_a_colleague(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Sarah is now attending 2 days a week on a phased return", False),  # a colleague
        ("Helen returned to school governors board", False),
        ("Mark - refused the assessment tool licence", False),
        ("Sarah added to the CP plan register of trainers", False),
        ("Leanne, removed from the missing register distribution", False),
        ("Kofi, remanded over the weekend; YOT informed", True),  # a child-only event
        ("aisha is now attending 2 days a week at the PRU", True),
    ],
)
def test_list_attendance_and_apposition_cues_need_what_only_happens_to_a_child(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("Ryan's injuries at work led to an H&S review", False),  # a colleague's
        ("Diana's death anniversary event cancelled", False),
        ("Tom and his son ran the 10k for the charity", False),  # a parent, not a child
        ("rapid review into Kit's injuries convened", True),
        ("Lola and her gran attended the core group", True),
    ],
)
def test_harm_to_a_colleague_and_a_named_parent_are_not_a_childs_name(
    note: str, refused: bool
) -> None:
    assert bool(check_note(note)) is refused
