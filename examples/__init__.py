"""The example expression files, installed as the package data of ``gradstep.examples``, so that
``python -m gradstep.tui.screenshots`` finds them in an installed gradstep too."""
