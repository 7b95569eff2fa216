"""The artist explorer as a notebook widget: type a name, pick a suggestion, compare the methods' lists.

A text box refills a short list of suggestions from
:meth:`recsys_utils.utils.ItemNames.suggest_indices` as the user types (a
Combobox holding every name would be too slow at 300,000 artists). Choosing
one shows every method's related artists side by side, with similarity
scores and listener counts, and the slopegraph of the first two methods (an
SVG drawn by vl-convert, so the widget needs no output capture).

Where no kernel runs (GitHub, nbviewer, an HTML export) the cell shows a
static example instead of a broken widget: see :meth:`ArtistExplorer._repr_mimebundle_`.
"""

from __future__ import annotations

import html

from .explorer import RelatedLists
from .utils import UnknownItemError

STATIC_NOTE = ("This is a static copy of an interactive explorer: run the notebook in Jupyter to type "
               "any artist, or open the offline page that <code>make explorer</code> writes.")


def lists_html(lists: RelatedLists, artist: int | str) -> str:
    """Every method's list for ``artist`` as HTML tables side by side (every name escaped)."""
    i = lists.index(artist)
    parts = []
    for method in lists.methods:
        table = lists.lists(i, method).to_html(escape=True, float_format=lambda score: f"{score:.3f}",
                                               border=0, classes="recsys-related")
        parts.append(f'<div style="margin-right:2em"><b>{html.escape(method)}</b>{table}</div>')
    heading = (f"<p>Related to <b>{html.escape(str(lists.names[i]))}</b> "
               f"({lists.listeners[i]:,} listeners)</p>")
    return heading + '<div style="display:flex;flex-wrap:wrap">' + "".join(parts) + "</div>"


class ArtistExplorer:
    """A search box with suggestions, the methods' related lists and a slopegraph, for :class:`RelatedLists`.

    Parameters
    ----------
    lists : RelatedLists
    artist : int or str, optional
        Shown first.
    suggestions : int
        How many suggestions to show while typing.

    Attributes
    ----------
    query, choices, message, tables, chart, widget :
        The ipywidgets: the text box, the suggestion list, a status line,
        the tables, the slopegraph, and the box holding them all.
    current : int or None
        The position of the artist shown, among ``lists.names``.
    """

    def __init__(self, lists: RelatedLists, artist: int | str | None = None, *, suggestions: int = 8) -> None:
        import ipywidgets as widgets

        self.lists = lists
        self.n_suggestions = suggestions
        self.current: int | None = None
        self.query = widgets.Text(placeholder="Type an artist, e.g. bjork", description="Artist:",
                                  continuous_update=True, layout=widgets.Layout(width="28em"))
        self.choices = widgets.Select(options=[], rows=suggestions, description="Suggestions:",
                                      layout=widgets.Layout(width="28em"))
        self.message = widgets.HTML(f"<i>{html.escape(lists.summary())}</i>")
        self.tables = widgets.HTML()
        self.chart = widgets.HTML()
        self.query.observe(self._typed, names="value")
        self.choices.observe(self._picked, names="value")
        self.widget = widgets.VBox([self.query, self.choices, self.message, self.tables, self.chart])
        if artist is not None:
            self.show(artist)

    def _typed(self, change) -> None:
        typed = change["new"]
        found = self.lists.lookup.suggest_indices(typed, self.n_suggestions)
        with self.choices.hold_trait_notifications():
            self.choices.options = [(f"{self.lists.names[i]}  ({self.lists.listeners[i]:,} listeners)", i)
                                    for i in found]
            self.choices.value = None
        self.message.value = ""
        if typed.strip() and not found:
            try:
                self.lists.index(typed)  # a name with too few listeners to be shown is not "unknown"
            except UnknownItemError as error:
                self.message.value = f"<b>{html.escape(str(error))}</b> {html.escape(self.lists.summary())}"

    def _picked(self, change) -> None:
        if change["new"] is not None:
            self.show(change["new"])

    def show(self, artist: int | str) -> None:
        """Show ``artist`` (a name, ignoring case and accents, or a position among ``lists.names``).

        An unknown name is reported in the status line, with suggestions.
        """
        try:
            i = self.lists.index(artist)
        except (UnknownItemError, IndexError) as error:
            self.message.value = f"<b>{html.escape(str(error))}</b>"
            return
        self.current = i
        self.message.value = ""
        self.tables.value = lists_html(self.lists, i)
        if len(self.lists.methods) > 1:
            import vl_convert

            self.chart.value = vl_convert.vegalite_to_svg(self.lists.slopegraph(i).to_dict())

    def static_html(self) -> str:
        """What a renderer without a kernel shows: a note, then the tables of the artist shown."""
        if self.current is None:
            return f"<p><i>{STATIC_NOTE}</i></p>"
        return (f"<p><i>{STATIC_NOTE} The lists below were saved when the notebook ran.</i></p>"
                + lists_html(self.lists, self.current))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The live widget where a kernel runs; a static example (HTML) and a text note elsewhere."""
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = (f"ArtistExplorer over {len(self.lists.names):,} artists "
                                f"({', '.join(self.lists.methods)}): interactive when the notebook runs in Jupyter.")
        return bundle
