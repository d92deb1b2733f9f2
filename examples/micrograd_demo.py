"""micrograd's demo (demo.ipynb), one training step's loss, opened in gradstep's debugger.

The exact setup of the notebook: ``random.seed(1337)``, 100 two-moons points with noise 0.1, labels
mapped to -1/+1, ``MLP(2, [16, 16, 1])``, the SVM max-margin loss ``relu(1 - y * score)`` averaged
over the points, plus ``1e-4 * sum(p * p)`` L2 regularisation. The loss is built with gradstep's
engine (``gradstep.core.nn``) and, when micrograd is installed, with micrograd's from the same initial
weights, so the two losses can be compared. The graph has 65,818 nodes, like micrograd's.

    python examples/micrograd_demo.py              # print the losses, then debug gradstep's graph
    python examples/micrograd_demo.py --micrograd  # debug micrograd's graph through the adapter
    python examples/micrograd_demo.py --no-ui      # only print

The setup itself lives in ``core/demo.py`` (the benchmarks and tests build the same graph).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradstep.core.demo import count_nodes, gradstep_loss, micrograd_loss


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ui", action="store_true", help="only print the losses and node counts")
    parser.add_argument("--micrograd", action="store_true", help="debug micrograd's graph via the adapter")
    args = parser.parse_args(argv)

    from gradstep.core.engine import topological_order

    loss, model = gradstep_loss()
    print(f"gradstep  loss {loss.data!r}  nodes {len(topological_order(loss))}")
    micrograd_graph = None
    try:
        micrograd_graph, _ = micrograd_loss(model)
    except ImportError:
        print("micrograd is not installed (pip install 'gradstep[micrograd]'): gradstep's graph only")
    if micrograd_graph is not None:
        difference = abs(micrograd_graph.data - loss.data)
        print(f"micrograd loss {micrograd_graph.data!r}  nodes {count_nodes(micrograd_graph)}")
        print(f"difference {difference:.3g}")
    if args.micrograd and micrograd_graph is None:
        print("--micrograd needs micrograd: pip install 'gradstep[micrograd]'", file=sys.stderr)
        return 1
    if args.no_ui:
        return 0
    from gradstep.tui import debug  # type: ignore[attr-defined]

    debug(micrograd_graph if args.micrograd else loss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
