"""Checks of notebook 05's exercises."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recsys_utils.explorer import RelatedLists
from .registry import exercise, need


@exercise("7.1")
def check_popularity_bias(ns: Mapping) -> None:
    """Exercise 7.1: each method's median listener count of its related artists, and the method with the higher."""
    lists = ns["lists"]
    median_listeners = need(ns, "median_listeners", hint=(
        "It is a dict mapping each method ('LSA', 'ALS') to the median listener count "
        "of the related artists in its lists."))
    assert isinstance(median_listeners, dict), (
        f"median_listeners should be a dict (method -> median), not a {type(median_listeners).__name__}.")
    assert set(median_listeners) == set(lists.methods), (
        f"median_listeners should have one key per method, {lists.methods}; it has "
        f"{sorted(map(str, median_listeners))}. Loop over lists.related.items() or lists.methods.")
    for method in lists.methods:
        got = median_listeners[method]
        assert np.ndim(got) == 0 and np.isfinite(float(got)), (
            f"median_listeners[{method!r}] should be one number, not {got!r}.")
        indices = lists.related[method][0].ravel()
        counts = lists.listeners[indices[indices >= 0]]
        mistakes = [  # (a wrong value, where it may come from)
            (np.median(lists.listeners), ("Did you take the median of the artists shown themselves? Take the artists "
                                          "in their lists: lists.listeners[indices], "
                                          "indices = lists.related[method][0].")),
            (np.median(lists.listeners[np.unique(indices[indices >= 0])]), (
                "Did you count each related artist only once? Count an artist once per list it appears in: "
                "do not remove repeats (no np.unique or set).")),
            (counts.mean(), "Did you take the mean? Use np.median."),
            (np.median(lists.listeners[indices]),
             "Leave out the -1 places (indices >= 0) before looking up listeners."),
        ]
        hint = " ".join(message for value, message in mistakes if np.isclose(float(got), value, atol=1e-6)) or (
            "Take lists.listeners at the positions in lists.related[method][0] (all rows together, without the "
            "-1 places), then np.median.")
        assert np.isclose(float(got), np.median(counts), atol=1e-6), (
            f"median_listeners[{method!r}] is {got}, which is not the median listener count of the "
            f"artists in the {method} lists. {hint}")
    favours_popular = need(ns, "favours_popular", hint=(
        "It is the method (a str) whose lists have the higher median listener count."))
    assert favours_popular in lists.methods, (
        f"favours_popular should be one of {lists.methods}, not {favours_popular!r}.")
    assert median_listeners[favours_popular] == max(median_listeners.values()), (
        f"favours_popular is {favours_popular!r}, but its median is not the highest: pick the method with the "
        "HIGHER median, e.g. max(median_listeners, key=median_listeners.get).")


@exercise("7.2")
def check_agreement(ns: Mapping) -> None:
    """Exercise 7.2: the artists shared by the LSA and ALS lists of the 50 most listened, and the most agreeing."""
    lists = ns["lists"]
    overlap = need(ns, "overlap", hint=(
        "It is a pandas Series indexed by the names of the 50 most listened artists shown, holding how "
        "many artists their LSA and ALS lists share."))
    assert isinstance(overlap, pd.Series), (
        f"overlap should be a pandas Series (name -> count), not a {type(overlap).__name__}: "
        "e.g. pd.Series({name: count, ...}).")
    assert len(overlap) == 50, f"overlap should have 50 entries, one per most listened artist; it has {len(overlap)}."
    assert overlap.index.is_unique, "overlap has an artist more than once: take 50 different artists."
    position = {name: i for i, name in enumerate(lists.names)}
    unknown = [name for name in overlap.index if name not in position]
    assert not unknown, (
        f"overlap's index should hold artist names from lists.names, e.g. {lists.names[0]!r}; "
        f"these are not: {unknown[:3]}.")
    fiftieth = np.sort(lists.listeners)[::-1][49]  # the 50th highest listener count
    too_few = [name for name in overlap.index if lists.listeners[position[name]] < fiftieth]
    assert not too_few, (
        f"overlap should hold the 50 artists with the MOST listeners (at least {fiftieth} each), but e.g. "
        f"{too_few[0]!r} has {lists.listeners[position[too_few[0]]]}: sort lists.listeners in decreasing order.")
    lsa, als = lists.related["LSA"][0], lists.related["ALS"][0]
    expected = {name: len((set(lsa[position[name]]) & set(als[position[name]])) - {-1}) for name in overlap.index}
    for name, count in overlap.items():
        same_place = int(((lsa[position[name]] == als[position[name]]) & (lsa[position[name]] >= 0)).sum())
        hint = (" You counted places where both lists have the same artist; count artists in both lists, in any "
                "order (a set intersection)." if count == same_place != expected[name] else "")
        assert count == expected[name], (
            f"overlap[{name!r}] is {count}, but its LSA and ALS lists share {expected[name]} artists.{hint}")
    best = max(expected.values())
    most_agreeing, shared = need(ns, "most_agreeing", "shared", hint=(
        "most_agreeing is the name of the artist whose lists share the most, and shared that count."))
    assert isinstance(most_agreeing, str), (
        f"most_agreeing should be an artist's name (a str), not {most_agreeing!r}: e.g. overlap.idxmax().")
    assert most_agreeing in expected, (
        f"most_agreeing, {most_agreeing!r}, should be one of the 50 artists in overlap.")
    assert expected[most_agreeing] == best, (
        f"The two lists of {most_agreeing!r} share {expected[most_agreeing]} artists, but those of another "
        f"artist share {best}: pick the artist with the HIGHEST count (overlap.idxmax()).")
    assert isinstance(shared, (int, np.integer)) and shared == best, (
        f"shared should be the number of artists most_agreeing's two lists share, the int {best}, not {shared!r}.")


@exercise("7.3")
def check_stricter_threshold(ns: Mapping) -> None:
    """Exercise 7.3: the lists rebuilt with five times the threshold, their size, and the artists that survive."""
    lists, data, start_artist = ns["lists"], ns["data"], ns["START_ARTIST"]
    popular_lists = need(ns, "popular_lists", hint=(
        "Build it with RelatedLists.build(item_factors, data.artist_names, data.artist_listeners(), n=N, "
        "min_listeners=...)."))
    assert isinstance(popular_lists, RelatedLists), (
        f"popular_lists should be a RelatedLists (from RelatedLists.build), not a {type(popular_lists).__name__}.")
    threshold = 5 * lists.min_listeners
    assert popular_lists.min_listeners == threshold, (
        f"popular_lists shows artists with at least {popular_lists.min_listeners} listeners; pass "
        f"min_listeners=5 * lists.min_listeners (that is {threshold}).")
    all_listeners = np.asarray(data.artist_listeners())
    expected_names = set(np.asarray(data.artist_names, dtype=object)[all_listeners >= threshold])
    assert set(popular_lists.names) == expected_names, (
        f"popular_lists should show the {len(expected_names)} artists with at least {threshold} listeners; it "
        f"shows {len(popular_lists.names)}. Build it from data.artist_names and data.artist_listeners().")
    assert popular_lists.methods == lists.methods, (
        f"popular_lists should have the methods {lists.methods}, like lists: pass the same item_factors.")
    assert popular_lists.related[lists.methods[0]][0].shape[1] == lists.related[lists.methods[0]][0].shape[1], (
        "popular_lists should have lists of the same length as lists: pass n=N.")
    n_popular = need(ns, "n_popular", hint="It is the number of artists popular_lists shows (an int).")
    assert isinstance(n_popular, (int, np.integer)) and n_popular == len(popular_lists.names), (
        f"n_popular should be the number of artists popular_lists shows, len(popular_lists.names), "
        f"not {n_popular!r}.")
    surviving = need(ns, "surviving", hint=(
        "It holds the names in lists.lists(START_ARTIST, 'LSA') that popular_lists still shows, as a list."))
    assert isinstance(surviving, list), (
        f"surviving should be a list of names, not a {type(surviving).__name__}: wrap it in list(...).")
    before = lists.lists(start_artist, "LSA")
    expected_surviving = [name for name, count in zip(before["artist"], before["listeners"]) if count >= threshold]
    assert set(surviving) == set(expected_surviving), (
        f"surviving has {len(surviving)} artists, but {len(expected_surviving)} of START_ARTIST's LSA list in lists "
        f"have at least {threshold} listeners. Take the names of lists.lists(START_ARTIST, 'LSA') (not of "
        "popular_lists.lists) that are in popular_lists.names.")
    assert surviving == expected_surviving, (
        "surviving has the right artists in the wrong order: keep their order in lists.lists(START_ARTIST, 'LSA').")
    after = popular_lists.lists(start_artist, "LSA").set_index("artist")["score"]
    before_scores = before.set_index("artist")["score"]
    for name in surviving:
        assert name in after.index and np.isclose(after[name], before_scores[name], atol=1e-4), (
            f"{name!r} should keep its score in popular_lists.lists(START_ARTIST, 'LSA'): build popular_lists "
            "from the same item_factors as lists, without fitting again.")
