"""The checks of each chapter: ``chNN.py`` registers that chapter's exercises with
``@exercise(...)`` (see :mod:`mathdl.exercises._trusted` for how to write one).
Modules named ``ch*`` here are discovered and imported by
:func:`mathdl.exercises.load_checks`."""
