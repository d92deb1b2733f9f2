"""The bug hunt: ``gradstep hunt [FILE] [--seed N]``, check mode with the answers hidden.

The bug, its choice and the judging of an answer live in ``gradstep.core.planted`` and
``gradstep.core.hunt``; these modules only show them and pass the keys on.
"""
