"""Bivariate flood-landslide classes (FL-MHSM study, METHODS.md section 4): five levels per
hazard, 25 codes, their labels and their palette."""
from __future__ import annotations

import numpy as np

LEVELS = ["VL", "L", "M", "H", "VH"]


def bivariate_codes(flood_levels, landslide_levels):
    """code = 5 * flood level + landslide level (levels 0..4 = VL..VH); -1 where either is
    missing."""
    f = np.asarray(flood_levels)
    s = np.asarray(landslide_levels)
    out = 5 * f + s
    return np.where((f < 0) | (s < 0), -1, out)


#: corners of the bivariate palette: both very low (light grey, not white, which reads as no
#: data), flood very high only (teal), landslide very high only (pink), both very high (deep
#: blue, far from black so the high-high cells stay apart)
BIVARIATE_CORNERS = {"low": (0xe8, 0xe8, 0xe8), "flood": (0x5a, 0xc8, 0xc8),
                     "landslide": (0xbe, 0x64, 0xac), "both": (0x3b, 0x49, 0x94)}


def bivariate_colors():
    """25 colours of the 5x5 bivariate palette (code = 5 * flood level + landslide level):
    bilinear between the four corners of BIVARIATE_CORNERS."""
    c = {k: np.array(v, float) for k, v in BIVARIATE_CORNERS.items()}
    out = []
    for code in range(25):
        f, s = (code // 5) / 4, (code % 5) / 4
        rgb = (c["low"] * (1 - f) * (1 - s) + c["flood"] * f * (1 - s)
               + c["landslide"] * (1 - f) * s + c["both"] * f * s)
        out.append("#" + "".join(f"{int(round(v)):02x}" for v in rgb))
    return out


def bivariate_label(code):
    return f"{LEVELS[code // 5]}-{LEVELS[code % 5]}"
