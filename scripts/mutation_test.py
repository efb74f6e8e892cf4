#!/usr/bin/env python3
"""Mutation self-test: do the tests catch a wrong backward or a wrong fused GEMM path?

    scripts/mutation-test.sh [--only ID,ID...] [--keep]

Copies the source tree (tracked and new files) to build/mutants/src, builds the test
configuration there once, checks that the unmutated tree passes, then applies each mutant
below alone: rewrites one line, rebuilds the test program it affects, runs that program's
CTest label and requires it to fail (the mutant is "killed"). A mutant whose tests still pass
"survived": the fix is a stronger test, never dropping the mutant. Prints a Markdown table
(also written to build/mutants/report.md) and exits 1 if any mutant survived or failed to
build. About 8 minutes on 2 cores, half of it the first build.

Each mutant: an id, the file, the text it replaces (exactly once in the file), the
replacement, the kind (sign flip, factor 1 + 1e-6, swapped operand, dropped term) and the
CTest label whose tests must catch it (gradcheck for the tape's ops, kernels for the kernels).
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class Mutant:
    id: str
    file: str
    find: str
    replace: str
    kind: str
    label: str


OPS = "autograd/ops.cc"
MICRO = "lib/gemm/gemm_micro_kernel-inl.h"
VECTOR = "lib/vector_kernels-inl.h"
ELEMENTWISE = "lib/elementwise.cc"
OPTIMIZERS = "autograd/optimizers.cc"
TAPE = "autograd/tape.cc"
SHARED = "autograd/shared_gradient_memory.cc"

MUTANTS = [
    # matmul: dA = dC op(B)ᵀ, dB = op(A)ᵀ dC, each through both transpose branches.
    Mutant("matmul-dA-factor", OPS, "gemm<T>(Transpose::kNo, flip(tb), T(1), g, tape.value(b), beta, da);",
           "gemm<T>(Transpose::kNo, flip(tb), T(1 + 1e-6), g, tape.value(b), beta, da);", "factor", "gradcheck"),
    Mutant("matmul-dA-sign", OPS, "gemm<T>(Transpose::kNo, flip(tb), T(1), g, tape.value(b), beta, da);",
           "gemm<T>(Transpose::kNo, flip(tb), T(-1), g, tape.value(b), beta, da);", "sign", "gradcheck"),
    Mutant("matmul-dA-transposed-swap", OPS, "gemm<T>(tb, Transpose::kYes, T(1), tape.value(b), g, beta, da);",
           "gemm<T>(flip(tb), Transpose::kYes, T(1), tape.value(b), g, beta, da);", "swapped operand", "gradcheck"),
    Mutant("matmul-dB-factor", OPS, "gemm<T>(flip(ta), Transpose::kNo, T(1), tape.value(a), g, beta, db);",
           "gemm<T>(flip(ta), Transpose::kNo, T(1 + 1e-6), tape.value(a), g, beta, db);", "factor", "gradcheck"),
    Mutant("matmul-dB-transposed-factor", OPS, "gemm<T>(Transpose::kYes, ta, T(1), g, tape.value(a), beta, db);",
           "gemm<T>(Transpose::kYes, ta, T(1 + 1e-6), g, tape.value(a), beta, db);", "factor", "gradcheck"),
    Mutant("matmul-dB-drops-accumulated", OPS, "gemm<T>(Transpose::kYes, ta, T(1), g, tape.value(a), beta, db);",
           "gemm<T>(Transpose::kYes, ta, T(1), g, tape.value(a), T(0), db);", "dropped term", "gradcheck"),
    # linear: dX = dZ W, dW = dZᵀ X, db = colsum(dZ), dZ = dY·[Y > 0] applied while packing.
    Mutant("linear-dX-factor", OPS, "T(1), dy, tape.value(w), beta, dx, {}, mask_dy);",
           "T(1 + 1e-6), dy, tape.value(w), beta, dx, {}, mask_dy);", "factor", "gradcheck"),
    Mutant("linear-dX-drops-relu-mask", OPS, "T(1), dy, tape.value(w), beta, dx, {}, mask_dy);",
           "T(1), dy, tape.value(w), beta, dx, {}, {});", "dropped term", "gradcheck"),
    Mutant("linear-dW-factor", OPS, "T(1), dy, tape.value(x), beta, dw, {}, mask_dy);",
           "T(1 + 1e-6), dy, tape.value(x), beta, dw, {}, mask_dy);", "factor", "gradcheck"),
    Mutant("linear-dW-sign", OPS, "T(1), dy, tape.value(x), beta, dw, {}, mask_dy);",
           "T(-1), dy, tape.value(x), beta, dw, {}, mask_dy);", "sign", "gradcheck"),
    Mutant("linear-dW-drops-relu-mask", OPS, "T(1), dy, tape.value(x), beta, dw, {}, mask_dy);",
           "T(1), dy, tape.value(x), beta, dw, {}, {});", "dropped term", "gradcheck"),
    Mutant("linear-db-drops-relu-mask", OPS, "relu_backward_column_sums<T>(tape.value(node.output), dy, dst);",
           "column_sums<T>(dy, dst);", "dropped term", "gradcheck"),
    Mutant("linear-db-factor", OPS, "        column_sums<T>(dy, dst);",
           "        column_sums<T>(dy, dst);\n        scale<T>(T(1 + 1e-6), dst, dst);", "factor", "gradcheck"),
    # elementwise ops
    Mutant("add-factor", OPS, "if (tape.needs_grad(in)) tape.accumulate(in, [&](View<T> dst) { copy<T>(g, dst); });",
           "if (tape.needs_grad(in)) tape.accumulate(in, [&](View<T> dst) { scale<T>(T(1 + 1e-6), g, dst); });",
           "factor", "gradcheck"),
    Mutant("sub-sign", OPS, "scale<T>(T(-1), g, dst);", "scale<T>(T(1), g, dst);", "sign", "gradcheck"),
    Mutant("mul-swapped-operand", OPS, "mul<T>(g, tape.value(b), dst);", "mul<T>(g, tape.value(a), dst);",
           "swapped operand", "gradcheck"),
    Mutant("scale-factor", OPS, "scale<T>(node.scalar, g, dst);", "scale<T>(node.scalar * T(1 + 1e-6), g, dst);",
           "factor", "gradcheck"),
    Mutant("add-bias-drops-rows", OPS, "column_sums<T>(g, dst); });",
           "copy<T>(g.block(0, 0, 1, g.cols()), dst); });", "dropped term", "gradcheck"),
    Mutant("relu-drops-mask", OPS, "relu_backward<T>(tape.value(node.inputs[0]), g, dst);",
           "copy<T>(g, dst);", "dropped term", "gradcheck"),
    Mutant("tanh-swapped-operand", OPS, "tanh_backward<T>(tape.value(node.output), g, dst);",
           "tanh_backward<T>(tape.value(node.inputs[0]), g, dst);", "swapped operand", "gradcheck"),
    Mutant("sigmoid-swapped-operand", OPS, "sigmoid_backward<T>(tape.value(node.output), g, dst);",
           "sigmoid_backward<T>(tape.value(node.inputs[0]), g, dst);", "swapped operand", "gradcheck"),
    Mutant("square-factor", OPS, "scale<T>(T(2), dst, dst);", "scale<T>(T(2 + 2e-6), dst, dst);", "factor", "gradcheck"),
    Mutant("sum-mean-factor", OPS, "const T g = scalar_of(tape.grad(node.output)) * node.scalar;",
           "const T g = scalar_of(tape.grad(node.output)) * node.scalar * T(1 + 1e-6);", "factor", "gradcheck"),
    # losses
    Mutant("mse-prediction-factor", OPS, "{ scale<T>(c, diff, dst); }", "{ scale<T>(c * T(1 + 1e-6), diff, dst); }",
           "factor", "gradcheck"),
    Mutant("mse-target-sign", OPS, "{ scale<T>(-c, diff, dst); }", "{ scale<T>(c, diff, dst); }", "sign", "gradcheck"),
    Mutant("mape-drops-denominator", OPS, "    div<T>(dst, tape.value(node.saved[1]), dst);\n", "",
           "dropped term", "gradcheck"),
    Mutant("softmax-ce-drops-target", OPS, "      sub<T>(dst, target, dst);\n", "", "dropped term", "gradcheck"),
    Mutant("softmax-ce-drops-row-sums", OPS,
           "scale<T>(simdgrad::sum<T>(target.block(r, 0, 1, target.cols())), row, row);", "(void)row;",
           "dropped term", "gradcheck"),
    Mutant("softmax-ce-target-sign", OPS, "scale<T>(-c, log_p, dst);", "scale<T>(c, log_p, dst);", "sign", "gradcheck"),
    # the fused GEMM paths: the ReLU mask applied while packing A, the bias/ReLU epilogue (tile
    # store and the transposing pass of the Cᵀ path), the masked bias column sums
    Mutant("pack-mask-ge", MICRO, "const auto active = hn::Gt(hn::LoadU(d, strip.relu_mask + mask_offset), hn::Zero(d));",
           "const auto active = hn::Ge(hn::LoadU(d, strip.relu_mask + mask_offset), hn::Zero(d));", "sign", "kernels"),
    Mutant("pack-mask-dropped", MICRO, "  return hn::IfThenElseZero(active, x);\n}",
           "  (void)active;\n  return x;\n}", "dropped term", "kernels"),
    Mutant("pack-mask-scalar-ge", MICRO, "!(strip.relu_mask[mask_in + w] > T(0))",
           "!(strip.relu_mask[mask_in + w] >= T(0))", "sign", "kernels"),
    Mutant("epilogue-alpha-factor", MICRO, "V x = hn::Mul(alpha, acc[r][v]);",
           "V x = hn::Mul(hn::Mul(alpha, hn::Set(d, T(1 + 1e-6))), acc[r][v]);", "factor", "kernels"),
    Mutant("epilogue-drops-beta", MICRO, "if (beta_value != T(0)) x = hn::MulAdd(beta, hn::LoadU(d, dst), x);",
           "if (beta_value != T(0)) x = hn::Add(hn::LoadU(d, dst), x);", "dropped term", "kernels"),
    Mutant("epilogue-bias-sign", MICRO, "if (bias_row) x = hn::Add(x, bias[v]);",
           "if (bias_row) x = hn::Sub(x, bias[v]);", "sign", "kernels"),
    Mutant("epilogue-drops-relu", MICRO, "if (relu) x = hn::Max(x, hn::Zero(d));", "(void)relu;",
           "dropped term", "kernels"),
    Mutant("transposed-epilogue-drops-bias", MICRO,
           "const V bias = out.bias ? hn::LoadU(d, out.bias + j0) : hn::Zero(d);",
           "const V bias = hn::Zero(d);", "dropped term", "kernels"),
    Mutant("transposed-epilogue-scalar-drops-relu", MICRO, "if (out.relu) x = x > T(0) ? x : T(0);",
           "if (out.relu) x = x;", "dropped term", "kernels"),
    Mutant("bias-column-sums-mask-ge", VECTOR,
           "StreamLanes<2, 1>(d, n, {x, g}, {acc}, [&](const auto& in, const auto& out) HWY_ATTR {\n"
           "    const auto active = hn::Gt(",
           "StreamLanes<2, 1>(d, n, {x, g}, {acc}, [&](const auto& in, const auto& out) HWY_ATTR {\n"
           "    const auto active = hn::Ge(", "sign", "kernels"),
    Mutant("column-sums-drops-first-row", ELEMENTWISE,
           "for (size_t r = 0; r < rows; ++r) add_row(r, share.begin, dst, share.size());",
           "for (size_t r = 1; r < rows; ++r) add_row(r, share.begin, dst, share.size());",
           "dropped term", "kernels"),
    # Updates inside the backward pass and gradients that take turns in one buffer.
    Mutant("early-update-uncounted", OPTIMIZERS,
           "if (!early_step_open()) ++iterations_;  // an update reads the count of the step it belongs to",
           "(void)0;", "dropped term", "autograd"),
    Mutant("early-update-repeated-at-step-end", OPTIMIZERS, "if (!updated_early_[i]) {",
           "if (true) {", "dropped term", "autograd"),
    Mutant("shared-gradients-unchecked", TAPE, "  check_shared_gradients(bool(gradient_final));",
           "", "dropped term", "autograd"),
    Mutant("shared-gradients-same-node-apart", TAPE, "a.first > b.last || b.first > a.last",
           "a.first >= b.last || b.first >= a.last", "sign", "autograd"),
    Mutant("shared-memory-returned-unflagged", SHARED, "    p->grad_is_zero = true;\n  }\n}",
           "    p->grad_is_zero = false;\n  }\n}", "sign", "autograd"),
]

# The test program each label's tests live in (rebuilt after each mutant).
PROGRAMS = {"gradcheck": "autograd_gradcheck_test", "kernels": "lib_kernels_test",
            "autograd": "autograd_test"}


def run(command, cwd, log):
    with open(log, "a") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        return subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT).returncode


def failing_tests(label, cwd, log):
    """Runs ctest -L label; returns the names of the tests that failed (empty: all passed)."""
    # errors="replace": a failing comparison of raw bytes prints them as they are.
    result = subprocess.run(["ctest", "--preset", "test", "-L", label], cwd=cwd, capture_output=True,
                            text=True, errors="replace")
    with open(log, "a") as out:
        out.write(f"$ ctest --preset test -L {label}\n{result.stdout}{result.stderr}")
    names = []
    if "The following tests FAILED:" in result.stdout:
        block = result.stdout.split("The following tests FAILED:", 1)[1]
        for line in block.splitlines()[1:]:
            if " - " not in line:
                break
            names.append(line.split(" - ", 1)[1].rsplit(" (", 1)[0])
    if result.returncode != 0 and not names:
        names = ["(ctest failed without naming a test)"]
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--only", help="comma-separated mutant ids")
    parser.add_argument("--keep", action="store_true", help="keep build/mutants/src afterwards")
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    mutants = MUTANTS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m.id for m in MUTANTS}
        if unknown:
            sys.exit("mutation-test: unknown mutant(s): " + ", ".join(sorted(unknown)))
        mutants = [m for m in MUTANTS if m.id in wanted]

    work = root / "build" / "mutants"
    src = work / "src"
    log = work / "log.txt"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    log.write_text("")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files:
        if (root / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, src / name)

    # Every mutant must apply to the current source: a stale one is a script bug.
    for m in mutants:
        count = (src / m.file).read_text().count(m.find)
        if count != 1:
            sys.exit(f"mutation-test: mutant {m.id}: its text occurs {count} times in {m.file}, not once")

    labels = sorted({m.label for m in mutants})
    programs = [PROGRAMS[label] for label in labels]
    print(f"mutation-test: building the test configuration in {src} (log: {log})", flush=True)
    if run(["cmake", "--preset", "test"], src, log) or run(
            ["cmake", "--build", "--preset", "test", "--target", *programs], src, log):
        sys.exit(f"mutation-test: the unmutated tree does not build; see {log}")
    for label in labels:
        if run(["ctest", "--preset", "test", "-L", label], src, log):
            sys.exit(f"mutation-test: the unmutated tree fails ctest -L {label}; see {log}")

    results = []
    for number, m in enumerate(mutants, 1):
        path = src / m.file
        original = path.read_text()
        path.write_text(original.replace(m.find, m.replace))
        started = time.time()
        failed = []
        if run(["cmake", "--build", "--preset", "test", "--target", PROGRAMS[m.label]], src, log):
            outcome = "DID NOT BUILD"
        else:
            failed = failing_tests(m.label, src, log)
            outcome = "killed" if failed else "SURVIVED"
        path.write_text(original)
        results.append((m, outcome, failed))
        print(f"mutation-test: [{number}/{len(mutants)}] {m.id}: {outcome} ({time.time() - started:.0f} s)",
              flush=True)
    # Leave the copy's build matching its source again.
    run(["cmake", "--build", "--preset", "test", "--target", *programs], src, log)

    killed = sum(outcome == "killed" for _, outcome, _ in results)
    lines = ["| mutant | file | kind | result | tests that failed (`ctest -L` label) |",
             "|---|---|---|---|---|"]
    for m, outcome, failed in results:
        caught = "; ".join(failed) if failed else "none"
        lines.append(f"| `{m.id}` | `{m.file}` | {m.kind} | {outcome} | {caught} ({m.label}) |")
    lines.append("")
    lines.append(f"{killed} of {len(results)} mutants killed.")
    report = "\n".join(lines) + "\n"
    (work / "report.md").write_text(report)
    print()
    print(report, end="")
    if not args.keep:
        shutil.rmtree(src)
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
