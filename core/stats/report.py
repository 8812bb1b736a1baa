"""HTML and figures of the shared statistics: the calibration section (reliability diagram and
the Brier score's decomposition) that every model report holds."""
import numpy as np

from ..util.report import figure
from .metrics import calibration

SMALL_BIN = 10  # reliability bins with fewer samples are drawn hollow


def calibration_section(rep, groups, where="the test samples", bins=10):
    """A reliability diagram and the Brier score's calibration part for each of ``groups``
    {name: (y, p)} (see :func:`.metrics.calibration`) added to the HtmlReport ``rep``; a
    sentence when a group over- or under-predicts on average by more than 0.1. Groups with
    fewer than 2 samples are left out."""
    groups = calibration(groups, bins)
    if not groups:
        return
    rep.heading("Calibration")
    rep.paragraph(f"Reliability on {where}: the share of presences among the samples in each "
                  f"probability bin against the mean predicted probability. A calibrated "
                  f"model follows the diagonal. 'reliability' is the Brier score's calibration "
                  f"part (Murphy's decomposition over {bins} bins, 0 is perfect); resolution "
                  f"is what the model separates. The samples' share of presences is set by "
                  f"the sampling design (often 1:1), not by the landscape: a probability is "
                  f"calibrated to that share, not to the area's frequency of events. A "
                  f"marker's area is the number of samples in its bin; a hollow marker holds "
                  f"fewer than {SMALL_BIN}, too few to read its position.",
                  note=True)
    fig, ax = figure(5.2, 4.2)
    ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls="--", label="calibrated")
    rows, warnings = [], []
    for name, (curve, row) in groups.items():
        xs = [r["mean_predicted"] for r in curve]
        ys = [r["observed"] for r in curve]
        line, = ax.plot(xs, ys, "-", lw=1.2, label=name)
        n = np.array([r["n"] for r in curve], float)
        size = 12 + 140 * n / max(1.0, float(n.max()))  # marker area: samples in the bin
        few = n < SMALL_BIN
        ax.scatter(np.array(xs)[~few], np.array(ys)[~few], s=size[~few],
                   color=line.get_color(), zorder=3)
        ax.scatter(np.array(xs)[few], np.array(ys)[few], s=size[few], facecolors="white",
                   edgecolors=line.get_color(), zorder=3)
        rows.append(row)
        mean_p, share = row["mean predicted"], row["observed share"]
        gap = mean_p - share
        if abs(gap) > 0.1:
            warnings.append(f"{name}: mean predicted probability {mean_p:.2f} against an "
                            f"observed share of {share:.2f}: the model "
                            f"{'over' if gap > 0 else 'under'}-predicts.")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed share of presences")
    ax.legend(fontsize=7)
    rep.add_figure(fig, "reliability diagram")
    rep.table(rows, left=("model",))
    for w in warnings:
        rep.paragraph(w)
