"""Predict mode in the debugger: the answer bar, the summary screen and ``gradstep quiz``.

The questions, the checking of answers and the score live in ``gradstep.core.quiz``; these
modules only show them and pass the keys on.
"""
