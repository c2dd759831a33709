"""(being built)"""

HANDLERS: list = []
