"""The FAQ answers every question of the original brief, under headings with
stable anchors, and points each answer to the page with the details."""

import json
import re
from pathlib import Path

import pytest

QUESTIONS_FILE = Path(__file__).with_name("faq_brief_questions.txt")
QUESTIONS = [line.strip() for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines()
             if line.strip()]

# Question (as in the brief) -> the anchor the FAQ sets explicitly. Links from
# other pages and sites depend on these; change them only with redirects.
ANCHORS = {
    "What is AlmaLinux?": "what-is-almalinux",
    "Can I do X, Y, or Z with AlmaLinux?": "can-i-do-x-y-or-z",
    "Intended user": "intended-user",
    "Why is it called _AlmaLinux_?": "why-the-name",
    "How is the community protected from future development roadmap changes?":
        "community-protection",
    "Why use CloudLinux's CentOS alternative?": "why-cloudlinux",
    "How do I migrate a single host from CentOS to AlmaLinux?": "migrate-single-host",
    "How do I migrate an entire fleet of servers from CentOS to AlmaLinux?": "migrate-fleet",
    "How long will CloudLinux support AlmaLinux?": "how-long-supported",
    "I found a bug in RHEL; can I contribute the bug fix to AlmaLinux?": "contribute-bug-fix",
    "How can I request a package be added to AlmaLinux?": "request-package",
}

# Anchor -> a page the answer must link to (built URL, relative to faq/).
ANSWER_LINKS = {
    "migrate-single-host": "../migrate/one-host/",
    "migrate-fleet": "../migrate/fleet/",
    "how-long-supported": "../releases/lifecycle/",
    "contribute-bug-fix": "../packages/upstream-first/",
    "request-package": "../packages/request/",
}

# A word only the "name" answer uses, so site search lands on that answer.
BODY_ONLY_WORD = ("portuguese", "why-the-name")


def normalise(text):
    """Heading text without Markdown emphasis, permalink signs or case."""
    text = re.sub(r"[_*¶]", "", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.fixture(scope="module")
def faq(built_html):
    return built_html("faq.md")


def question_headings(faq):
    return {normalise(h.get_text()): h for h in faq.select("article h2, article h3")}


def answer_body(faq, anchor):
    """The elements between a question heading and the next heading."""
    heading = faq.find(id=anchor)
    assert heading is not None, f"no element with id {anchor!r}"
    body = []
    for sibling in heading.find_next_siblings():
        if sibling.name in ("h1", "h2", "h3"):
            break
        body.append(sibling)
    return body


def test_question_list_matches_the_anchor_table():
    assert QUESTIONS, f"{QUESTIONS_FILE.name} is empty"
    assert sorted(QUESTIONS) == sorted(ANCHORS)


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_brief_question_is_a_heading_with_an_id(faq, question):
    headings = question_headings(faq)
    assert normalise(question) in headings, f"no h2/h3 heading reads {question!r}"
    assert headings[normalise(question)].get("id"), f"heading {question!r} has no id"


@pytest.mark.parametrize("question, anchor", sorted(ANCHORS.items()))
def test_question_anchor_is_the_stable_explicit_id(faq, question, anchor):
    heading = question_headings(faq).get(normalise(question))
    assert heading is not None, f"no heading reads {question!r}"
    assert heading["id"] == anchor


@pytest.mark.parametrize("anchor", sorted(ANCHORS.values()))
def test_every_question_has_an_answer(faq, anchor):
    text = " ".join(element.get_text(" ") for element in answer_body(faq, anchor))
    assert len(text.split()) >= 25, f"the answer under #{anchor} is missing or too short"


@pytest.mark.parametrize("anchor, target", sorted(ANSWER_LINKS.items()))
def test_answer_links_to_the_detailed_page(faq, anchor, target):
    hrefs = [a.get("href", "") for element in answer_body(faq, anchor)
             for a in element.find_all("a")]
    assert any(href.split("#")[0] == target for href in hrefs), \
        f"the answer under #{anchor} does not link to {target} (links: {hrefs})"


def test_governance_answer_names_the_foundation_not_a_company(faq):
    text = " ".join(e.get_text(" ") for e in answer_body(faq, "community-protection"))
    assert "AlmaLinux OS Foundation" in text
    assert "501(c)(6)" in text


def test_support_answer_takes_dates_from_the_lifecycle_data(faq, release_data):
    text = " ".join(e.get_text(" ") for e in answer_body(faq, "how-long-supported"))
    for major in release_data["majors"]:
        assert str(major["security_support_end"]) in text, \
            f"AlmaLinux {major['major']}'s end of security support is not in the answer"


def test_a_word_of_one_answer_body_appears_nowhere_else_on_the_site(built_site):
    word, anchor = BODY_ONLY_WORD
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    holders = sorted({doc["location"] for doc in index["docs"]
                      if re.search(rf"\b{word}", doc["text"] + " " + doc["title"], re.I)})
    assert holders == [f"faq/#{anchor}"]
