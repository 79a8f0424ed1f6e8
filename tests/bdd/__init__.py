"""The BDD harness the step definitions run on, apart from them: the World a scenario
acts in (``world``), the vocabulary of value phrases (``vocabulary``), the feature
files and their tags (``tags``), the STEPS.md catalogue (``catalog``) and the coverage
gate (``coverage``)."""
