"""Keys that let record linkage compare names as names and places as places, in SQL.

Linkage compares within blocks, in DuckDB: a comparison must be an equality or a simple expression
there. These keys carry rigour's name and address analysis into such equalities:

- a person's name key is the same for every order, case, punctuation and split of one name ("Gao
  Jianguo", "GAO, Jianguo", "Jianguo Gao", "Gao Jian-guo", "Gao Jian guo"): the names sharing their
  letters are grouped, and within a group rigour's aligned comparison of the name parts (order aligned
  by ``align_person_name_order``, merged or split parts scored by ``compare_parts``) decides which are one
  name. Letters alone would join "Hu Lian" and "Lin Hua"; the comparison keeps them apart.
- a name key's frequency is estimated from its tokens' frequencies (surname times given name), so a
  common surname with a common given name weighs little even where that exact name is seen once.
- a company name's sorted tokens make word-order variants one key ("Xinda Trading (Shanghai)"), and its
  distinctive word is its rarest word that rigour's organisation tagger does not know as a trade, legal
  or location word ("runze" in "Ningbo Runze Imp. & Exp."), so "Imp." and "Import and Export" do not hide it.
- an address key's room and floor: the building key drops them, the room says how near two firms are.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
from rigour.names import (
    NamePart,
    NamePartTag,
    NameTypeTag,
    align_person_name_order,
    analyze_names,
    compare_parts,
    tokenize_name,
)

__all__ = ["person_name_keys", "sorted_tokens", "distinctive_tokens", "floors", "SAME_PERSON_NAME"]

#: rigour's aligned similarity from which two written forms are one person name: merged or split
#: parts score 0.975 ("jianguo" ~ "jian guo"); another given name ("jianguo" ~ "jianhua") scores 0
SAME_PERSON_NAME = 0.9


@cache
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(tokenize_name(name.casefold()))


def _similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Length-weighted share of the two names' letters in parts rigour aligns (1.0: the same name)."""
    left, right = align_person_name_order(
        [NamePart(t, i) for i, t in enumerate(a)], [NamePart(t, i) for i, t in enumerate(b)]
    )
    total = matched = 0.0
    for alignment in compare_parts(left, right):
        size = sum(len(p.form) for p in (*alignment.qps, *alignment.rps))
        total += size
        matched += alignment.score * size
    return matched / total if total else 0.0


def _key_of_group(forms: list[tuple[str, ...]]) -> list[str]:
    """Within forms sharing their letters (most frequent first), each form's name key: the sorted tokens of
    the first form it is one name with."""
    heads: list[tuple[str, ...]] = []
    keys = []
    for form in forms:
        head = next((h for h in heads if h == form or _similarity(h, form) >= SAME_PERSON_NAME), None)
        if head is None:
            heads.append(form)
            head = form
        keys.append(" ".join(sorted(head)))
    return keys


def person_name_keys(names: pd.Series) -> tuple[pd.Series, pd.DataFrame]:
    """Order-, case-, punctuation- and split-insensitive keys of person names, and each key's frequency.

    Returns
    -------
    keys : Series
        Aligned with ``names``; None where a name has no letters.
    frequency : DataFrame
        ``key`` and ``tf_key``: the chance that two people picked at random bear that name, estimated as
        the product of its tokens' shares among all names (a splink term-frequency lookup).

    Example
    -------
    >>> keys, _ = person_name_keys(pd.Series(["GAO, Jianguo", "Jian-guo Gao", "Lin Hua", "Hu Lian"]))
    >>> keys.tolist()
    ['gao jianguo', 'gao jianguo', 'hua lin', 'hu lian']
    """
    counts = names.dropna().astype(str).value_counts()
    forms = pd.DataFrame({"name": counts.index, "n": counts.to_numpy()})
    forms["tokens"] = forms["name"].map(_tokens)
    forms = forms[forms["tokens"].map(len) > 0]
    if forms.empty:
        return pd.Series(None, index=names.index, dtype=object), pd.DataFrame({"key": [], "tf_key": []})
    forms["letters"] = forms["tokens"].map(lambda t: "".join(sorted("".join(t))))
    forms["parts"] = forms["tokens"].map(len)
    # the most written form of a name heads its group (the fewest parts among equals: "jianguo", not "jian guo")
    forms = forms.sort_values(["letters", "n", "parts", "name"], ascending=[True, False, True, True], kind="stable")
    keys = [k for _, group in forms.groupby("letters", sort=False) for k in _key_of_group(group["tokens"].tolist())]
    forms["key"] = keys
    lookup = dict(zip(forms["name"], forms["key"], strict=True))
    mapped = pd.Series([lookup.get(v) if isinstance(v, str) else None for v in names], index=names.index, dtype=object)
    people = forms.groupby("key")["n"].sum()
    share = pd.Series(people.index.str.split(), index=people.index).explode()
    token_share = (pd.Series(people.loc[share.index].to_numpy(), index=share.to_numpy()).groupby(level=0).sum()) / max(
        people.sum(), 1
    )
    estimate = [float(np.prod([token_share[t] for t in key.split()])) for key in people.index]
    frequency = pd.DataFrame({"key": people.index, "tf_key": estimate})
    return mapped, frequency


def sorted_tokens(names: pd.Series) -> pd.Series:
    """Names as their rigour tokens in sorted order: word-order variants of one name become one key."""
    keys = [(" ".join(sorted(_tokens(n))) or None) if isinstance(n, str) else None for n in names]
    return pd.Series(keys, index=names.index, dtype=object)


@cache
def _untagged(name: str) -> tuple[str, ...]:
    """The parts of an organisation name rigour tags as nothing (no trade, legal, location or stop word)."""
    free: list[str] = []
    for analysed in analyze_names(NameTypeTag.ORG, [name], phonetics=False, consolidate=False, rewrite=False):
        tagged = {part.index for span in analysed.spans for part in span.parts}
        free += [p.form for p in analysed.parts if p.index not in tagged and p.tag == NamePartTag.UNSET]
    return tuple(free)


def distinctive_tokens(names: pd.Series) -> pd.Series:
    """Each company name's least common untagged word across all names (its brand, as a rule), else its least
    common word: "Shanghai New Xinda Trading" and "Xinda Trading (Shanghai)" meet on "xinda"."""
    tokens = pd.Series([list(_tokens(n)) if isinstance(n, str) else [] for n in names], index=names.index)
    frequency = tokens.explode().dropna().value_counts()
    out = []
    for name, words in zip(names, tokens, strict=True):
        free = [w for w in _untagged(name) if w in frequency.index] if words else []
        pool = free or words
        out.append(min(pool, key=lambda w: (frequency[w], w)) if pool else None)
    return pd.Series(out, index=names.index, dtype=object)


_FLOOR = re.compile(r"\bfl(\d+)\b")
_ROOM = re.compile(r"\b(?:rm|unt|ste|apt)(\d+)\b")


def floors(address_keys: pd.Series) -> pd.Series:
    """The floor of each address key: its floor token, else the room number's hundreds (room 1904 is on the
    19th floor, as buildings here number rooms); None without either."""

    def floor(key: object) -> float | None:
        if not isinstance(key, str):
            return None
        if found := _FLOOR.search(key):
            return float(found[1])
        if found := _ROOM.search(key):
            return float(int(found[1]) // 100)
        return None

    return address_keys.map(floor).astype(float)
