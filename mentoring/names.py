"""How a child's name is shown to a reader who may not see it whole: the one home of masking."""


def mask_name(name: str) -> str:
    """张*明 for three characters or more, 李* for two, * for one.

    Every character between the first and the last becomes one star, so the
    length of a long name is not shown either.
    """
    name = name.strip()
    if len(name) >= 3:
        return f"{name[0]}*{name[-1]}"
    if len(name) == 2:
        return f"{name[0]}*"
    return "*"
