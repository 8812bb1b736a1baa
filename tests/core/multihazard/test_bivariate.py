from hazard_susceptibility.core.multihazard import bivariate


def test_bivariate_codes_and_labels():
    codes = bivariate.bivariate_codes([0, 4, 2, -1], [0, 4, 3, 1])
    assert codes.tolist() == [0, 24, 13, -1]
    assert bivariate.bivariate_label(13) == "M-H" and bivariate.bivariate_label(24) == "VH-VH"
