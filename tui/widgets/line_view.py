"""The base of gradstep's Line API panes: styles looked up once, not once per line per frame."""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from textual.geometry import Region
from textual.scroll_view import ScrollView


class LineView(ScrollView):
    """A ``ScrollView`` that keeps its Rich styles until the stylesheet says they changed.

    Textual forgets a widget's component styles on every ``refresh``, and ``rich_style`` walks
    every ancestor each time it is read; a pane that renders its lines from them on every step
    paid for both per line. Here both are kept until ``notify_style_update`` (a theme change, a
    focus change that a ``:focus`` rule depends on, a class change).
    """

    _base: Style | None = None
    _components: dict[tuple[str, bool], Style] | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self._components = None

    @property
    def base_style(self) -> Style:
        """The pane's own style (colour and background), as ``rich_style``."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def component_style(self, name: str, *, partial: bool = False) -> Style:
        """A component class's Rich style, as ``get_component_rich_style``."""
        if self._components is None:
            self._components = {}
        key = (name, partial)
        style = self._components.get(key)
        if style is None:
            style = self._components[key] = self.get_component_rich_style(name, partial=partial)
        return style

    def refresh_rows(self, rows: Iterable[int]) -> None:
        """Redraw the given content rows (virtual y), consecutive ones as one region, in one call.

        A step changes a handful of scattered lines; one ``refresh_line`` each costs a walk up
        the DOM and a region of its own in the compositor's update.
        """
        top = int(self.scroll_y)
        width = max(self.virtual_size.width, self.size.width)
        regions: list[Region] = []
        start = end = None
        for y in sorted(set(rows)):
            if end is not None and y == end:
                end += 1
                continue
            if start is not None and end is not None:
                regions.append(Region(0, start - top, width, end - start))
            start, end = y, y + 1
        if start is not None and end is not None:
            regions.append(Region(0, start - top, width, end - start))
        if regions:
            self.refresh(*regions)
