"""Print the README's op table from parity_tests/ops_table.py (the specs the parity suite runs).

    python scripts/op_table.py > /tmp/table.md
"""
import sys
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "parity_tests"))
import ops_table  # noqa: E402


def main():
    ops = OrderedDict()
    for spec in ops_table.OPS:
        op = spec.name.split(".")[0]
        entry = ops.setdefault(op, {"variants": 0, "grad": False, "gradgrad": False, "strict": True})
        entry["variants"] += 1
        entry["grad"] |= spec.grad
        entry["gradgrad"] |= spec.grad and spec.gradgrad
        if spec.strict is not True:
            entry["strict"] = spec.strict
    print("| op | specs | checked against torch | second order | on array-api-strict |")
    print("|---|---|---|---|---|")
    for op, e in ops.items():
        checked = "forward + backward" if e["grad"] else "forward"
        second = "yes" if e["gradgrad"] else "—"
        strict = "yes" if e["strict"] is True else f"no: {e['strict']}"
        print(f"| `{op}` | {e['variants']} | {checked} | {second} | {strict} |")


if __name__ == "__main__":
    main()
