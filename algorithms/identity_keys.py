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
- a building's place key is the same for the building however its address is written ("Pudong New Area"
  or "Pudong", "Dist." or not): building keys with the same house numbers are grouped, and within a group
  rigour's address comparison decides which are one building. An address key's floor says how near two
  rooms of one building are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rigour.addresses import compare_address
from rigour.names import (
    NamePart,
    NamePartTag,
    NameTypeTag,
    SymbolCategory,
    align_person_name_order,
    analyze_names,
    compare_parts,
    remove_org_types,
    tokenize_name,
)

__all__ = [
    "forget_names",
    "person_name_keys",
    "person_letters",
    "person_keys",
    "key_frequency",
    "name_words",
    "sorted_tokens",
    "distinctive_tokens",
    "name_tags",
    "name_tags_each",
    "tags_joined",
    "joined_tags",
    "place_keys",
    "place_numbers",
    "floors",
    "SAME_PERSON_NAME",
    "SAME_PLACE",
]

#: rigour's aligned similarity from which two written forms are one person name: merged or split
#: parts score 0.975 ("jianguo" ~ "jian guo"); another given name ("jianguo" ~ "jianhua") scores 0
SAME_PERSON_NAME = 0.9

T = TypeVar("T")


@cache
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(tokenize_name(name.casefold()))


def forget_names() -> None:
    """Empty the caches of names and keys read so far (every firm's after a resolution: 0.2 GB at 88,871 firms)."""
    for cached in (_tokens, _tagged, _words):
        cached.cache_clear()


def _heads(
    forms: list[T], same: Callable[[T, T], bool], words: Callable[[T], tuple[set[str], set[str]]] | None = None
) -> list[T]:
    """Each form's head: the first earlier head it is ``same`` as, else itself (forms most frequent first).

    With ``words`` (a form's words to be found by, and the words to look for), a form is only compared with
    the heads found by one of the words it looks for.
    """
    heads: list[T] = []
    index: dict[str, list[int]] = {}
    out = []
    for form in forms:
        if words is None:
            candidates = heads
        else:
            wanted = words(form)[1]
            candidates = [heads[i] for i in sorted({i for w in wanted for i in index.get(w, ())})]
        head = next((h for h in candidates if h == form or same(h, form)), None)
        if head is None:
            heads.append(form)
            head = form
            for w in words(form)[0] if words is not None else ():
                index.setdefault(w, []).append(len(heads) - 1)
        out.append(head)
    return out


def _settled_heads(
    forms: list[str], settled: int, same: Callable[[str, str], bool], words: Callable[[str], tuple[set[str], set[str]]]
) -> list[str]:
    """:func:`_heads` (with ``words``) of forms whose first ``settled`` are places already found, each standing for
    itself. Whether such a place still heads a group (no earlier one is the same) is worked out only when a later
    form looks it up: a day's new buildings are compared with the places they may join, not every place of their
    house numbers with every other."""
    if not settled:
        return _heads(forms, same, words)
    index: dict[str, list[int]] = {}
    for i, form in enumerate(forms[:settled]):
        for w in words(form)[0]:
            index.setdefault(w, []).append(i)
    heading: dict[int, bool] = {}

    def looked_up(form: str, before: int) -> list[int]:
        return sorted({i for w in words(form)[1] for i in index.get(w, ()) if i < before})

    def still_heads(j: int) -> bool:
        # the places j's answer depends on come before it: worked out in order, without recursion
        needed, stack = set(), [j]
        while stack:
            k = stack.pop()
            if k not in heading and k not in needed:
                needed.add(k)
                stack.extend(looked_up(forms[k], k))
        for k in sorted(needed):
            heading[k] = not any(
                heading[i] and (forms[i] == forms[k] or same(forms[i], forms[k])) for i in looked_up(forms[k], k)
            )
        return heading[j]

    out = list(forms[:settled])
    for position in range(settled, len(forms)):
        form = forms[position]
        candidates = (forms[i] for i in looked_up(form, position) if heading.get(i) or still_heads(i))
        head = next((h for h in candidates if h == form or same(h, form)), None)
        if head is None:
            head, heading[position] = form, True
            for w in words(form)[0]:
                index.setdefault(w, []).append(position)
        out.append(head)
    return out


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
    heads = _heads(forms, lambda a, b: _similarity(a, b) >= SAME_PERSON_NAME)
    return [" ".join(sorted(head)) for head in heads]


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
    keys = person_keys(names)
    return keys, key_frequency(keys)


def _letters(tokens: tuple[str, ...]) -> str:
    """A name's letters, sorted: the names a person may be written as share them."""
    return "".join(sorted("".join(tokens)))


def person_letters(names: pd.Series) -> pd.Series:
    """Each person name's letters, sorted (None without any): the group :func:`person_keys` keys it within, so
    that a name's key changes only as the names sharing its letters come and go."""
    letters = {n: _letters(_tokens(n)) or None for n in names.dropna().astype(str).unique()}
    return pd.Series([letters.get(v) if isinstance(v, str) else None for v in names], index=names.index, dtype=object)


def person_keys(names: pd.Series) -> pd.Series:
    """The name keys of :func:`person_name_keys`: the same for every name keyed with the names sharing its
    letters (:func:`person_letters`)."""
    counts = names.dropna().astype(str).value_counts()
    forms = pd.DataFrame({"name": counts.index, "n": counts.to_numpy()})
    forms["tokens"] = forms["name"].map(_tokens)
    forms = forms[forms["tokens"].map(len) > 0]
    if forms.empty:
        return pd.Series(None, index=names.index, dtype=object)
    forms["letters"] = forms["tokens"].map(_letters)
    forms["parts"] = forms["tokens"].map(len)
    # the most written form of a name heads its group (the fewest parts among equals: "jianguo", not "jian guo")
    forms = forms.sort_values(["letters", "n", "parts", "name"], ascending=[True, False, True, True], kind="stable")
    keys = [k for _, group in forms.groupby("letters", sort=False) for k in _key_of_group(group["tokens"].tolist())]
    lookup = dict(zip(forms["name"], keys, strict=True))
    return pd.Series([lookup.get(v) if isinstance(v, str) else None for v in names], index=names.index, dtype=object)


def key_frequency(keys: pd.Series, wanted: pd.Series | None = None) -> pd.DataFrame:
    """``key`` and ``tf_key`` of :func:`person_name_keys` for the name keys ``keys`` (one a person), of the keys in
    ``wanted`` only when given (the estimate still counts every person)."""
    people = keys.dropna().astype(object).value_counts().sort_index()
    if people.empty:
        return pd.DataFrame({"key": [], "tf_key": []})
    share = pd.Series(people.index.str.split(), index=people.index).explode()
    token_share = (pd.Series(people.loc[share.index].to_numpy(), index=share.to_numpy()).groupby(level=0).sum()) / max(
        people.sum(), 1
    )
    if wanted is not None:
        people = people[people.index.isin(wanted.dropna().astype(object).unique())]
    estimate = [float(np.prod([token_share[t] for t in key.split()])) for key in people.index]
    return pd.DataFrame({"key": people.index, "tf_key": estimate})


def sorted_tokens(names: pd.Series) -> pd.Series:
    """Company names as their rigour tokens in sorted order, legal forms out wherever they stand: word-order
    and legal-form variants of one name become one key ("Xinda Trading Limited (Shanghai)")."""
    keys = [(" ".join(sorted(_tokens(remove_org_types(n)))) or None) if isinstance(n, str) else None for n in names]
    return pd.Series(keys, index=names.index, dtype=object)


@cache
def _tagged(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """The words rigour tags in an organisation name as trade, legal form or stop words, and those it tags only
    as places. A place word can still be a brand ("Ningbo Qinghai Trading": Qinghai is a province), so it is
    set aside only when an ordinary word is as rare."""
    known: set[str] = set()
    places: set[str] = set()
    for analysed in analyze_names(NameTypeTag.ORG, [name], phonetics=False, consolidate=False, rewrite=False):
        for span in analysed.spans:
            words = {part.form for part in span.parts}
            (places if span.symbol.category == SymbolCategory.LOCATION else known).update(words)
        known |= {p.form for p in analysed.parts if p.tag != NamePartTag.UNSET}
    return frozenset(known), frozenset(places - known)


def name_tags(names: pd.Series) -> tuple[frozenset[str], frozenset[str]]:
    """The words rigour tags as trade, legal form or stop words in any of ``names``, and those it tags only as
    places: the slow part of :func:`distinctive_tokens`, kept between resolutions and joined with the tags of
    new names (:func:`joined_tags`)."""
    tagged = [_tagged(n) for n in names.dropna().unique()]
    known = frozenset().union(*(k for k, _ in tagged))
    return known, frozenset().union(*(p for _, p in tagged)) - known


def name_tags_each(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`name_tags` of each name alone, its words apart by spaces ("" for none, None for no name): kept with
    each firm, so that the tags of many names are those of each joined (:func:`tags_joined`)."""
    tagged = [_tagged(n) if isinstance(n, str) else None for n in names]
    known, places = ([None if t is None else " ".join(sorted(t[i])) for t in tagged] for i in (0, 1))
    return pd.Series(known, index=names.index, dtype=object), pd.Series(places, index=names.index, dtype=object)


def tags_joined(known: pd.Series, places: pd.Series) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`name_tags` of names from their own (:func:`name_tags_each`)."""
    words = lambda texts: frozenset(w for text in texts.dropna().unique() for w in text.split())  # noqa: E731
    trade = words(known)
    return trade, words(places) - trade


def joined_tags(
    one: tuple[frozenset[str], frozenset[str]], other: tuple[frozenset[str], frozenset[str]]
) -> tuple[frozenset[str], frozenset[str]]:
    known = one[0] | other[0]
    return known, (one[1] | other[1]) - known


def name_words(names: pd.Series) -> pd.Series:
    """Each company name's rigour tokens, space-separated (None without any): what :func:`distinctive_tokens`
    chooses from, kept between resolutions."""
    return pd.Series(
        [(" ".join(_tokens(n)) or None) if isinstance(n, str) else None for n in names], index=names.index, dtype=object
    )


def distinctive_tokens(
    names: pd.Series, tags: tuple[frozenset[str], frozenset[str]] | None = None, words: pd.Series | None = None
) -> pd.Series:
    """Each company name's least common word that rigour tags as no trade, legal form or stop word in any name
    (its brand, as a rule), a place word losing ties; else its least common word: "Shanghai New Xinda Trading"
    and "Xinda Trading (Shanghai)" meet on "xinda". A word tagged in one name is known everywhere: "exp" is a
    trade word in "Runze Imp. Exp." and in "Huabo Imp. and Exp.", where rigour does not see the phrase.
    ``tags``: :func:`name_tags` of these names, ``words``: their :func:`name_words`, when already known."""
    if words is None:
        words = name_words(names)
    known, places = tags if tags is not None else name_tags(names)
    # in arrow, every name's words at once: a day's resolution works them out again for every firm
    split = pc.split_pattern(pa.array(words.to_numpy(dtype=object), pa.string()), " ")
    word, row = pc.list_flatten(split), pc.list_parent_indices(split).to_numpy()
    counts = pc.value_counts(word)
    frequency = pc.take(counts.field("counts"), pc.index_in(word, value_set=counts.field("values")))
    is_known = pc.is_in(word, value_set=pa.array(sorted(known), pa.string())).to_numpy(zero_copy_only=False)
    # a name of known words only chooses among them all
    pool = ~is_known | (np.bincount(row[~is_known], minlength=len(words)) == 0)[row]
    choice = pa.table(
        {
            "row": row,
            "frequency": frequency,
            "place": pc.is_in(word, value_set=pa.array(sorted(places), pa.string())),
            "word": word,
        }
    ).filter(pa.array(pool))
    choice = choice.take(pc.sort_indices(choice, [(c, "ascending") for c in choice.column_names]))
    first = choice["row"].to_numpy()
    first = np.flatnonzero(np.r_[True, first[1:] != first[:-1]]) if len(first) else first
    out = np.full(len(words), None, dtype=object)
    out[choice["row"].to_numpy()[first]] = choice["word"].to_numpy(zero_copy_only=False)[first]
    return pd.Series(out, index=names.index, dtype=object)


#: rigour's address similarity from which two building keys with the same numbers are one building. Measured
#: on the generator's streets: a district word written or left out 0.84-0.94; the same number and street
#: name in another district 0.75-0.82, another street 0.38
SAME_PLACE = 0.9


@cache
def _words(key: str) -> frozenset[str]:
    return frozenset(key.split())


def _overlap(a: str, b: str) -> float:
    """Share of the shorter key's words in the other: a cheap test before rigour's comparison, which only
    buildings sharing most of their words can pass."""
    x, y = _words(a), _words(b)
    return len(x & y) / min(len(x), len(y))


def place_numbers(buildings: pd.Series) -> pd.Series:
    """Each building key's house numbers, sorted (the key itself without any): :func:`place_keys` compares only
    keys with the same numbers, and a place has the numbers of the keys it stands for."""
    return buildings.map(
        lambda k: (" ".join(sorted(t for t in k.split() if t.isdigit())) or k) if isinstance(k, str) else None
    ).astype(object)


def place_keys(buildings: pd.Series, known: Mapping[str, str] | None = None) -> pd.Series:
    """One key per building however its address was written: the most frequent building key of the group
    rigour's address comparison finds to be one building (among keys with the same house numbers).

    With ``known`` (building keys and the place an earlier call found for each), those keep their place and
    only the others are compared, with the known places first: a day's new addresses cost a day's comparisons.
    """
    known = known or {}
    counts = buildings.dropna().astype(str).value_counts()
    counts = counts[~counts.index.isin(known)]
    if counts.empty:
        return pd.Series([known.get(v) for v in buildings], index=buildings.index, dtype=object)
    heads = sorted(set(known.values()))
    forms = pd.DataFrame(
        {
            "key": [*heads, *counts.index],
            "n": [0] * len(heads) + counts.tolist(),
            "new": [False] * len(heads) + [True] * len(counts),
        }
    )
    forms["numbers"] = place_numbers(forms["key"])
    forms = forms[forms["numbers"].isin(set(forms.loc[forms["new"], "numbers"]))]
    forms = forms.sort_values(["numbers", "new", "n", "key"], ascending=[True, True, False, True], kind="stable")
    # a building is looked for by its two rarest words (its street's name, as a rule): two writings of one
    # building share those, where a district word or "City" comes and goes
    frequency = pd.Series([w for k in forms["key"] for w in _words(k)]).value_counts().to_dict()

    def words(key: str) -> tuple[set[str], set[str]]:
        named = sorted((w for w in _words(key) if not w.isdigit()), key=lambda w: (frequency[w], w))
        return set(named), set(named[:2])

    same = lambda a, b: _overlap(a, b) >= 0.6 and compare_address(a, b) >= SAME_PLACE  # noqa: E731
    keys, settled = forms["key"].tolist(), (~forms["new"]).to_numpy()
    found = []
    for start, stop in _runs(forms["numbers"].to_numpy()):
        if stop - start == 1:  # a building alone with its numbers heads itself (most: 2.5 s of pandas groups at 1M)
            found.append(keys[start])
        else:
            found += _settled_heads(keys[start:stop], int(settled[start:stop].sum()), same, words)
    lookup = {**dict(zip(keys, found, strict=True)), **known}
    return pd.Series(
        [lookup.get(v) if isinstance(v, str) else None for v in buildings], index=buildings.index, dtype=object
    )


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """The ``(start, stop)`` of each run of equal values in ``values`` (sorted: one run a value)."""
    if not len(values):
        return []
    edges = np.flatnonzero(values[1:] != values[:-1]) + 1
    bounds = [0, *edges.tolist(), len(values)]
    return list(zip(bounds[:-1], bounds[1:], strict=False))


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
