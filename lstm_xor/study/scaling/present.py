"""The study's targets, tables (markdown) and plots, from the rows the measurements return."""

from lstm_xor.study.scaling.config import record_section


def targets(results, json_path=None):
    """The issue's targets, each with the measured value and whether it was met."""
    strong = {r["engines"]: r for r in results["strong"]}
    one, two = strong.get(1), strong.get(2)
    threaded = next((r for r in results.get("threads", []) if r["engines"] == 1 and r["threads"] > 1), None)
    honest = results.get("honest", [])
    out = []
    if one and two:
        out.append({"target": f"2 engines >= 1.7x the strings/s of 1 engine (global batch {two['batch_size']})",
                    "value": two["speedup"], "met": two["speedup"] >= 1.7})
        out.append({"target": f"communication < 10% of the step at 2 engines (hidden {two['hidden']}): "
                              "time in the all-reduce, waiting for the other engine included",
                    "value": two["comm_share"], "met": two["comm_share"] < 0.10})
        out.append({"target": f"communication < 10% of the step at 2 engines (hidden {two['hidden']}): "
                              "the all-reduce alone, after a barrier",
                    "value": two["pure_comm_share"], "met": two["pure_comm_share"] < 0.10})
    if two and threaded:
        ratio = threaded["step_seconds"] / two["step_seconds"]
        out.append({"target": f"2 engines faster than 1 engine with {threaded['threads']} BLAS threads",
                    "value": ratio, "met": ratio > 1.0})
    if honest:
        best = honest[-1]["times_naive"]
        out.append({"target": "tuned MPI >= 50x the naive sequential version (strings/s)",
                    "value": best, "met": best >= 50})
    return record_section(json_path, "targets", out)


def _others(r):
    """Other processes' share of the machine's CPU during the measurement."""
    return "-" if r.get("others_cpu") is None else f"{100 * r['others_cpu']:.0f}%"


def _ms(seconds):
    """Seconds as milliseconds, two decimals."""
    return f"{1000 * seconds:.2f}"


def strong_markdown(rows):
    """Strong scaling: a row per engine count, the step split into compute and all-reduce."""
    head = ("| engines | BLAS threads | ms / step | compute ms | all-reduce ms (incl. wait) | pure all-reduce ms "
            "| comm share | strings / s | s / epoch (80k) | speed-up | efficiency | other load |\n"
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    return head + "\n".join(
        f"| {r['engines']} | {r['threads']} | {_ms(r['step_seconds'])} | {_ms(r['compute_seconds'])} "
        f"| {_ms(r['comm_seconds'])} | {_ms(r['pure_allreduce_seconds'])} | {100 * r['comm_share']:.1f}% "
        f"| {r['strings_per_second']:.0f} | {r['epoch_seconds']:.1f} | {r.get('speedup', 1.0):.2f}x "
        f"| {100 * r.get('efficiency', 1.0):.0f}% | {_others(r)} |" for r in rows)


def threads_markdown(rows):
    """Threads or engines: a row per engines x BLAS threads."""
    head = ("| engines x BLAS threads | ms / step | strings / s | s / epoch (80k) | other load |\n"
            "|---|---:|---:|---:|---:|\n")
    return head + "\n".join(f"| {r['engines']} x {r['threads']} | {_ms(r['step_seconds'])} "
                            f"| {r['strings_per_second']:.0f} | {r['epoch_seconds']:.1f} | {_others(r)} |"
                            for r in rows)


def dataset_markdown(rows):
    """Data-set size: seconds per epoch and what it took to reach the target, per training set."""
    head = ("| training strings | s / epoch | strings to target | epochs to target | s to target "
            "| reached | other load |\n|---:|---:|---:|---:|---:|---|---:|\n")
    return head + "\n".join(
        f"| {r['train_strings']:,} | {r['epoch_seconds']:.1f} | "
        + (f"{r['strings_to_target']:,} | {r['epochs_to_target']:.2f} | {r['seconds_to_target']:.1f} | yes |"
           if r["reached"] else f"- | - | - | no (> {r['curve'][-1]['seconds'] if r['curve'] else 0:.0f} s) |")
        + f" {_others(r)} |" for r in rows)


def honest_markdown(rows):
    """The honest comparison: strings per second of each version and its multiple of the naive one."""
    head = "| version | strings / s | x naive | other load |\n|---|---:|---:|---:|\n"
    return head + "\n".join(f"| {r['name']} | {r['strings_per_second']:,.0f} | {r['times_naive']:.1f}x "
                            f"| {_others(r)} |" for r in rows)


def targets_markdown(rows):
    """Each target, the measured value and whether it was met."""
    def value(r):
        return f"{100 * r['value']:.1f}%" if r["target"].startswith("communication") else f"{r['value']:.2f}x"
    head = "| target | measured | met |\n|---|---:|---|\n"
    return head + "\n".join(f"| {r['target']} | {value(r)} | {'yes' if r['met'] else 'no'} |" for r in rows)


def plot_strong(rows):
    """Strings per second against the ideal, efficiency, and each step's compute and all-reduce."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    n = [r["engines"] for r in rows]
    axes[0].plot(n, [r["strings_per_second"] for r in rows], "o-", label="measured")
    axes[0].plot(n, [rows[0]["strings_per_second"] * k / n[0] for k in n], "--", color="gray", label="ideal")
    axes[0].set(xlabel="engines", ylabel="strings / s", title="strong scaling (global batch fixed)", xticks=n)
    axes[0].legend()
    axes[1].plot(n, [100 * r["efficiency"] for r in rows], "o-")
    axes[1].set(xlabel="engines", ylabel="efficiency (%)", ylim=(0, 110), title="parallel efficiency", xticks=n)
    compute = [1000 * r["compute_seconds"] for r in rows]
    comm = [1000 * r["comm_seconds"] for r in rows]
    axes[2].bar([str(k) for k in n], compute, label="compute")
    axes[2].bar([str(k) for k in n], comm, bottom=compute, label="all-reduce (incl. wait)")
    axes[2].set(xlabel="engines", ylabel="ms per step", title="one step: compute and communication")
    axes[2].legend()
    fig.tight_layout()
    return fig


def plot_threads(rows):
    """Strings per second of one threaded engine against as many single-threaded ones."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    labels = [f"{r['engines']} engine(s)\nx {r['threads']} thread(s)" for r in rows]
    ax.bar(labels, [r["strings_per_second"] for r in rows], color=["C0", "C1", "C2"][:len(rows)])
    ax.set(ylabel="strings / s", title="BLAS threads or MPI engines")
    fig.tight_layout()
    return fig


def plot_dataset(rows):
    """Seconds per epoch, seconds to the target, and the learning curves, per training-set size."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    sizes = [r["train_strings"] for r in rows]
    axes[0].plot(sizes, [r["epoch_seconds"] for r in rows], "o-")
    axes[0].set(xlabel="training strings", ylabel="s / epoch", xscale="log", yscale="log", title="time per epoch")
    ok = [r for r in rows if r["reached"]]
    axes[1].plot([r["train_strings"] for r in ok], [r["seconds_to_target"] for r in ok], "o-")
    axes[1].set(xlabel="training strings", ylabel="s of training", xscale="log",
                title=f"time to {100 * rows[0]['target']:.1f}% test accuracy" if rows else "")
    for r in rows:
        c = r["curve"]
        axes[2].plot([p["strings"] for p in c], [p["last_bit_accuracy"] for p in c], ".-",
                     label=f"{r['train_strings']:,}")
    axes[2].set(xlabel="strings trained on", ylabel="test accuracy (last bit)", title="learning curves")
    axes[2].legend(title="training set", fontsize=8)
    fig.tight_layout()
    return fig


def plot_honest(rows):
    """Strings per second of each version on a log scale, with its multiple of the naive one."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 3.2))
    names = [r["name"] for r in rows]
    values = [r["strings_per_second"] for r in rows]
    ax.barh(names, values, color=[f"C{k}" for k in range(len(rows))])
    ax.set(xscale="log", xlabel="strings / s (log)", title="the sequential version against the tuned ones")
    ax.invert_yaxis()
    for y, (v, r) in enumerate(zip(values, rows, strict=True)):
        ax.text(v, y, f"  {v:,.0f}  ({r['times_naive']:.0f}x)", va="center")
    ax.set_xlim(right=max(values) * 8)
    fig.tight_layout()
    return fig
